import Foundation

/// `firewall`: lets in exactly what the stack needs where the host filters what comes in:
/// ufw when it is enabled (Ubuntu's tool, seed 001's `ufw allow 80`), else an iptables INPUT
/// chain whose policy drops, else an nftables input chain whose policy drops. A host that
/// filters nothing gets nothing; nothing else is opened, and check reports a firewall that
/// blocks the stack.
///
/// Arguments: allow: a list of {port, proto: tcp|udp} or {proto: vrrp} (VRRP is IP protocol
/// 112), each with an optional `from` (an address, a network, or a list of them).
public struct FirewallModule: Module {
    public static let name = "firewall"

    struct Rule: Equatable, CustomStringConvertible {
        var proto: String
        var port: Int?
        var source: String?

        var description: String {
            (port.map { "\($0)/\(proto)" } ?? proto) + (source.map { " from \($0)" } ?? "")
        }
    }

    let rules: [Rule]

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["allow"])
        guard case .list(let items)? = args.values["allow"] else {
            throw ModuleError(argument: "allow", message: "firewall needs allow: a list of {port: 80, proto: tcp} or {proto: vrrp, from: ADDRESS}")
        }
        var rules: [Rule] = []
        for (index, item) in items.enumerated() {
            let place = "allow[\(index)]"
            guard case .map(let fields) = item else { throw ModuleError(argument: place, message: "expected {port: 80, proto: tcp} or {proto: vrrp, from: ADDRESS}") }
            if let unknown = fields.keys.sorted().first(where: { !["port", "proto", "from"].contains($0) }) {
                throw ModuleError(argument: place, message: "unknown key \(unknown)", fix: "keys: port, proto, from")
            }
            let proto = fields["proto"]?.plainString ?? "tcp"
            guard ["tcp", "udp", "vrrp"].contains(proto) else { throw ModuleError(argument: place + ".proto", message: "'\(proto)' is not tcp, udp or vrrp") }
            var port: Int?
            if let value = fields["port"] {
                guard let p = value.intValue, (1...65535).contains(p) else { throw ModuleError(argument: place + ".port", message: "'\(value.plainString ?? "?")' is not a port from 1 to 65535") }
                port = p
            }
            if proto == "vrrp", port != nil { throw ModuleError(argument: place, message: "VRRP has no port", fix: "write {proto: vrrp, from: ADDRESS}") }
            if proto != "vrrp", port == nil { throw ModuleError(argument: place + ".port", message: "\(proto) needs a port") }
            var sources: [String?] = [nil]
            switch fields["from"] {
            case nil, .null?: break
            case .list(let list)?:
                sources = list.compactMap(\.plainString)
                // Nobody to let in (no peer known): nothing is opened.
                if sources.isEmpty { continue }
            case let value?:
                guard let text = value.plainString else { throw ModuleError(argument: place + ".from", message: "expected an address or a list of them") }
                sources = [text]
            }
            for source in sources {
                if let source, !IPv4Address.isNetwork(source) {
                    throw ModuleError(argument: place + ".from", message: "'\(source)' is not an IPv4 address or network")
                }
                // A single address is written without /32, as ufw, iptables and nft print it back.
                rules.append(Rule(proto: proto, port: port, source: source.map { $0.hasSuffix("/32") ? String($0.dropLast(3)) : $0 }))
            }
        }
        self.rules = rules
    }

    /// Which firewall filters what comes in, and its rules, in one command.
    static let query = FactQuery(key: "firewall", command: """
        if [ -r /etc/ufw/ufw.conf ] && grep -qiE '^ENABLED=(yes|"yes")' /etc/ufw/ufw.conf && command -v ufw >/dev/null 2>&1; then
          echo ufw; grep '^### tuple ###' /etc/ufw/user.rules 2>/dev/null; true
        elif command -v iptables >/dev/null 2>&1 && r=$(exec iptables -S INPUT 2>/dev/null) && case "$r" in "-P INPUT DROP"*|"-P INPUT REJECT"*) true;; *) false;; esac; then
          echo iptables; printf '%s\n' "$r"
        elif command -v nft >/dev/null 2>&1 && c=$(nft list chains 2>/dev/null | awk '/^table /{t=$2" "$3} /chain /{c=$2} /hook input/ && /policy drop/ {print t" "c; exit}') && [ -n "$c" ]; then
          echo "nftables $c"; nft list chain $c
        else
          echo none
        fi
        haprov_firewall=$?; unset r c; [ "$haprov_firewall" -eq 0 ]
        """, ownShell: false)

    public var facts: [FactQuery] { [Self.query] }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let output = try facts.output(Self.query)
        guard output.exitStatus == 0 else { throw ModuleError(message: "cannot read the firewall: \(output.text)") }
        var lines = output.text.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { return Plan() }
        let kind = lines.removeFirst().split(separator: " ").map(String.init)
        let missing: [Rule]
        let scripts: [String]
        switch kind.first {
        case "ufw":
            missing = rules.filter { rule in !lines.contains { Self.ufwTuple($0, allows: rule) } }
            scripts = missing.map(Self.ufwCommand)
        case "iptables":
            missing = rules.filter { rule in !lines.contains { Self.iptablesLine($0, allows: rule) } }
            scripts = missing.map { "iptables -I INPUT " + Self.iptablesMatch($0) + " -j ACCEPT" }
                + (missing.isEmpty ? [] : ["if [ -d /etc/iptables ]; then iptables-save > /etc/iptables/rules.v4; fi"])
        case "nftables" where kind.count == 4:
            // Names read back from the host reach a root shell: plain names only.
            guard kind[1...3].allSatisfy({ $0.isWord(first: ASCIIClass("A-Za-z_"), rest: ASCIIClass("A-Za-z0-9_.\\-"), lengths: 1...64) }) else {
                throw ModuleError(message: "the nftables chain \(kind[1...3].joined(separator: " ")) has a name haprov does not write rules into", fix: "let the stack in by hand")
            }
            let chain = kind[1...3].joined(separator: " ")
            let present = Set(lines.map { $0.trimmingCharacters(in: .whitespaces) })
            missing = rules.filter { rule in Self.nftRules(rule).allSatisfy { !present.contains($0) } }
            scripts = missing.map { "nft insert rule \(chain) \(Self.nftMatch($0)) accept" }
        default:
            return Plan()
        }
        guard !missing.isEmpty else { return Plan() }
        let what = kind.first == "nftables" ? "nftables (\(kind[1...].joined(separator: " ")))" : kind[0]
        let touches: [Touch] = kind.first == "ufw" ? [.file("/etc/ufw/user.rules"), .file("/etc/ufw/user6.rules")] : [.firewall]
        return Plan([Change(summary: "\(what) blocks \(missing.map(\.description).joined(separator: ", ")): allow \(missing.count == 1 ? "it" : "them")",
                            script: "set -e\n" + scripts.joined(separator: "\n"), touches: touches)])
    }

    // ufw's own words: `### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in`
    // (action, protocol, destination port, destination, source port, source, direction).
    static func ufwTuple(_ line: String, allows rule: Rule) -> Bool {
        let fields = line.replacingOccurrences(of: "### tuple ###", with: "").split(separator: " ").map(String.init)
        guard fields.count >= 7, fields[0] == "allow", fields[6] == "in" else { return false }
        let protoMatches = fields[1] == rule.proto || fields[1] == "any"
        let portMatches = rule.port.map { fields[2] == String($0) } ?? (fields[2] == "any")
        let sourceMatches = fields[5] == "0.0.0.0/0" || fields[5] == (rule.source ?? "0.0.0.0/0")
        return protoMatches && portMatches && sourceMatches && (fields[3] == "0.0.0.0/0" || fields[3] == "any")
    }

    static func ufwCommand(_ rule: Rule) -> String {
        if rule.proto == "vrrp" { return "ufw allow proto vrrp from \(rule.source ?? "any")" }
        if let source = rule.source { return "ufw allow from \(source) to any port \(rule.port!) proto \(rule.proto)" }
        return "ufw allow \(rule.port!)/\(rule.proto)"
    }

    static func iptablesMatch(_ rule: Rule) -> String {
        var words = rule.source.map { ["-s", $0] } ?? []
        // VRRP by number: a minimal host may have no /etc/protocols to name it.
        words += ["-p", rule.proto == "vrrp" ? "112" : rule.proto]
        if let port = rule.port { words += ["--dport", String(port)] }
        return words.joined(separator: " ")
    }

    // `-A INPUT -s 10.0.0.3/32 -p tcp -m tcp --dport 80 -j ACCEPT` as iptables -S prints it.
    static func iptablesLine(_ line: String, allows rule: Rule) -> Bool {
        let words = line.split(separator: " ").map(String.init)
        guard words.first == "-A", words.last == "ACCEPT" else { return false }
        func value(_ flag: String) -> String? { words.firstIndex(of: flag).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } }
        let proto = value("-p")
        guard proto == rule.proto || (rule.proto == "vrrp" && proto == "112") else { return false }
        if let port = rule.port, value("--dport") != String(port) { return false }
        // A rule limited to an interface or a destination does not let everything in.
        if words.contains("-i") || words.contains("-d") { return false }
        if let source = value("-s") { return rule.source.map { $0 == source || $0 + "/32" == source } ?? false }
        return true
    }

    static func nftMatch(_ rule: Rule, vrrpName: String = "112") -> String {
        var words = rule.source.map { ["ip", "saddr", $0] } ?? []
        if rule.proto == "vrrp" { words += ["ip", "protocol", vrrpName] } else { words += [rule.proto, "dport", String(rule.port!)] }
        return words.joined(separator: " ")
    }

    /// The whole rule lines nft may print for `rule` (VRRP by name or by number).
    static func nftRules(_ rule: Rule) -> [String] {
        [nftMatch(rule, vrrpName: "vrrp") + " accept", nftMatch(rule) + " accept"]
    }
}
