import Foundation

/// Which hosts back each other up, read from the roles' rollout data and the hosts' variables:
/// the VRRP peers of one virtual router, the backends of one balancer, the balancers in front
/// of each backend. The rollout never changes two serving hosts of one group at once.
public struct StackShape: Sendable {
    /// Hosts that back each other up, and why (for the output).
    public struct Group: Sendable, Equatable {
        public var reason: String
        public var hosts: [String]
    }

    /// The peers sharing one VIP.
    public struct VIPGroup: Sendable, Equatable {
        public var vip: String
        public var hosts: [String]
        public var priorities: [String: Int]
        public var advertIntervals: [String: Double] = [:]
        public var nopreempt: Bool
        public var handoverFile: String
        public var configFile: String?
        public var stop: String?
        public var start: String?

        /// How long a peer may take to preempt a holder whose priority dropped: its master-down
        /// interval (three adverts plus skew) at the slowest advert interval of the group, plus margin.
        public var preemptSeconds: Double {
            3 * (advertIntervals.values.max() ?? 1) + 1.5
        }

        /// The node that should hold the VIP when every peer is healthy: the one with the
        /// highest priority, when one has it alone (keepalived does not preempt an equal one).
        public var preferred: String? {
            guard let top = hosts.map({ priorities[$0] ?? 0 }).max(), hosts.filter({ (priorities[$0] ?? 0) == top }).count == 1 else { return nil }
            return hosts.first { (priorities[$0] ?? 0) == top }
        }

        /// What `host` writes to its track file to hand the VIP over: its priority lowered to 1,
        /// below every peer, so that preempting peers take over before it lets go; with
        /// nopreempt the peers would never take it, so a fault (-254) forces the hand-over.
        public func handoverValue(for host: String) -> Int {
            nopreempt ? -254 : -max(0, (priorities[host] ?? 100) - 1)
        }
    }

    /// A balancer in front of a backend host: where to drain it and under which server name.
    public struct Front: Sendable, Equatable {
        public var balancer: String
        public var server: String
        public var drain: RolloutSpec.Backends.Drain
        /// HAProxy's admin socket.
        public var socket: String?
        /// Apache: the balancer's name and the member's URL.
        public var balancerName: String?
        public var memberURL: String?
    }

    /// A health gate rendered for one host (a role's smoke probe marked gate).
    public struct Probe: Sendable, Equatable {
        public var name: String
        public var command: String
        public var timeoutSeconds: Double
    }

    public var groups: [Group] = []
    public var vipGroups: [VIPGroup] = []
    /// Backend host → the balancers in front of it.
    public var fronts: [String: [Front]] = [:]
    /// Host → its roles' health probes, rendered.
    public var probes: [String: [Probe]] = [:]
    /// Host → names of tasks and handlers that interrupt its service.
    public var interrupts: [String: Set<String>] = [:]
    /// Problems found reading the variables (a probe that does not render, a backend list that is no list).
    public var problems: [String] = []

    public init() {}

