import Foundation
import Yams

/// A YAML file read into `Value`s, keeping where each node came from for error messages.
public struct YAMLDocument {
    let path: String
    let root: Node?

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(problems: [Diagnostic(location: path, message: "cannot read file")])
        }
        var text = String(decoding: data, as: UTF8.self)
        // A vars file encrypted whole by ansible-vault: every value in it is a secret.
        let encrypted = AnsibleVault.isEncrypted(text)
        if encrypted { text = try Self.reveal(text, at: path) }
        do {
            // No resolver rules: haprov reads scalars itself (`value(_:)`, YAML 1.1 as Ansible
            // does), and Yams's rules ran a dozen regular expressions on every scalar.
            root = try Self.compose(text).map { try Self.revealVaultValues($0, path: path) }
        } catch let error as YamlError {
            throw LoadError(problems: [Diagnostic(location: path, message: "invalid YAML\(encrypted ? " (once decrypted)" : ""): \(error)")])
        }
        if encrypted, let root { SecretMasking.register(Self.scalars(root)) }
    }

    private static func reveal(_ text: String, at location: String) throws -> String {
        do {
            guard let password = VaultPassword.current else { throw VaultError.noPassword }
            return try AnsibleVault.decrypt(text, password: password)
        } catch let error as VaultError {
            throw LoadError(problems: [Diagnostic(location: location, message: error.description)])
        }
    }

    /// `!vault |` values, decrypted in place (as strings) and masked from then on.
    private static func revealVaultValues(_ node: Node, path: String) throws -> Node {
        switch node {
        case .scalar(let scalar) where scalar.tag.rawValue == "!vault":
            let location = scalar.mark.map { "\(path):\($0.line):\($0.column)" } ?? path
            let plain = try reveal(scalar.string, at: location)
            if plain.count >= 3 { SecretMasking.register([plain]) }
            return .scalar(Node.Scalar(plain, .implicit, .literal, scalar.mark))
        case .mapping(let mapping):
            let pairs = try mapping.map { ($0.key, try revealVaultValues($0.value, path: path)) }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(try sequence.map { try revealVaultValues($0, path: path) }, sequence.tag, sequence.style, sequence.mark))
        default:
            return node
        }
    }

    private static func scalars(_ node: Node) -> [String] {
        switch node {
        case .scalar(let scalar): return scalar.string.count >= 3 ? [scalar.string] : []
        case .mapping(let mapping): return mapping.flatMap { scalars($0.value) }
        case .sequence(let sequence): return sequence.flatMap(scalars)
        case .alias: return []
        }
    }

    func location(_ node: Node) -> String {
        guard let mark = node.mark else { return path }
        return "\(path):\(mark.line):\(mark.column)"
    }

    /// Where each key of a mapping node's values is written (file:line:column of the value).
    func valueLocations(_ node: Node) -> [String: String] {
        guard case .mapping(let mapping) = node else { return [:] }
        var locations: [String: String] = [:]
        for (key, value) in mapping { locations[key.string ?? "\(key)"] = location(value) }
        return locations
    }

    /// A value written on a command line (`-e name=VALUE`), read as YAML like Ansible does.
    public static func parseValue(_ text: String) throws -> Value {
        guard let node = try compose(text) else { return .null }
        return value(node)
    }

    /// Yams's parse with no resolver rules, in UTF-8: the default encoding is read from the
    /// environment on every parse (ProcessInfo builds the whole environment each time).
    static func compose(_ text: String) throws -> Node? {
        try Yams.compose(yaml: text, .basic, .default, .utf8)
    }

    /// Converts a node with YAML 1.1 scalars as Ansible reads them (yes/no are booleans).
    static func value(_ node: Node) -> Value {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            let s = scalar.string
            switch s {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
            default: break
            }
            if let int = Int(s) { return .int(int) }
            if s.hasPrefix("0o"), let int = Int(s.dropFirst(2), radix: 8) { return .int(int) }
            if isFloat(s.utf8), let d = Double(s) { return .double(d) }
            return .string(s)
        case .sequence(let sequence):
            return .list(sequence.map(value))
        case .mapping(let mapping):
            var entries: [String: Value] = [:]
            for (key, item) in mapping { entries[key.string ?? "\(key)"] = value(item) }
            return .map(entries)
        case .alias:
            return .null
        }
    }

    /// `[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?` and nothing after, by hand: an ICU expression was
    /// compiled for every scalar that starts like a number, and every address in an inventory does.
    static func isFloat(_ text: String.UTF8View) -> Bool {
        var bytes = text[...]
        func digits() -> Int {
            let count = bytes.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        func take(_ characters: String) -> Bool {
            guard let first = bytes.first, characters.utf8.contains(first) else { return false }
            bytes = bytes.dropFirst()
            return true
        }
        _ = take("-+")
        let whole = digits()
        guard take("."), whole + digits() > 0 else { return false }
        if take("eE") {
            _ = take("-+")
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
