import Foundation

/// `iptables`: the rules of one chain, in order, compared exactly with `iptables -S`.
///
/// A chain haprov creates (DIVERT) is owned: exactly these rules, extra ones removed. In a
/// built-in chain (PREROUTING) these rules must be present, others are left alone. Desired
/// rules are canonicalised by iptables itself in a throwaway network namespace, so
/// `--set-mark 1` compares equal to the `--set-xmark 0x1/0xffffffff` that iptables prints.
/// Rules are saved to /etc/haprov/iptables.rules and restored at boot by haprov-iptables.service.
///
/// Arguments: table (filter), chain, rules (list), state (present, absent), exclusive.
public struct IptablesModule: Module {
    public static let name = "iptables"
    static let builtinChains: Set<String> = ["INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"]
    static let targets: Set<String> = ["ACCEPT", "DROP", "RETURN", "QUEUE", "REJECT", "LOG", "MARK", "CONNMARK", "TPROXY", "DNAT", "SNAT",
                                       "MASQUERADE", "REDIRECT", "NOTRACK", "CT", "TCPMSS", "NFLOG", "DSCP", "TOS", "CLASSIFY", "TTL"]
    static let savedRules = "/etc/haprov/iptables.rules"
    static let bootUnit = BootUnit(name: "haprov-iptables", description: "haprov firewall rules",
                                   execStart: "/usr/sbin/iptables-restore -w \(savedRules)",
                                   ordering: "Before=network-pre.target\nWants=network-pre.target")