    /// Reads the shape from each host's roles and variables (role defaults under host variables).
    public static func from(hosts: [String], roles: [String: [Role]], variables: [String: [String: Value]],
                            renderer: TemplateRenderer = TemplateRenderer()) -> StackShape {
        var shape = StackShape()
        func text(_ host: String, _ key: String?) -> String? { key.flatMap { variables[host]?[$0]?.plainString } }
        var peerGroups: [String: [String]] = [:]
        var vipGroups: [String: VIPGroup] = [:]
        var order: [String] = []
        // Health gates: the roles' smoke probes marked gate, run on the host itself.
        do {
            for probe in try RoleProbe.declared(hosts: hosts, roles: roles, variables: variables, renderer: renderer, only: \.gate) {
                shape.probes[probe.host, default: []].append(Probe(name: probe.name, command: probe.command, timeoutSeconds: probe.timeoutSeconds))
            }
        } catch {
            shape.problems.append("\(error)")
        }
        for host in hosts {
            for role in roles[host] ?? [] {
                guard let spec = role.rollout else { continue }
                shape.interrupts[host, default: []].formUnion(spec.interrupts)
                if let peers = spec.peers, let value = text(host, peers) {
                    let key = "\(role.name) \(peers)=\(value)"
                    if peerGroups[key] == nil { order.append(key) }
                    peerGroups[key, default: []].append(host)
                }
                if let vip = spec.vip, let address = text(host, vip.addressVariable), !address.isEmpty {
                    let bare = String(address.split(separator: "/")[0])
                    var group = vipGroups[bare] ?? VIPGroup(vip: bare, hosts: [], priorities: [:], nopreempt: false, handoverFile: vip.handoverFile,
                                                            configFile: vip.configFile, stop: vip.stop, start: vip.start)
                    group.hosts.append(host)
                    group.priorities[host] = text(host, vip.priorityVariable).flatMap { Int($0) }
                    group.advertIntervals[host] = text(host, vip.advertIntervalVariable).flatMap { Double($0) }
                    if variables[host]?[vip.nopreemptVariable ?? ""] == .bool(true) { group.nopreempt = true }
                    vipGroups[bare] = group
                }
                if let backends = spec.backends {
                    shape.addFronts(of: host, backends: backends, hosts: hosts, variables: variables, text: text)
                }
            }
        }
        for key in order where (peerGroups[key]?.count ?? 0) > 1 {
            shape.groups.append(Group(reason: "VRRP peers (\(key.split(separator: " ").last ?? ""))", hosts: peerGroups[key] ?? []))
        }
        shape.vipGroups = vipGroups.values.filter { $0.hosts.count > 1 }.sorted { $0.vip < $1.vip }
        // The backends of each balancer back each other up (balancers with the same list share one group).
        var seen = Set<[String]>()
        for balancer in hosts {
            let backends = hosts.filter { shape.fronts[$0]?.contains { $0.balancer == balancer } == true }
            if backends.count > 1, seen.insert(backends).inserted {
                shape.groups.append(Group(reason: "backends of \(balancer)", hosts: backends))
            }
        }
        return shape
    }

    private mutating func addFronts(of balancer: String, backends: RolloutSpec.Backends, hosts: [String],
                                    variables: [String: [String: Value]], text: (String, String?) -> String?) {
        guard let value = variables[balancer]?[backends.listVariable] else { return }
        guard case .list(let entries) = value else {
            problems.append("\(balancer): \(backends.listVariable) must be a list of {name, address, port}")
            return
        }
        for entry in entries {
            guard case .map(let fields) = entry, let name = fields["name"]?.plainString, let address = fields["address"]?.plainString else { continue }
            // The backend is the host whose address (or name) the entry gives.
            guard let host = hosts.first(where: { text($0, "ansible_host") == address }) ?? hosts.first(where: { $0 == address || $0 == name }) else { continue }
            let port = fields["port"]?.plainString ?? "80"
            fronts[host, default: []].append(Front(balancer: balancer, server: name, drain: backends.drain, socket: backends.socket,
                                                   balancerName: text(balancer, backends.balancerVariable),
                                                   // Apache names a worker without the default port.
                                                   memberURL: port == "80" ? "http://\(address)" : "http://\(address):\(port)"))
        }
    }

    /// Whether two hosts must never change at the same time: they back each other up, or one
    /// balances the other (a balancer's reload would forget that a backend is drained).
    public func conflict(_ a: String, _ b: String) -> Bool {
        if groups.contains(where: { $0.hosts.contains(a) && $0.hosts.contains(b) }) { return true }
        return fronts[a]?.contains { $0.balancer == b } == true || fronts[b]?.contains { $0.balancer == a } == true
    }

    public func vipGroup(of host: String) -> VIPGroup? { vipGroups.first { $0.hosts.contains(host) } }
}
