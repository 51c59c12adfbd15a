import Foundation
import Yams

/// What a role tells the smoke tests, read from `Roles/NAME/meta/smoke.yml`: its hosts are the
/// stack's front (where clients send requests) or a backend (a server that answers them). The
/// values are templates rendered with each host's variables; `*_when` keys are conditions, as in
/// `when:`. The probes themselves (round robin, stats page, failover, VIP) are haprov's; the role
/// says against what they run, so a teacher can rename a role or its variables freely.
///
/// ```yaml
/// front:
///   port: "{{ haproxy_frontend_ports.0 }}"
///   service: haproxy                      # stopped on the VIP holder for the VIP failover test
///   alternates_when: haproxy_balance == "roundrobin"
///   client_address_when: haproxy_mode == "tcp"
///   stats: {when: haproxy_stats, url: "http://{{ ansible_host }}:{{ haproxy_stats_port }}/stats", user: ..., password: ...}
/// backend:
///   answers_as: "{{ web_name }}"
///   stop: systemctl stop haprov-web
///   start: systemctl start haprov-web
/// probes:                                 # the role's own checks, one result per host of the role
///   - name: the app answers
///     http: "http://127.0.0.1:{{ web_port }}/"    # or command: a shell command, passes on exit 0
///     contains: Serveur                   # the answer must contain this (optional)
///     from: clients                       # a host or group of the inventory (default: the host itself)
///     gate: true                          # also the rollout's health gate for this host
/// ```
public struct SmokeSpec: Sendable, Equatable {
    public struct Front: Sendable, Equatable {
        public var port: String = "80"
        public var service: String
        public var alternatesWhen: String?
        public var clientAddressWhen: String?
        public var statsWhen: String?
        public var statsURL: String?
        public var statsUser: String?
        public var statsPassword: String?
    }

    public struct Backend: Sendable, Equatable {
        public var answersAs: String
        public var stop: String
        public var start: String
    }

    /// A check a role declares: run on `from` (a host or group; nil for the role's host itself),
    /// passes when the command exits 0, or the HTTP answer has `status`, and the answer contains
    /// `contains`. All values are templates, rendered with the role's host's variables.
    public struct Probe: Sendable, Equatable {
        public enum Action: Sendable, Equatable { case command(String), http(String) }
        public var name: String
        public var action: Action
        public var from: String?
        public var contains: String?
        public var status: Int = 200
        public var timeoutSeconds: Double = 20
        /// Also a health gate of the rollout (run on the host itself before and after it changes).
        public var gate = false
    }

    public var front: Front?
    public var backend: Backend?
    public var probes: [Probe] = []

    public init() {}