    let table: String
    let chain: String
    let rules: [String]
    let present: Bool
    let exclusive: Bool

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["table", "chain", "rules", "rule", "state", "exclusive"])
        table = try args.choice("table", ["filter", "nat", "mangle", "raw"], default: "filter")
        chain = try args.requiredString("chain")
        guard chain.isWord(rest: ASCIIClass("A-Za-z0-9_\\-"), lengths: 1...28) else {
            throw ModuleError(argument: "chain", message: "'\(chain)' is not a chain name")
        }
        // Each rule is parsed into its words and re-joined quoted: what reaches the shell is
        // exactly the rule's arguments, and what is not a rule is refused.
        rules = try (args.strings("rules") + args.strings("rule")).map { rule in
            let words: [String]
            do { words = try Shell.words(rule) } catch let error as ShellWordsError {
                throw ModuleError(argument: "rules", message: "'\(rule)' is not an iptables rule: \(error.reason)",
                                  fix: "write the rule's arguments only, e.g. -p tcp --dport 80 -j ACCEPT; quote a comment with \"...\"")
            }
            guard let first = words.first, first.hasPrefix("-") else {
                throw ModuleError(argument: "rules", message: "'\(rule)' is not an iptables rule: a rule is options such as -p, -m, -j",
                                  fix: "write what follows `iptables -A CHAIN`, e.g. -p tcp -m socket -j DIVERT")
            }
            return Shell.join(words)
        }
        present = try args.choice("state", ["present", "absent"], default: "present") == "present"
        exclusive = try args.bool("exclusive", default: !Self.builtinChains.contains(chain))
    }

    var liveQuery: FactQuery { FactQuery(key: "iptables:\(table)", command: "iptables -w -t \(table) -S") }

    /// Desired rules as iptables prints them, made in a network namespace that disappears.
    var canonicalQuery: FactQuery {
        let jumps = Set(rules.compactMap { rule -> String? in
            let words = rule.split(separator: " ").map(String.init)
            guard let i = words.firstIndex(where: { $0 == "-j" || $0 == "-g" }), i + 1 < words.count else { return nil }
            return Self.targets.contains(words[i + 1]) || Self.builtinChains.contains(words[i + 1]) ? nil : words[i + 1]
        }).union(Self.builtinChains.contains(chain) ? [] : [chain]).sorted()
        var inner = jumps.map { "iptables -t \(table) -N \($0)" }
        inner += rules.map { "iptables -t \(table) -A \(chain) \($0)" }
        inner.append("iptables -t \(table) -S \(chain)")
        return FactQuery(key: "iptables-canonical:\(table):\(chain):\(rules.joined(separator: "|"))",
                         command: "unshare -n sh -ec \(Shell.quote(inner.joined(separator: "\n")))")
    }

    public var facts: [FactQuery] { [liveQuery, canonicalQuery, Facts.file(Self.savedRules)] + Self.bootUnit.facts }

    /// Best-effort canonical form when no namespace can be made (no CAP_SYS_ADMIN).
    func normalize(_ rule: String) -> String {
        var words = rule.split(separator: " ").map(String.init)
        if let i = words.firstIndex(of: "--set-mark"), i + 1 < words.count, let n = Int(words[i + 1]) {
            words[i] = "--set-xmark"
            words[i + 1] = "0x\(String(n, radix: 16))/0xffffffff"
        }
        if let p = words.firstIndex(of: "-p"), p + 1 < words.count, ["tcp", "udp"].contains(words[p + 1]),
           words.contains(where: { $0 == "--dport" || $0 == "--sport" }), !words.contains("-m") || !words.contains(words[p + 1]) {
            words.insert(contentsOf: ["-m", words[p + 1]], at: p + 2)
        }
        return "-A \(chain) " + words.joined(separator: " ")
    }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let live = try facts.output(liveQuery)
        guard live.exitStatus == 0 else { throw ModuleError(message: "cannot read the \(table) table: is iptables installed? (\(live.text))") }
        let liveLines = live.text.split(separator: "\n").map(String.init)
        let chainExists = liveLines.contains("-N \(chain)") || Self.builtinChains.contains(chain)
        let current = liveLines.filter { $0.hasPrefix("-A \(chain) ") }
        let canonical = try facts.output(canonicalQuery)
        let wanted = canonical.exitStatus == 0
            ? canonical.text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A \(chain) ") }
            : rules.map(normalize)
        let t = "iptables -w -t \(table)"
        var changes: [Change] = []
        if !present {
            if Self.builtinChains.contains(chain) {
                let remove = wanted.filter(current.contains)
                if !remove.isEmpty {
                    changes.append(Change(summary: "remove \(remove.count) rule(s) from \(table)/\(chain)",
                                          script: remove.map { "\(t) -D " + $0.dropFirst(3) }.joined(separator: "\n"), touches: [.firewall]))
                }
            } else if chainExists {
                let references = liveLines.filter { $0.hasPrefix("-A ") && ($0.hasSuffix("-j \(chain)") || $0.contains("-j \(chain) ")) }
                let script = references.map { "\(t) -D " + $0.dropFirst(3) }.joined(separator: "\n") + "\n\(t) -F \(chain)\n\(t) -X \(chain)"
                changes.append(Change(summary: "delete chain \(table)/\(chain)", script: script, touches: [.firewall]))
            }
        } else if exclusive {
            if !chainExists || current != wanted {
                let extra = current.filter { !wanted.contains($0) }
                let missing = wanted.filter { !current.contains($0) }
                var summary = chainExists ? "rewrite \(table)/\(chain)" : "create \(table)/\(chain)"
                if !missing.isEmpty { summary += "; missing: " + missing.map { String($0.dropFirst(3 + chain.count + 1)) }.joined(separator: " | ") }
                if !extra.isEmpty { summary += "; extra: " + extra.map { String($0.dropFirst(3 + chain.count + 1)) }.joined(separator: " | ") }
                let script = "set -e\n\(t) -N \(chain) 2>/dev/null || true\n\(t) -F \(chain)\n" + rules.map { "\(t) -A \(chain) \($0)" }.joined(separator: "\n")
                changes.append(Change(summary: summary, diff: UnifiedDiff.make(old: current.joined(separator: "\n"), new: wanted.joined(separator: "\n"),
                                                                             oldName: "\(table)/\(chain) (on host)", newName: "\(table)/\(chain) (wanted)"),
                                      script: script, touches: [.firewall]))
            }
        } else {
            let missing = zip(rules, wanted).filter { !current.contains($0.1) }.map(\.0)
            if !missing.isEmpty {
                changes.append(Change(summary: "add to \(table)/\(chain): " + missing.joined(separator: " | "),
                                      script: "set -e\n" + missing.map { "\(t) -A \(chain) \($0)" }.joined(separator: "\n"), touches: [.firewall]))
            }
        }
        // Persisted copy must hold what is (or will be) live, so a reboot restores it.
        let saved = try RemoteFile(parsing: facts.output(Facts.file(Self.savedRules)))
        let savedText = saved.content.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let persistedOK = present ? wanted.allSatisfy { savedText.contains($0 + "\n") } : !wanted.contains { savedText.contains($0 + "\n") }
        if !changes.isEmpty || !persistedOK {
            changes.append(Change(summary: "save firewall rules to \(Self.savedRules)",
                                  script: "set -e\nmkdir -p /etc/haprov\niptables-save > \(Self.savedRules).tmp\nmv -f \(Self.savedRules).tmp \(Self.savedRules)",
                                  touches: [.file(Self.savedRules)]))
        }
        changes += try Self.bootUnit.plan(facts)
        return Plan(changes)
    }
}
