import Foundation

/// `sysctl`: a kernel parameter's live value, persisted in /etc/sysctl.d so it survives a reboot.
///
/// Arguments: name, value, sysctl_file (/etc/sysctl.d/99-haprov.conf), state (present, absent), reload (yes).
public struct SysctlModule: Module {
    public static let name = "sysctl"
    let key: String
    let value: String
    let file: String
    let present: Bool
    let reload: Bool

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["name", "value", "sysctl_file", "state", "reload", "sysctl_set"])
        key = try args.requiredString("name")
        guard key.isWord(rest: ASCIIClass("a-zA-Z0-9_.\\-/")) else {
            throw ModuleError(argument: "name", message: "'\(key)' is not a kernel parameter name")
        }
        present = try args.choice("state", ["present", "absent"], default: "present") == "present"
        value = try present ? args.requiredString("value") : (args.string("value") ?? "")
        file = try args.string("sysctl_file") ?? "/etc/sysctl.d/99-haprov.conf"
        reload = try args.bool("reload", default: true)
    }

    var liveQuery: FactQuery { FactQuery(key: "sysctl:\(key)", command: "sysctl -n \(Shell.quote(key))") }
    public var facts: [FactQuery] { [liveQuery, Facts.file(file)] }

    /// The file with this key's line replaced (or appended, or removed), other lines kept.
    func persisted(_ old: String) -> String {
        var lines = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let matches = { (line: String) in
            line.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) == key } ?? false
        }
        var found = false
        lines = lines.compactMap { line in
            guard matches(line) else { return line }
            if !present || found { return nil }
            found = true
            return "\(key) = \(value)"
        }
        if present, !found {
            if lines.isEmpty { lines.append("# Managed by haprov.") }
            lines.append("\(key) = \(value)")
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    public func plan(_ facts: HostFacts) throws -> Plan {
        var changes: [Change] = []
        let live = try facts.output(liveQuery)
        guard live.exitStatus == 0 else {
            throw ModuleError(argument: "name", message: "the kernel has no parameter \(key)")
        }
        let normalized = live.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        if present, reload, normalized != value.split(separator: " ").joined(separator: " ") {
            changes.append(Change(summary: "set \(key) = \(value) (was \(normalized))",
                                  script: "sysctl -q -w \(Shell.quote("\(key)=\(value)"))", touches: [.sysctl(key)]))
        }
        let current = try RemoteFile(parsing: facts.output(Facts.file(file)))
        let old = current.content.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let new = persisted(old)
        if new != old, !(current.kind == .absent && new.isEmpty) {
            changes.append(Change(summary: "\(present ? "persist" : "forget") \(key) in \(file)",
                                  diff: UnifiedDiff.make(old: old, new: new, oldName: file, newName: file),
                                  script: FileScripts.atomicWrite(path: file, mode: 0o644, owner: nil, group: nil, validate: nil, backup: false),
                                  stdin: Data(new.utf8), touches: [.file(file)]))
        }
        return Plan(changes)
    }
}
