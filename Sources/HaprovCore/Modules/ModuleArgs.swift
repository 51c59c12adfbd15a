/// A task's arguments with typed accessors whose errors name the argument and what it takes.
public struct ModuleArgs: Sendable {
    public var module: String
    public var values: [String: Value]

    public init(module: String, values: [String: Value]) {
        self.module = module
        self.values = values
    }

    /// Fails when an argument is not one the module knows, suggesting the nearest name.
    public func allowOnly(_ known: [String]) throws {
        for key in values.keys.sorted() where !known.contains(key) {
            let near = Suggest.nearest(key, in: known)
            throw ModuleError(argument: key, message: "\(module) has no argument \(key)",
                              fix: near.map { "did you mean \($0)?" } ?? "known: \(known.joined(separator: ", "))")
        }
    }

    public func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        case .bool(let b)?: return b ? "true" : "false"
        default: throw ModuleError(argument: key, message: "expects a string")
        }
    }

    public func requiredString(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw ModuleError(argument: key, message: "\(module) needs \(key)")
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        switch values[key] {
        case nil, .null?: return fallback
        case .bool(let b)?: return b
        case .string(let s)?:
            switch s.lowercased() {
            case "yes", "true", "on", "1": return true
            case "no", "false", "off", "0": return false
            default: break
            }
        case .int(let i)?: return i != 0
        default: break
        }
        throw ModuleError(argument: key, message: "expects yes or no")
    }

    public func int(_ key: String) throws -> Int? {
        switch values[key] {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case .string(let s)?:
            if let i = Int(s) { return i }
        default: break
        }
        throw ModuleError(argument: key, message: "expects a whole number")
    }

    /// A file mode given as 0644, "0644", "644" or "u=rw,g=r,o=r"-free octal text.
    public func mode(_ key: String) throws -> Int? {
        switch values[key] {
        case nil, .null?: return nil
        case .int(let i)?:
            // YAML reads 0644 as octal 420 and 644 as decimal: Ansible users write both meaning octal.
            if let octal = Int(String(i), radix: 8), String(i).count >= 3 { return octal }
            return i
        case .string(let s)?:
            if let octal = Int(s, radix: 8) { return octal }
        default: break
        }
        throw ModuleError(argument: key, message: "expects an octal mode like '0644'")
    }

    /// A list of strings; a single string counts as a list of one (comma-separated for `name`).
    public func strings(_ key: String, splitCommas: Bool = false) throws -> [String] {
        switch values[key] {
        case nil, .null?: return []
        case .string(let s)?:
            if splitCommas { return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            return [s]
        case .list(let items)?:
            return try items.map { item in
                switch item {
                case .string(let s): return s
                case .int(let i): return String(i)
                case .double(let d): return String(d)
                default: throw ModuleError(argument: key, message: "expects a list of strings")
                }
            }
        default: throw ModuleError(argument: key, message: "expects a string or a list of strings")
        }
    }

    /// One of `choices`, or `fallback` when absent.
    public func choice(_ key: String, _ choices: [String], default fallback: String) throws -> String {
        guard let value = try string(key) else { return fallback }
        guard choices.contains(value) else {
            throw ModuleError(argument: key, message: "\(value) is not one of \(choices.joined(separator: ", "))")
        }
        return value
    }
}

import Foundation

/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
