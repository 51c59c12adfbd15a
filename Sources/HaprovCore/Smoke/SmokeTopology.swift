import Foundation

/// What the smoke tests need to know about a stack, read from the inventory's variables.
public struct SmokeTopology: Sendable {
    /// A web server: its inventory name, the name it answers with, how to stop and start its app.
    public struct WebServer: Sendable {
        public var host: String
        public var answersAs: String
        public var stopCommand: String
        public var startCommand: String
    }

    /// A load balancer node: its inventory name and, with keepalived, its VRRP role.
    public struct Balancer: Sendable {
        public var host: String
        public var isMaster: Bool
        public var service: String
    }

    /// Where requests go: the VIP, or the single load balancer's address.
    public var front: String
    public var frontPort: Int
    /// The host requests are sent from (a client host, else the first load balancer).
    public var client: String
    public var clientAddress: String?
    public var webServers: [WebServer]
    public var balancers: [Balancer]
    /// The VIP without prefix, when keepalived runs.
    public var vip: String?
    public var nopreempt: Bool
    /// Transparent mode: backends must see the client's own address.
    public var transparent: Bool
    /// Round robin expected (roundrobin, byrequests); leastconn/source only need both servers seen.
    public var expectsAlternation: Bool
    public var statsURL: String?
    public var statsUser: String?
    public var statsPassword: String?
    /// The roles' own probes (`meta/smoke.yml` probes), one per host of each role.
    public var probes: [RoleProbe] = []

    /// The inventory variable naming the host or group requests are sent from.
    public static let clientVariable = "haprov_smoke_client"

    /// The host `name` names among `hosts`: that host, or the first host of that group.
    static func host(named name: String, among hosts: [String], variables: [String: [String: Value]]) -> String? {
        hosts.first { $0 == name } ?? hosts.first { variables[$0]?["group_names"]?.stringList.contains(name) == true }
    }

    /// The stack of these jobs as their inventory describes it (role defaults under host variables).
    /// Without `probes`, the roles' probes are left out (what check needs for the VIP: a probe
    /// run from a host outside --limit must not hide it).
    public static func from(jobs: [HostJob], probes: Bool = true) throws -> SmokeTopology {
        let renderer = TemplateRenderer()
        var variables: [String: [String: Value]] = [:]
        for job in jobs { variables[job.name] = job.resolvedVariables(renderer) }
        return try from(hosts: jobs.map(\.name), roles: Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.roles) }),
                        variables: variables, renderer: renderer, probes: probes)
    }

    /// Builds the topology from what the hosts' roles declare (`meta/smoke.yml`, and the VIP of
    /// `meta/rollout.yml`), rendered with each host's variables (role defaults under host variables).
    public static func from(hosts: [String], roles: [String: [Role]], variables: [String: [String: Value]],
                            renderer: TemplateRenderer = TemplateRenderer(), probes: Bool = true) throws -> SmokeTopology {
        func scope(_ host: String) -> [String: Value] {
            var vars = variables[host] ?? [:]
            if vars["ansible_host"] == nil { vars["ansible_host"] = .string(host) }
            return vars
        }
        func render(_ host: String, _ template: String, _ role: Role, _ what: String) throws -> String {
            do { return try renderer.render(template, name: "\(role.directory)/meta/smoke.yml: \(what)", variables: scope(host)) } catch {
                throw SmokeError("\(host): \(error)")
            }
        }
        func holds(_ host: String, _ condition: String?, _ role: Role) throws -> Bool {
            guard let condition else { return false }
            do { return try renderer.evaluate(condition: condition, name: "\(role.directory)/meta/smoke.yml", variables: scope(host)) } catch {
                throw SmokeError("\(host): \(error)")
            }
        }
        func declaring<T>(_ host: String, _ part: (SmokeSpec) -> T?) -> (Role, T)? {
            for role in roles[host] ?? [] { if let spec = role.smoke, let value = part(spec) { return (role, value) } }
            return nil
        }
        let backends = hosts.compactMap { host in declaring(host, \.backend).map { (host, $0.0, $0.1) } }
        let fronts = hosts.compactMap { host in declaring(host, \.front).map { (host, $0.0, $0.1) } }
        guard !backends.isEmpty else { throw SmokeError("no role of these hosts declares a smoke backend (meta/smoke.yml backend:): nothing to test") }
        guard let (firstFront, frontRole, front) = fronts.first else {
            throw SmokeError("no role of these hosts declares a smoke front (meta/smoke.yml front:): nothing to test")
        }
        // The VIP the front hosts share, as their roles declare it for rollouts.
        let vipRole = roles[firstFront]?.first { $0.rollout?.vip != nil }
        let vipSpec = vipRole?.rollout?.vip
        var vip: String?
        if let vipSpec, let role = vipRole {
            let address = scope(firstFront)[vipSpec.addressVariable]?.plainString ?? ""
            guard !address.isEmpty else { throw SmokeError("\(role.name) runs on \(firstFront) but \(vipSpec.addressVariable) is not set") }
            vip = String(address.split(separator: "/")[0])
        }
        let priority = { (host: String) -> Int in vipSpec?.priorityVariable.flatMap { scope(host)[$0]?.plainString }.flatMap { Int($0) } ?? 0 }
        let master = vip == nil ? nil : fronts.map(\.0).max { (priority($0), $1) < (priority($1), $0) }
        // Requests come from the inventory's client host or group, else from the first front host.
        let clientPattern = scope(firstFront)[clientVariable]?.plainString ?? "clients"
        let client = host(named: clientPattern, among: hosts, variables: variables) ?? firstFront
        let stats = try front.statsURL.flatMap { url -> (String, String?, String?)? in
            guard try front.statsWhen.map({ try holds(firstFront, $0, frontRole) }) ?? true else { return nil }
            return (try render(firstFront, url, frontRole, "stats url"),
                    try front.statsUser.map { try render(firstFront, $0, frontRole, "stats user") },
                    try front.statsPassword.map { try render(firstFront, $0, frontRole, "stats password") })
        }
        return SmokeTopology(
            front: vip ?? scope(firstFront)["ansible_host"]?.plainString ?? firstFront,
            frontPort: Int(try render(firstFront, front.port, frontRole, "port")) ?? 80,
            client: client,
            clientAddress: scope(client)["ansible_host"]?.plainString,
            webServers: try backends.map { host, role, backend in
                WebServer(host: host, answersAs: try render(host, backend.answersAs, role, "answers_as"),
                          stopCommand: try render(host, backend.stop, role, "stop"), startCommand: try render(host, backend.start, role, "start"))
            },
            balancers: fronts.map { host, _, front in Balancer(host: host, isMaster: host == master, service: front.service) },
            vip: vip,
            nopreempt: fronts.contains { host, _, _ in vipSpec?.nopreemptVariable.map { scope(host)[$0] == .bool(true) } ?? false },
            transparent: try holds(firstFront, front.clientAddressWhen, frontRole),
            expectsAlternation: try holds(firstFront, front.alternatesWhen, frontRole),
            statsURL: stats?.0,
            statsUser: stats?.1,
            statsPassword: stats?.2,
            probes: probes ? try RoleProbe.declared(hosts: hosts, roles: roles, variables: variables, renderer: renderer) : [])
    }
}

public struct SmokeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
