import Foundation
import Yams

/// What a role tells haprov about changing its hosts while the stack serves, read from
/// `Roles/NAME/meta/rollout.yml`. Data, so that a teacher can change it without recompiling.
///
/// ```yaml
/// peers: keepalived_router_id          # hosts with the same value back each other up
/// vip: {address: keepalived_vip, handover_file: /run/haprov-vrrp-handover}
/// backends: {list: haproxy_backends, drain: haproxy, socket: /run/haproxy/admin.sock}
/// interrupts: [restart web]            # tasks or handlers that interrupt the service
/// ```
/// Health gates are the role's smoke probes marked `gate: true` (meta/smoke.yml).
public struct RolloutSpec: Sendable, Equatable {
    /// A variable: hosts of this role with the same value are redundant (never changed together).
    public var peers: String?
    public var vip: VIP?
    public var backends: Backends?
    /// Names of tasks and handlers whose change interrupts this host's service.
    public var interrupts: [String] = []

    /// A virtual address shared by the peers; the holder hands it over through a keepalived
    /// `vrrp_track_file` before an interrupting change.
    public struct VIP: Sendable, Equatable {
        public var addressVariable: String
        public var handoverFile: String
        /// Variables giving a node's VRRP priority and whether the peers preempt.
        public var priorityVariable: String?
        public var nopreemptVariable: String?
        /// The advertisement interval (seconds): a peer takes over within three of them.
        public var advertIntervalVariable: String?
        /// The config that must name `handoverFile` for the hand-over to work; where the running
        /// config does not yet, the service is stopped instead (`stop`).
        public var configFile: String?
        public var stop: String?
        /// Starts the service again when a hand-over by `stop` found no peer to take the VIP.
        public var start: String?
    }

    /// The servers this role balances (a list of {name, address, port}), and how to drain one.
    public struct Backends: Sendable, Equatable {
        public enum Drain: String, Sendable, CaseIterable { case haproxy, apache }
        public var listVariable: String
        public var drain: Drain
        /// HAProxy's admin socket, or Apache's balancer name variable.
        public var socket: String?
        public var balancerVariable: String?
    }

    public init() {}

    static let keys = ["peers", "vip", "backends", "interrupts"]

    /// Reads `meta/rollout.yml`; every problem at once, with file:line:column.
    static func load(_ path: String) throws -> RolloutSpec {
        let document = try YAMLDocument(path: path)
        var spec = RolloutSpec()
        guard let root = document.root else { return spec }
        guard case .mapping(let mapping) = root else {
            throw LoadError(problems: [Diagnostic(location: document.location(root), message: "rollout.yml is a mapping of \(keys.joined(separator: ", "))")])
        }
        var problems: [Diagnostic] = []
        func text(_ node: Node, _ what: String) -> String? {
            if case .string(let s) = YAMLDocument.value(node), !s.isEmpty { return s }
            problems.append(Diagnostic(location: document.location(node), message: "\(what) must be a non-empty string"))
            return nil
        }
        func fields(_ node: Node, allowed: [String], _ what: String) -> [String: Node] {
            guard case .mapping(let inner) = node else {
                problems.append(Diagnostic(location: document.location(node), message: "\(what) must be a mapping of \(allowed.joined(separator: ", "))"))
                return [:]
            }
            var result: [String: Node] = [:]
            for (key, value) in inner {
                let name = key.string ?? ""
                if allowed.contains(name) { result[name] = value } else {
                    problems.append(Diagnostic(location: document.location(key), message: "unknown key \(name) in \(what)",
                                                fix: Suggest.nearest(name, in: allowed).map { "did you mean \($0)?" } ?? "keys: \(allowed.joined(separator: ", "))"))
                }
            }
            return result
        }
        for (key, value) in mapping {
            switch key.string ?? "" {
            case "peers":
                spec.peers = text(value, "peers (the variable whose value groups redundant hosts)")
            case "vip":
                let f = fields(value, allowed: ["address", "handover_file", "priority", "nopreempt", "advert_int", "config_file", "stop", "start"], "vip")
                if let a = f["address"].flatMap({ text($0, "vip.address") }), let h = f["handover_file"].flatMap({ text($0, "vip.handover_file") }) {
                    spec.vip = VIP(addressVariable: a, handoverFile: h, priorityVariable: f["priority"].flatMap { text($0, "vip.priority") },
                                   nopreemptVariable: f["nopreempt"].flatMap { text($0, "vip.nopreempt") },
                                   advertIntervalVariable: f["advert_int"].flatMap { text($0, "vip.advert_int") },
                                   configFile: f["config_file"].flatMap { text($0, "vip.config_file") }, stop: f["stop"].flatMap { text($0, "vip.stop") },
                                   start: f["start"].flatMap { text($0, "vip.start") })
                } else if f["address"] == nil || f["handover_file"] == nil {
                    problems.append(Diagnostic(location: document.location(value), message: "vip needs address and handover_file"))
                }
                if let file = spec.vip?.handoverFile, !file.hasPrefix("/") {
                    problems.append(Diagnostic(location: document.location(value), message: "vip.handover_file must be an absolute path"))
                }
            case "backends":
                let f = fields(value, allowed: ["list", "drain", "socket", "balancer"], "backends")
                let list = f["list"].flatMap { text($0, "backends.list") }
                let drainText = f["drain"].flatMap { text($0, "backends.drain") }
                let drain = drainText.flatMap(Backends.Drain.init(rawValue:))
                if drainText != nil, drain == nil, let node = f["drain"] {
                    problems.append(Diagnostic(location: document.location(node), message: "backends.drain is haproxy or apache"))
                }
                if let list, let drain {
                    spec.backends = Backends(listVariable: list, drain: drain, socket: f["socket"].flatMap { text($0, "backends.socket") },
                                             balancerVariable: f["balancer"].flatMap { text($0, "backends.balancer") })
                    if drain == .haproxy, spec.backends?.socket == nil {
                        problems.append(Diagnostic(location: document.location(value), message: "backends with drain haproxy need socket (the admin socket)"))
                    }
                    if drain == .apache, spec.backends?.balancerVariable == nil {
                        problems.append(Diagnostic(location: document.location(value), message: "backends with drain apache need balancer (the variable naming the balancer)"))
                    }
                } else if list == nil || drain == nil, f["list"] == nil || f["drain"] == nil {
                    problems.append(Diagnostic(location: document.location(value), message: "backends needs list and drain"))
                }
            case "interrupts":
                guard case .list(let items) = YAMLDocument.value(value), items.allSatisfy({ $0.plainString != nil }) else {
                    problems.append(Diagnostic(location: document.location(value), message: "interrupts is a list of task or handler names"))
                    continue
                }
                spec.interrupts = items.compactMap(\.plainString)
            case "health":
                problems.append(Diagnostic(location: document.location(key), message: "health probes are smoke probes now",
                                            fix: "move them to meta/smoke.yml under probes:, each with gate: true"))
            default:
                let name = key.string ?? ""
                problems.append(Diagnostic(location: document.location(key), message: "unknown key \(name) in rollout.yml",
                                            fix: Suggest.nearest(name, in: keys).map { "did you mean \($0)?" } ?? "keys: \(keys.joined(separator: ", "))"))
            }
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return spec
    }
}