    /// Reads `meta/smoke.yml`; every problem at once, with file:line:column.
    static func load(_ path: String) throws -> SmokeSpec {
        let document = try YAMLDocument(path: path)
        var spec = SmokeSpec()
        guard let root = document.root else { return spec }
        var problems: [Diagnostic] = []
        func mapping(_ node: Node, allowed: [String], _ what: String) -> [String: String] {
            guard case .map(let entries) = YAMLDocument.value(node) else {
                problems.append(Diagnostic(location: document.location(node), message: "\(what) must be a mapping of \(allowed.joined(separator: ", "))"))
                return [:]
            }
            var result: [String: String] = [:]
            for (key, value) in entries {
                guard allowed.contains(key) else {
                    problems.append(Diagnostic(location: document.location(node), message: "unknown key \(key) in \(what)",
                                                fix: Suggest.nearest(key, in: allowed).map { "did you mean \($0)?" } ?? "keys: \(allowed.joined(separator: ", "))"))
                    continue
                }
                if case .map = value { continue }
                guard let text = value.plainString else {
                    problems.append(Diagnostic(location: document.location(node), message: "\(what).\(key) must be a string"))
                    continue
                }
                result[key] = text
            }
            return result
        }
        guard case .mapping(let top) = root else {
            throw LoadError(problems: [Diagnostic(location: document.location(root), message: "smoke.yml is a mapping of front, backend, probes")])
        }
        func probes(_ node: Node) -> [Probe] {
            guard case .sequence(let items) = node else {
                problems.append(Diagnostic(location: document.location(node), message: "probes is a list of {name, command or http, contains, from, gate}"))
                return []
            }
            return items.compactMap { item -> Probe? in
                let f = mapping(item, allowed: ["name", "command", "http", "contains", "from", "status", "timeout", "gate"], "a probe")
                guard let name = f["name"], !name.isEmpty else {
                    problems.append(Diagnostic(location: document.location(item), message: "a probe needs a name (its row in the results)"))
                    return nil
                }
                let action: Probe.Action
                switch (f["command"], f["http"]) {
                case (let command?, nil) where !command.trimmingCharacters(in: .whitespaces).isEmpty: action = .command(command)
                case (nil, let url?) where !url.trimmingCharacters(in: .whitespaces).isEmpty: action = .http(url)
                default:
                    problems.append(Diagnostic(location: document.location(item), message: "probe \(name) needs either command or http",
                                                fix: "command: a shell command that exits 0, or http: a URL asked with curl"))
                    return nil
                }
                var probe = Probe(name: name, action: action, from: f["from"], contains: f["contains"])
                if let status = f["status"] {
                    guard let code = Int(status), (100...599).contains(code), case .http = action else {
                        problems.append(Diagnostic(location: document.location(item), message: "probe \(name): status is an HTTP status (100-599) of an http probe"))
                        return nil
                    }
                    probe.status = code
                }
                if let timeout = f["timeout"] {
                    guard let seconds = Double(timeout), seconds > 0 else {
                        problems.append(Diagnostic(location: document.location(item), message: "probe \(name): timeout is a number of seconds"))
                        return nil
                    }
                    probe.timeoutSeconds = seconds
                }
                if let gate = f["gate"] {
                    guard let on = Bool(gate.lowercased()) ?? (["yes", "no"].contains(gate.lowercased()) ? gate.lowercased() == "yes" : nil) else {
                        problems.append(Diagnostic(location: document.location(item), message: "probe \(name): gate is true or false"))
                        return nil
                    }
                    probe.gate = on
                }
                if probe.gate, probe.from != nil {
                    problems.append(Diagnostic(location: document.location(item), message: "probe \(name): a gate runs on the host that changes",
                                                fix: "drop from:, or gate:"))
                    return nil
                }
                return probe
            }
        }
        for (key, node) in top {
            switch key.string ?? "" {
            case "front":
                let f = mapping(node, allowed: ["port", "service", "alternates_when", "client_address_when", "stats"], "front")
                var stats: [String: String] = [:]
                if case .mapping(let inner) = node, let statsNode = inner.first(where: { $0.key.string == "stats" })?.value {
                    stats = mapping(statsNode, allowed: ["when", "url", "user", "password"], "front.stats")
                    if stats["url"] == nil { problems.append(Diagnostic(location: document.location(statsNode), message: "front.stats needs url")) }
                }
                guard let service = f["service"] else {
                    problems.append(Diagnostic(location: document.location(node), message: "front needs service (the unit the VIP failover test stops)"))
                    continue
                }
                spec.front = Front(port: f["port"] ?? "80", service: service, alternatesWhen: f["alternates_when"], clientAddressWhen: f["client_address_when"],
                                   statsWhen: stats["when"], statsURL: stats["url"], statsUser: stats["user"], statsPassword: stats["password"])
            case "backend":
                let f = mapping(node, allowed: ["answers_as", "stop", "start"], "backend")
                guard let answers = f["answers_as"], let stop = f["stop"], let start = f["start"] else {
                    problems.append(Diagnostic(location: document.location(node), message: "backend needs answers_as, stop and start"))
                    continue
                }
                spec.backend = Backend(answersAs: answers, stop: stop, start: start)
            case "probes":
                spec.probes = probes(node)
            default:
                let name = key.string ?? ""
                problems.append(Diagnostic(location: document.location(key), message: "unknown key \(name) in smoke.yml",
                                            fix: Suggest.nearest(name, in: ["front", "backend", "probes"]).map { "did you mean \($0)?" } ?? "keys: front, backend, probes"))
            }
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return spec
    }
}
