import Foundation

/// Shell scripts shared by the modules that write files: atomic replace, validation, backup.
public enum FileScripts {
    /// Writes stdin to `path` atomically: a temporary file in the same directory (so `mv` is a
    /// rename on one filesystem), mode and owner set on it, `validate` run on it (`%s` = its
    /// path) before it replaces anything, the previous version kept as a backup, then rename.
    /// A failed validation leaves the real file untouched and exits non-zero with the reason.
    public static func atomicWrite(path: String, mode: Int?, owner: String?, group: String?, validate: String?, backup: Bool) -> String {
        let p = Shell.quote(path)
        var lines = [
            "set -e",
            "dir=$(dirname -- \(p))",
            "mkdir -p -- \"$dir\"",
            "tmp=$(mktemp \"$dir/.haprov.XXXXXX\")",
            // A lost connection hangs the shell up: the temporary file goes then too.
            "trap 'rm -f -- \"$tmp\"' EXIT",
            "trap 'rm -f -- \"$tmp\"; exit 129' HUP INT TERM PIPE",
            "cat > \"$tmp\"",
        ]
        if let mode {
            lines.append("chmod \(String(mode, radix: 8)) \"$tmp\"")
        } else {
            // Keep the existing file's mode; a new file gets 0644 like most config files.
            lines.append("if [ -e \(p) ]; then chmod --reference=\(p) \"$tmp\"; else chmod 644 \"$tmp\"; fi")
        }
        if owner != nil || group != nil {
            lines.append("chown \(Shell.quote((owner ?? "") + (group.map { ":" + $0 } ?? ""))) \"$tmp\"")
        } else {
            lines.append("if [ -e \(p) ]; then chown --reference=\(p) \"$tmp\"; fi")
        }
        if let validate {
            let command = validate.replacingOccurrences(of: "%s", with: "\"$tmp\"")
            lines.append("if ! out=$(\(command) 2>&1); then printf 'validation failed (%s), %s left unchanged:\\n%s\\n' \(Shell.quote(validate)) \(p) \"$out\" >&2; exit 3; fi")
        }
        if backup {
            lines.append("if [ -f \(p) ]; then cp -p -- \(p) \(p).$(date +%Y%m%dT%H%M%S).haprov~; fi")
        }
        lines.append("mv -f -- \"$tmp\" \(p)")
        lines.append("trap - EXIT HUP INT TERM PIPE")
        return lines.joined(separator: "\n")
    }

    /// Check mode: the content goes to a temporary path and is validated there, then removed,
    /// so a check also says when the config it would install would be rejected.
    public static func validateOnly(path: String, validate: String) -> String {
        let p = Shell.quote(path)
        let command = validate.replacingOccurrences(of: "%s", with: "\"$tmp\"")
        return """
            set -e
            dir=$(dirname -- \(p)); [ -d "$dir" ] || dir=/tmp
            tmp=$(mktemp "$dir/.haprov-check.XXXXXX")
            trap 'rm -f -- "$tmp"' EXIT
            trap 'rm -f -- "$tmp"; exit 129' HUP INT TERM PIPE
            cat > "$tmp"
            if ! out=$(\(command) 2>&1); then printf 'would be rejected by validation (%s):\\n%s\\n' \(Shell.quote(validate)) "$out" >&2; exit 3; fi
            """
    }

    /// Changes of mode and owner only (content already right).
    public static func attributes(path: String, mode: Int?, owner: String?, group: String?) -> String {
        let p = Shell.quote(path)
        var lines = ["set -e"]
        if let mode { lines.append("chmod \(String(mode, radix: 8)) -- \(p)") }
        if owner != nil || group != nil {
            lines.append("chown \(Shell.quote((owner ?? "") + (group.map { ":" + $0 } ?? ""))) -- \(p)")
        }
        return lines.joined(separator: "\n")
    }
}

/// The desired state of one regular file, shared by `copy` and `template`.
struct ManagedFile: Sendable {
    var path: String
    var content: Data
    var mode: Int?
    var owner: String?
    var group: String?
    var validate: String?
    var backup: Bool
    /// Where the content came from, for the diff header.
    var source: String

    var facts: [FactQuery] { [Facts.file(path, expecting: content)] }

    func plan(_ facts: HostFacts) throws -> Plan {
        let current = try RemoteFile(parsing: facts.output(Facts.file(path)))
        switch current.kind {
        case .absent, .regular:
            break
        default:
            throw ModuleError(argument: "dest", message: "\(path) exists and is not a regular file (\(current.kind))")
        }
        if !current.holds(content) {
            let old = current.content.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let diff = UnifiedDiff.make(old: old, new: String(decoding: content, as: UTF8.self),
                                        oldName: current.kind == .absent ? "/dev/null" : path + " (on host)",
                                        newName: path + " (from \(source))")
            let verb = current.kind == .absent ? "create" : "update"
            return Plan([Change(
                summary: "\(verb) \(path)",
                diff: current.content == nil && current.kind == .regular ? "(content differs; file too large to diff)" : diff,
                script: FileScripts.atomicWrite(path: path, mode: mode, owner: owner, group: group, validate: validate, backup: backup && current.kind == .regular),
                stdin: content,
                checkScript: validate.map { FileScripts.validateOnly(path: path, validate: $0) },
                touches: [.file(path)])])
        }
        return FileScripts.attributesPlan(path: path, current: current, mode: mode, owner: owner, group: group)
    }
}

extension FileScripts {
    /// The plan that sets mode, owner and group where they differ from `current`.
    static func attributesPlan(path: String, current: RemoteFile, mode: Int?, owner: String?, group: String?) -> Plan {
        var wrong: [String] = []
        if let mode, current.mode != mode { wrong.append("mode \(String(current.mode, radix: 8)) -> \(String(mode, radix: 8))") }
        if let owner, current.owner != owner { wrong.append("owner \(current.owner) -> \(owner)") }
        if let group, current.group != group { wrong.append("group \(current.group) -> \(group)") }
        if wrong.isEmpty { return Plan() }
        return Plan([Change(summary: "\(path): " + wrong.joined(separator: ", "),
                            script: attributes(path: path, mode: mode, owner: owner, group: group), touches: [.file(path)])])
    }
}
