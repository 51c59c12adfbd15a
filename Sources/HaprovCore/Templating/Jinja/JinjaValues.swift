import Foundation

/// A value met while evaluating, or the undefined name it stands for. Ansible's undefined
/// chains (`a.b.c` of an undefined `a` stays undefined) until something needs its value.
enum JinjaOperand {
    case value(Value)
    case undefined(String)

    /// The value, or Ansible's error naming what is undefined.
    func required() throws -> Value {
        switch self {
        case .value(let value): return value
        case .undefined(let what): throw JinjaFailure(what)
        }
    }
}

/// Python's (and so Jinja's) view of haprov's values: truth, text, order, equality.
extension Value {
    var jinjaTruth: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let items): return !items.isEmpty
        case .map(let entries): return !entries.isEmpty
        }
    }

    /// What `{{ value }}` writes: strings as they are, None as nothing (as Ansible does),
    /// lists and dicts as Python writes them.
    var jinjaText: String {
        switch self {
        case .null: return ""
        case .string(let s): return s
        default: return pythonRepr
        }
    }

    /// Python's str(): what `~`, `join` and `string` make of a value (None is "None").
    var pythonString: String {
        if case .null = self { return "None" }
        return jinjaText
    }

    var pythonRepr: String {
        switch self {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            return "\(d)"
        case .string(let s):
            let quote = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = quote
            for c in s {
                switch c {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default: out += String(c) == quote ? "\\" + quote : String(c)
                }
            }
            return out + quote
        case .list(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.keys.sorted().map { "\(Value.string($0).pythonRepr): \(entries[$0]!.pythonRepr)" }.joined(separator: ", ") + "}"
        }
    }

    /// Python's name of the value's type, for errors.
    var pythonType: String {
        switch self {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .map: return "dict"
        }
    }

    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// `==` as Python has it: 1 == 1.0 and True == 1, but "1" != 1.
    func jinjaEquals(_ other: Value) -> Bool {
        if let a = number, let b = other.number { return a == b }
        switch (self, other) {
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.jinjaEquals($1) }
        case (.map(let a), .map(let b)): return a.keys == b.keys && a.allSatisfy { key, value in b[key].map { value.jinjaEquals($0) } ?? false }
        default: return self == other
        }
    }

    /// `<` for numbers, strings and lists; anything else cannot be ordered.
    func jinjaLess(_ other: Value) throws -> Bool {
        if let a = number, let b = other.number { return a < b }
        switch (self, other) {
        case (.string(let a), .string(let b)): return a < b
        case (.list(let a), .list(let b)):
            for (x, y) in zip(a, b) where !x.jinjaEquals(y) { return try x.jinjaLess(y) }
            return a.count < b.count
        default:
            throw JinjaFailure("'<' not supported between instances of '\(pythonType)' and '\(other.pythonType)'")
        }
    }

    /// The items `for` iterates and filters take as a sequence: a dict's keys (sorted), a
    /// string's characters.
    func jinjaItems() throws -> [Value] {
        switch self {
        case .list(let items): return items
        case .map(let entries): return entries.keys.sorted().map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        default: throw JinjaFailure("'\(pythonType)' object is not iterable")
        }
    }
}
