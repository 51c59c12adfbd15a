import Foundation

/// Which roles run on which hosts, in order: the inventory's `haprov_plays` variable.
///
/// ```yaml
/// all:
///   vars:
///     haprov_plays:
///       - hosts: webservers
///         roles: [web]
///       - hosts: loadbalancers
///         roles: [haproxy, keepalived]
/// ```
/// Kept inside the inventory's variables so that one file drives `haprov apply` and the file
/// stays a valid Ansible inventory.
public struct Playbook: Sendable {
    public struct Play: Sendable {
        public var name: String
        public var hosts: String
        public var roles: [String]
        /// Hosts of this play changed at once (Ansible's `serial`); nil: as the stack's shape allows.
        public var serial: Serial?
        /// The rollout stops once more than this share of its hosts failed (default: any failure).
        public var maxFailPercentage: Int?
    }

    public var plays: [Play]
    /// The inventory file the plays come from.
    public var source: String = ""

    public static let variable = "haprov_plays"

    /// Reads `haprov_plays` from the variables of the `all` group.
    public init(_ value: Value?, source: String) throws {
        guard let value else {
            throw LoadError(problems: [Diagnostic(location: source, message: "the inventory has no \(Self.variable)",
                                                   fix: "add all.vars.\(Self.variable): a list of {hosts: GROUP, roles: [ROLE, ...]}")])
        }
        guard case .list(let items) = value else {
            throw LoadError(problems: [Diagnostic(location: source, message: "\(Self.variable) must be a list of plays")])
        }
        var plays: [Play] = []
        var problems: [Diagnostic] = []
        for (index, item) in items.enumerated() {
            let place = "\(source): \(Self.variable)[\(index)]"
            guard case .map(let entries) = item else {
                problems.append(Diagnostic(location: place, message: "a play is a mapping with hosts and roles"))
                continue
            }
            let keys = ["name", "hosts", "roles", "serial", "max_fail_percentage"]
            for key in entries.keys where !keys.contains(key) {
                problems.append(Diagnostic(location: place, message: "unknown key \(key)",
                                            fix: Suggest.nearest(key, in: keys).map { "did you mean \($0)?" }))
            }
            var serial: Serial?
            if let value = entries["serial"] {
                serial = Serial(value)
                if serial == nil { problems.append(Diagnostic(location: place, message: "serial must be a number of hosts or a percentage", fix: "e.g. serial: 1 or serial: \"50%\"")) }
            }
            var maxFail: Int?
            if let value = entries["max_fail_percentage"] {
                if case .int(let n) = value, (0...100).contains(n) { maxFail = n } else {
                    problems.append(Diagnostic(location: place, message: "max_fail_percentage must be a number from 0 to 100"))
                }
            }
            guard let hosts = entries["hosts"]?.plainString else {
                problems.append(Diagnostic(location: place, message: "play needs hosts (a group, a host, or a pattern)"))
                continue
            }
            let roles = entries["roles"]?.stringList ?? []
            if roles.isEmpty { problems.append(Diagnostic(location: place, message: "play on \(hosts) has no roles")) }
            plays.append(Play(name: entries["name"]?.plainString ?? hosts, hosts: hosts, roles: roles, serial: serial, maxFailPercentage: maxFail))
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        self.plays = plays
        self.source = source
    }

    /// Where a role is named: the first play that lists it.
    public func place(of role: String) -> String {
        let index = plays.firstIndex { $0.roles.contains(role) }
        return "\(source): \(Self.variable)[\(index ?? 0)]"
    }

    /// Loads the plays' roles from `folder`; a missing role is reported where a play names it.
    public func loadRoles(from folder: String) throws -> [Role] {
        try loadRoles(from: [folder])
    }

    /// Each role from the first of `folders` that has it.
    public func loadRoles(from folders: [String]) throws -> [Role] {
        do { return try RoleLoader.load(roleNames, from: folders) } catch let error as LoadError {
            throw LoadError(problems: error.problems.map { problem in
                guard problem.message.hasPrefix("no role "), let role = problem.message.split(separator: " ").last.map(String.init) else { return problem }
                return Diagnostic(location: place(of: role), message: "no role \(role) in \(folders.joined(separator: " or "))", fix: problem.fix)
            })
        }
    }

    /// Every role named by some play, once, in first-use order.
    public var roleNames: [String] {
        var seen = Set<String>()
        return plays.flatMap(\.roles).filter { seen.insert($0).inserted }
    }

    /// The plays' `serial` as limits on their hosts, and the lowest `max_fail_percentage` set.
    public func rollout(select: (String) throws -> [String]) throws -> (limits: [RolloutPlan.Limit], maxFailPercentage: Int?) {
        var limits: [RolloutPlan.Limit] = []
        for play in plays {
            guard let serial = play.serial else { continue }
            let hosts = try select(play.hosts)
            limits.append(RolloutPlan.Limit(hosts: Set(hosts), limit: serial.limit(of: hosts.count)))
        }
        return (limits, plays.compactMap(\.maxFailPercentage).min())
    }

    /// The roles of each host, in play order; `select` expands a play's host pattern.
    public func roles(select: (String) throws -> [String]) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for play in plays {
            for host in try select(play.hosts) {
                for role in play.roles where !(result[host] ?? []).contains(role) { result[host, default: []].append(role) }
            }
        }
        return result
    }
}
