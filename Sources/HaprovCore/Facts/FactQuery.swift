import Foundation

/// One fact a module needs: a read-only shell command whose output the module parses.
///
/// Queries are keyed so that two tasks asking for the same fact share one command, and all the
/// queries of a host run in a single remote round trip (see `FactGatherer`).
public struct FactQuery: Sendable, Hashable {
    public var key: String
    public var command: String

    public init(key: String, command: String) {
        self.key = key
        self.command = command
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

    /// Type, mode, owner, group, size, then base64 content (or only the sha256 for big files).
    public static func file(_ path: String) -> FactQuery {
        let p = Shell.quote(path)
        return FactQuery(key: "file:\(path)", command: """
            if [ -L \(p) ] || [ -e \(p) ]; then stat -c '%F|%a|%U|%G|%s' -- \(p); \
            if [ -f \(p) ] && [ "$(stat -c %s -- \(p))" -le \(inlineContentLimit) ]; then echo content; base64 -w0 -- \(p); \
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
