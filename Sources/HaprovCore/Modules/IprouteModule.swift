import Foundation

/// `iproute`: policy routing rules (`ip rule`) and routes in a table (`ip route`), compared
/// with what the kernel prints, and re-applied at boot by haprov-iproute.service from
/// /etc/haprov/iproute.d/NAME.sh.
///
/// Arguments: name, rules (e.g. "fwmark 1 lookup 100"), routes (e.g. "local 0.0.0.0/0 dev lo"),
/// table (main), state (present, absent).
public struct IprouteModule: Module {
    public static let name = "iproute"
    static let folder = "/etc/haprov/iproute.d"
    static let bootUnit = BootUnit(name: "haprov-iproute", description: "haprov policy routing",
                                   execStart: "/bin/sh -c 'for f in \(folder)/*.sh; do [ -e \"$f\" ] && sh \"$f\"; done; exit 0'",
                                   ordering: "After=network-online.target\nWants=network-online.target")

    let entry: String
    let rules: [String]
    let routes: [String]
    let table: String
    let present: Bool

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["name", "rules", "routes", "table", "state"])
        entry = try args.requiredString("name")
        guard entry.isWord(rest: ASCIIClass("A-Za-z0-9_\\-")) else {
            throw ModuleError(argument: "name", message: "'\(entry)' must be letters, digits, - and _ (it names a file)")
        }
        // Rules and routes are words ip reads (keywords, addresses, prefixes, marks, devices):
        // parsed, each word checked, and re-joined; anything else is refused.
        func entries(_ argument: String, _ what: String, example: String) throws -> [String] {
            try args.strings(argument).map { spec in
                let words = (try? Shell.words(spec)) ?? []
                guard !words.isEmpty, words.allSatisfy({ $0.isWord(rest: ASCIIClass("A-Za-z0-9_.:/@%+,\\-")) }) else {
                    throw ModuleError(argument: argument, message: "'\(spec)' is not an ip \(what)", fix: "write what follows `ip \(what) add`, e.g. \(example)")
                }
                return Shell.join(words)
            }
        }
        rules = try entries("rules", "rule", example: "fwmark 1 lookup 100")
        routes = try entries("routes", "route", example: "local 0.0.0.0/0 dev lo")
        table = try args.string("table") ?? "main"
        guard table.isWord(rest: ASCIIClass("A-Za-z0-9_")) else {
            throw ModuleError(argument: "table", message: "'\(table)' is not a routing table (a number or a name)")
        }
        present = try args.choice("state", ["present", "absent"], default: "present") == "present"
        if rules.isEmpty, routes.isEmpty { throw ModuleError(argument: "rules", message: "iproute needs rules or routes") }
    }

    var liveQuery: FactQuery {
        FactQuery(key: "iproute:\(table)", command: "ip rule show; echo @@routes; ip route show table \(Shell.quote(table))")
    }

    /// Gateways named by `via`, made reachable in the throwaway namespace.
    var gateways: [String] {
        routes.compactMap { route in
            let words = route.split(separator: " ")
            return words.firstIndex(of: "via").flatMap { $0 + 1 < words.count ? String(words[$0 + 1]) : nil }
        }
    }

    /// Desired entries as the kernel prints them, made one by one in a throwaway network
    /// namespace: the lines each addition brings are that entry's canonical form.
    var canonicalQuery: FactQuery {
        let snapshot = "echo @@step; ip rule show; echo @@routes; ip route show table \(table)"
        var inner = ["ip link set lo up", "ip link add haprov0 type veth peer name haprov1", "ip link set haprov1 up", "ip link set haprov0 up", "ip addr add 192.0.2.1/24 dev haprov0"]
        inner += gateways.map { "ip route add \($0) dev haprov0 scope link 2>/dev/null || true" }
        inner.append(snapshot)
        for rule in rules { inner += ["ip rule add \(rule)", snapshot] }
        for route in routes { inner += ["ip route add \(route) table \(table)", snapshot] }
        return FactQuery(key: "iproute-canonical:\(table):\((rules + routes).joined(separator: "|"))",
                         command: "unshare -n sh -ec \(Shell.quote(inner.joined(separator: "\n")))")
    }

    var scriptPath: String { "\(Self.folder)/\(entry).sh" }

    var tableArg: String { "table \(table)" }

    /// The boot script re-adds the same entries; deleting first keeps rules from doubling.
    var bootScript: String? {
        guard present else { return nil }
        return "# Managed by haprov.\n" + rules.map { "ip rule del \($0) 2>/dev/null; ip rule add \($0)" }.joined(separator: "\n")
            + (rules.isEmpty ? "" : "\n") + routes.map { "ip route replace \($0) \(tableArg)" }.joined(separator: "\n") + "\n"
    }

    public var facts: [FactQuery] { [liveQuery, canonicalQuery, Facts.file(scriptPath, expecting: bootScript.map { Data($0.utf8) })] + Self.bootUnit.facts }

    static func split(_ text: String) -> (rules: [String], routes: [String]) {
        let parts = text.components(separatedBy: "@@routes")
        let rules = (parts.first ?? "").split(separator: "\n").map { line -> String in
            let text = String(line)
            // "32765:\tfrom all fwmark 0x1 lookup 100" -> "from all fwmark 0x1 lookup 100"
            guard let colon = text.firstIndex(of: ":") else { return text.trimmingCharacters(in: .whitespaces) }
            return text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let routes = (parts.count > 1 ? parts[1] : "").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return (rules, routes)
    }

    /// The canonical form of each rule and route, in argument order; nil when the namespace
    /// could not be made (the fallback normalisers then apply).
    func canonicalForms(_ output: String) -> (rules: [String], routes: [String])? {
        let snapshots = output.components(separatedBy: "@@step").dropFirst().map(Self.split)
        guard snapshots.count == rules.count + routes.count + 1 else { return nil }
        var canonicalRules: [String] = [], canonicalRoutes: [String] = []
        for index in 1..<snapshots.count {
            let before = snapshots[index - 1], after = snapshots[index]
            if index <= rules.count {
                guard let added = after.rules.first(where: { !before.rules.contains($0) }) else { return nil }
                canonicalRules.append(added)
            } else {
                guard let added = after.routes.first(where: { !before.routes.contains($0) }) else { return nil }
                canonicalRoutes.append(added)
            }
        }
        return (canonicalRules, canonicalRoutes)
    }

    /// Fallback canonical forms when no namespace can be made.
    func normalizeRule(_ rule: String) -> String {
        var words = rule.split(separator: " ").map(String.init)
        if let i = words.firstIndex(of: "fwmark"), i + 1 < words.count, let n = Int(words[i + 1]) { words[i + 1] = "0x" + String(n, radix: 16) }
        if let i = words.firstIndex(of: "table") { words[i] = "lookup" }
        return (words.first == "from" ? "" : "from all ") + words.joined(separator: " ")
    }

    func normalizeRoute(_ route: String) -> String {
        var text = route.replacingOccurrences(of: "0.0.0.0/0", with: "default")
        if text.hasPrefix("local "), text.contains("dev lo"), !text.contains("scope") { text += " scope host" }
        return text
    }

    /// A route given without a device matches a live route on any device (the kernel picks
    /// the one that reaches the gateway: host0 on the host, haprov0 in the namespace).
    static func withoutDevice(_ route: String) -> String {
        route.replacingOccurrences(of: #" dev \S+"#, with: "", options: .regularExpression)
    }

    func routePresent(_ spec: String, canonical: String, in live: [String]) -> Bool {
        if live.contains(canonical) { return true }
        guard !spec.split(separator: " ").contains("dev") else { return false }
        let wanted = Self.withoutDevice(canonical)
        return live.contains { Self.withoutDevice($0) == wanted }
    }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let live = Self.split(try facts.output(liveQuery).text)
        let canonical = try facts.output(canonicalQuery)
        let wantedRules: [String], wantedRoutes: [String]
        if canonical.exitStatus == 0, let made = canonicalForms(canonical.text) {
            wantedRules = made.rules
            wantedRoutes = made.routes
        } else {
            wantedRules = rules.map(normalizeRule)
            wantedRoutes = routes.map(normalizeRoute)
        }
        var changes: [Change] = []
        var script: [String] = []
        for (rule, canonicalRule) in zip(rules, wantedRules) {
            let there = live.rules.contains(canonicalRule)
            if present, !there { script.append("ip rule add \(rule)"); changes.append(summary("add rule: \(rule)")) }
            if !present, there { script.append("ip rule del \(rule)"); changes.append(summary("delete rule: \(rule)")) }
        }
        for (route, canonicalRoute) in zip(routes, wantedRoutes) {
            let there = routePresent(route, canonical: canonicalRoute, in: live.routes)
            if present, !there { script.append("ip route replace \(route) \(tableArg)"); changes.append(summary("add route: \(route) (\(tableArg))")) }
            if !present, there { script.append("ip route del \(route) \(tableArg)"); changes.append(summary("delete route: \(route) (\(tableArg))")) }
        }
        var plan: [Change] = []
        if !script.isEmpty {
            plan.append(Change(summary: changes.map(\.summary).joined(separator: "; "), script: "set -e\n" + script.joined(separator: "\n"), touches: [.routing]))
        }
        let boot = bootScript
        let current = try RemoteFile(parsing: facts.output(Facts.file(scriptPath)))
        if let boot, !current.holds(Data(boot.utf8)) {
            plan.append(Change(summary: "persist in \(scriptPath)", script: FileScripts.atomicWrite(path: scriptPath, mode: 0o644, owner: nil, group: nil, validate: nil, backup: false),
                               stdin: Data(boot.utf8), touches: [.file(scriptPath)]))
        } else if boot == nil, current.kind != .absent {
            plan.append(Change(summary: "remove \(scriptPath)", script: "rm -f \(Shell.quote(scriptPath))", touches: [.file(scriptPath)]))
        }
        if present { plan += try Self.bootUnit.plan(facts) }
        return Plan(plan)
    }

    private func summary(_ text: String) -> Change { Change(summary: text, script: "") }
}
