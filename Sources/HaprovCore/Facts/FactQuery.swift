import Foundation

/// One fact a module needs: a read-only shell command whose output the module parses.
///
/// Queries are keyed so that two tasks asking for the same fact share one command, and all the
/// queries of a host run in a single remote round trip (see `FactGatherer`).
public struct FactQuery: Sendable, Hashable {
    public var key: String
    public var command: String
    /// Set when one command answers this query together with others of its kind (see `FactBatch`).
    public var batch: FactBatch?

    public init(key: String, command: String, batch: FactBatch? = nil) {
        self.key = key
        self.command = command
        self.batch = batch
    }
}

/// Queries that one command answers for many items at once: the dpkg status of packages, the
/// state of systemd units. Each such command costs the host a few milliseconds of CPU however
/// many items it is given, so the gatherer runs it once per host for the items of every query
/// of its kind and hands each query the part of the output about its own items, exactly as if
/// the query had run alone (modules and their fixtures do not see the difference).
public struct FactBatch: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `dpkg-query -W` lines, one per installed or known package, first field the bare name.
        case packages
        /// `systemctl show` blocks, one per unit in the order asked, separated by a blank line.
        case units
    }

    public var kind: Kind
    public var items: [String]

    public init(_ kind: Kind, items: [String]) {
        self.kind = kind
        self.items = items
    }

    /// The command for these items; each query's own command is what `command(items)` gives for its items alone.
    public static func command(_ kind: Kind, items: [String]) -> String {
        switch kind {
        case .packages:
            return "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' \(Shell.join(items)) 2>/dev/null; true"
        case .units:
            return "systemctl show -p LoadState,ActiveState,UnitFileState \(Shell.join(items))"
        }
    }

    /// The output about each item, from the output of `command(kind, items:)`.
    static func split(_ kind: Kind, output: String, items: [String]) -> [String: String] {
        switch kind {
        case .packages:
            // dpkg prints the bare name (no :arch, no =version); an unknown package prints nothing.
            var lines: [String: [String]] = [:]
            for line in output.split(separator: "\n") {
                let name = String(line.prefix { $0 != "\t" })
                lines[name, default: []].append(String(line))
            }
            return Dictionary(items.map { item in
                let name = item.split(separator: ":").first.map(String.init) ?? item
                return (item, (lines[name] ?? []).joined(separator: "\n"))
            }) { first, _ in first }
        case .units:
            let blocks = output.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }
            return Dictionary(zip(items, blocks + Array(repeating: "", count: max(0, items.count - blocks.count))).map { ($0, $1) }) { first, _ in first }
        }
    }
}

/// What a fact command printed and how it exited.
public struct FactOutput: Sendable, Equatable {
    public var exitStatus: Int32
    public var output: Data
    public var text: String { String(decoding: output, as: UTF8.self) }
}

/// The facts gathered for one host, by query key.
public struct HostFacts: Sendable {
    public var outputs: [String: FactOutput]

    public init(outputs: [String: FactOutput] = [:]) { self.outputs = outputs }

    /// The output of `query`; a query that was not gathered is a programming error reported as a failure.
    public func output(_ query: FactQuery) throws -> FactOutput {
        guard let output = outputs[query.key] else {
            throw FactError(message: "fact \(query.key) was not gathered")
        }
        return output
    }
}

public struct FactError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Common fact queries shared by several modules.
public enum Facts {
    /// Largest file whose content comes back with the facts (for diffs without another round trip).
    public static let inlineContentLimit = 262_144

    /// Type, mode, owner, group, size, then base64 content (or only the sha256 for big files);
    /// one `stat` and one `base64` on the host.
    public static func file(_ path: String) -> FactQuery {
        let p = Shell.quote(path)
        return FactQuery(key: "file:\(path)", command: """
            if s=$(stat -c '%F|%a|%U|%G|%s' -- \(p) 2>/dev/null); then echo "$s"; \
            if [ -f \(p) ] && [ "${s##*|}" -le \(inlineContentLimit) ]; then echo content; base64 -w0 -- \(p); \
            elif [ -f \(p) ]; then echo sha256; sha256sum -- \(p) | cut -d' ' -f1; fi; \
            else echo absent; fi
            """)
    }

    /// Runs `command` and records only whether it succeeded (guards like `unless`).
    public static func succeeds(_ command: String) -> FactQuery {
        FactQuery(key: "succeeds:\(command)", command: "(\(command)) >/dev/null 2>&1 && echo yes || echo no")
    }

    /// Basic host facts: OS release and init system.
    public static let os = FactQuery(key: "os", command: "cat /etc/os-release 2>/dev/null")
}

/// A file on a host as `Facts.file` reports it.
public struct RemoteFile: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case absent, regular, directory, link, other(String) }
    public var kind: Kind
    public var mode: Int = 0
    public var owner: String = ""
    public var group: String = ""
    public var size: Int = 0
    /// Content when the file is small enough to come inline.
    public var content: Data?
    public var sha256: String?

    public init(kind: Kind) { self.kind = kind }

    /// Parses the output of `Facts.file`.
    public init(parsing output: FactOutput) throws {
        let lines = output.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = lines.first, first != "absent" else { self.init(kind: .absent); return }
        let fields = first.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5 else { throw FactError(message: "unexpected stat output: \(first)") }
        self.init(kind: .absent)
        switch fields[0] {
        case "regular file", "regular empty file": kind = .regular
        case "directory": kind = .directory
        case "symbolic link": kind = .link
        default: kind = .other(fields[0])
        }
        mode = Int(fields[1], radix: 8) ?? 0
        owner = fields[2]
        group = fields[3]
        size = Int(fields[4]) ?? 0
        if lines.count >= 3, lines[1] == "content" {
            guard let data = Data(base64Encoded: lines[2]) else { throw FactError(message: "bad base64 content") }
            content = data
            sha256 = SHA256.hex(data)
        } else if lines.count >= 3, lines[1] == "sha256" {
            sha256 = lines[2]
        }
    }
}
