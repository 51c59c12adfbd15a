import Foundation

/// A variable's value, as YAML and JSON have them: inventory variables, role defaults, task
/// arguments and template contexts all use this one type.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case map([String: Value])

    /// The value for JSONSerialization (keys sorted by the serializer).
    public var jsonObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .list(let items): return items.map(\.jsonObject)
        case .map(let entries): return entries.mapValues(\.jsonObject)
        }
    }

    /// Ansible's truthiness for booleans written as strings ("yes", "true", "1").
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s.lowercased() {
            case "yes", "true", "on", "1", "y": return true
            case "no", "false", "off", "0", "n", "": return false
            default: return nil
            }
        default: return nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int(s)
        default: return nil
        }
    }
}
