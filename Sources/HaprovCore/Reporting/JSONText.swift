import Foundation

/// A JSON value written by hand for the event lines: JSONSerialization bridged every event
/// through Foundation's object types, and cost a run of a lab more CPU than all its tasks' plans.
/// Keys are written sorted and slashes unescaped, as the lines always were.
enum JSONText {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([JSONText])
    case object([String: JSONText])

    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .string(let value): Self.quote(value, into: &out)
        case .int(let value): out += String(value)
        case .double(let value):
            // A whole number as an integer; otherwise the shortest form that reads back the same.
            if value.isFinite, value == value.rounded(), abs(value) < 1e15 { out += String(Int(value)) } else if value.isFinite { out += "\(value)" } else { out += "null" }
        case .bool(let value): out += value ? "true" : "false"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let entries):
            out += "{"
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                Self.quote(key, into: &out)
                out += ":"
                entries[key]?.write(to: &out)
            }
            out += "}"
        }
    }

    /// RFC 8259: quote, backslash and control characters escaped; the rest as it is (UTF-8).
    static func quote(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    static func strings(_ values: [String]) -> JSONText { .array(values.map(JSONText.string)) }
}
