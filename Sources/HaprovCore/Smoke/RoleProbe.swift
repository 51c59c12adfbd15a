import Foundation

/// A probe a role declares (`meta/smoke.yml` probes), rendered for one host of that role: where
/// it runs and the one shell command that checks it. The smoke tests run it as a test of its
/// own; a gate also runs as the rollout's health check of that host. Both read only the exit
/// status (0: passed) and what it printed, so the role's words mean the same in both places.
public struct RoleProbe: Sendable, Equatable {
    public var name: String
    /// The host whose role declares the probe.
    public var host: String
    /// The host it runs on: `host` itself, or the host or group the probe names in `from`.
    public var runsOn: String
    /// Exits 0 when the probe passes; prints what it saw, last, on at most a few lines.
    public var command: String
    public var timeoutSeconds: Double
    public var gate: Bool

    /// Its row in the results: "the app answers (web1)".
    public var title: String { "\(name) (\(host))" }

    /// The checking command for a probe: a command's exit status and output, or an HTTP answer's
    /// status and body, with `contains` looked for in what came back.
    public static func command(_ action: SmokeSpec.Probe.Action, contains: String?, status: Int, timeoutSeconds: Double) -> String {
        let seeks = contains.map { "case \"$out\" in *\(Shell.quote($0))*) ;; *) echo \(Shell.quote("@@ no \"\($0)\" in the answer")); exit 1;; esac\n" } ?? ""
        switch action {
        case .command(let command):
            return """
                out=$( { \(command)
                } 2>&1 ); rc=$?; printf '%s\\n' "$out" | tail -n 3
                [ $rc -eq 0 ] || { echo "@@ exit status $rc"; exit 1; }
                \(seeks)
                """
        case .http(let url):
            let seconds = max(1, Int(timeoutSeconds.rounded(.up)))
            return """
                command -v curl >/dev/null || { echo '@@ curl is missing (apt-get install curl)'; exit 127; }
                out=$(curl -sS -m \(min(seconds, 10)) -w '\\n@@%{http_code}' \(Shell.quote(url)) 2>&1); code=${out##*@@}; out=${out%@@*}
                printf '%s\\n' "$out" | tail -n 2
                [ "$code" = \(status) ] || { echo "@@ HTTP $code, expected \(status)"; exit 1; }
                \(seeks)echo "@@ HTTP $code"
                """
        }
    }

    /// What the probe's output says, for a results row: its "@@" verdict, else its last line.
    static func summary(_ output: String) -> String {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let verdict = lines.last(where: { $0.hasPrefix("@@") }) { return String(verdict.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        return String((lines.last ?? "exit status 0").prefix(160))
    }

    /// Every probe of the hosts' roles, rendered with each host's variables; `from` resolved to
    /// a host among `hosts` (a host's name, or the first host of a group).
    static func declared(hosts: [String], roles: [String: [Role]], variables: [String: [String: Value]],
                         renderer: TemplateRenderer, only wanted: (SmokeSpec.Probe) -> Bool = { _ in true }) throws -> [RoleProbe] {
        var probes: [RoleProbe] = []
        for host in hosts {
            var scope = variables[host] ?? [:]
            if scope["ansible_host"] == nil { scope["ansible_host"] = .string(host) }
            for role in roles[host] ?? [] {
                for probe in role.smoke?.probes ?? [] where wanted(probe) {
                    let place = "\(role.directory)/meta/smoke.yml: probe \(probe.name)"
                    func render(_ text: String) throws -> String {
                        do { return try renderer.render(text, name: place, variables: scope) } catch { throw SmokeError("\(host): \(error)") }
                    }
                    var runsOn = host
                    if let from = try probe.from.map(render) {
                        guard let found = SmokeTopology.host(named: from, among: hosts, variables: variables) else {
                            throw SmokeError("\(place): from: \(from) is no host or group among the selected hosts (fix: name a host or group of the inventory)")
                        }
                        runsOn = found
                    }
                    let action: SmokeSpec.Probe.Action
                    switch probe.action {
                    case .command(let text): action = .command(try render(text))
                    case .http(let text): action = .http(try render(text))
                    }
                    probes.append(RoleProbe(name: try render(probe.name), host: host, runsOn: runsOn,
                                            command: command(action, contains: try probe.contains.map(render), status: probe.status,
                                                             timeoutSeconds: probe.timeoutSeconds),
                                            timeoutSeconds: probe.timeoutSeconds, gate: probe.gate))
                }
            }
        }
        return probes
    }
}
