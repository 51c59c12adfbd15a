import Foundation

/// The filters haprov's templates take, with Jinja's and Ansible's names and arguments.
enum JinjaFilters {
    static let supported = ["abs", "b64decode", "b64encode", "basename", "bool", "capitalize", "combine", "count", "d", "default",
                            "dict2items", "difference", "dirname", "first", "float", "flatten", "format", "indent", "int",
                            "intersect", "items2dict", "join", "last", "length", "list", "lower", "mandatory", "map", "max", "min",
                            "quote", "regex_replace", "regex_search", "reject", "rejectattr", "replace", "reverse", "round",
                            "select", "selectattr", "sort", "split", "string", "sum", "title", "to_json", "to_nice_json", "trim",
                            "union", "unique", "upper", "zip"]

    static func apply(_ name: String, to input: JinjaOperand, arguments: JinjaValues, renderer: JinjaRenderer) throws -> Value {
        // The two filters that accept an undefined input.
        switch name {
        case "default", "d":
            let fallback = try arguments.optional(0, named: "default_value") ?? .string("")
            let boolean = try arguments.optional(1, named: "boolean")?.jinjaTruth ?? false
            switch input {
            case .undefined: return fallback
            case .value(let value): return boolean && !value.jinjaTruth ? fallback : value
            }
        case "mandatory":
            if case .undefined(let what) = input {
                throw JinjaFailure((try arguments.optional(0, named: "msg")?.jinjaText) ?? "mandatory variable: \(what)")
            }
        default:
            break
        }
        let value = try input.required()
        switch name {
        case "mandatory": return value
        case "lower": return .string(try string(value).lowercased())
        case "upper": return .string(try string(value).uppercased())
        case "capitalize":
            let s = try string(value)
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title": return .string(try string(value).capitalized)
        case "trim": return .string(try string(value).trimmingCharacters(in: .whitespacesAndNewlines))
        case "string": return .string(value.pythonString)
        case "length", "count":
            switch value {
            case .list(let items): return .int(items.count)
            case .map(let entries): return .int(entries.count)
            case .string(let s): return .int(s.count)
            default: throw JinjaFailure("object of type '\(value.pythonType)' has no len()")
            }
        case "int":
            let fallback = try arguments.optional(0, named: "default") ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite && abs(d) < 9e18 ? .int(Int(d)) : fallback
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            switch value {
            case .int(let i): return .double(Double(i))
            case .double: return value
            case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces)).map(Value.double) ?? .double(0)
            default: return .double(0)
            }
        case "bool":
            if case .string(let s) = value {
                return .bool(["yes", "on", "1", "true", "y", "t"].contains(s.lowercased().trimmingCharacters(in: .whitespaces)))
            }
            return .bool(value.jinjaTruth)
        case "abs":
            switch value {
            case .int(let i): return .int(i == .min ? .max : abs(i))
            case .double(let d): return .double(abs(d))
            default: throw JinjaFailure("bad operand type for abs(): '\(value.pythonType)'")
            }
        case "round":
            let digits = try arguments.optional(0, named: "precision").map { try renderer.integer($0, "round's precision") } ?? 0
            let method = try arguments.optional(1, named: "method")?.jinjaText ?? "common"
            guard let n = value.number else { throw JinjaFailure("round needs a number, not \(value.pythonRepr)") }
            guard case .double = value else { return value }
            let rule: FloatingPointRoundingRule
            switch method {
            case "common": rule = .toNearestOrEven  // Python's round()
            case "floor": rule = .down
            case "ceil": rule = .up
            default: throw JinjaFailure("round's method is common, floor or ceil, not '\(method)'")
            }
            let scale = pow(10.0, Double(max(-300, min(300, digits))))
            return .double((n * scale).rounded(rule) / scale)
        case "join":
            let separator = try arguments.optional(0, named: "d")?.jinjaText ?? ""
            let attribute = try arguments.optional(1, named: "attribute")?.jinjaText
            return .string(try value.jinjaItems().map { item in
                guard let attribute else { return item.pythonString }
                return try attributeOf(item, attribute).pythonString
            }.joined(separator: separator))
        case "first":
            guard let first = try value.jinjaItems().first else { throw JinjaFailure("'first' of an empty \(value.pythonType)") }
            return first
        case "last":
            guard let last = try value.jinjaItems().last else { throw JinjaFailure("'last' of an empty \(value.pythonType)") }
            return last
        case "list": return .list(try value.jinjaItems())
        case "reverse":
            if case .string(let s) = value { return .string(String(s.reversed())) }
            return .list(try value.jinjaItems().reversed())
        case "sort":
            let reverse = try arguments.optional(0, named: "reverse")?.jinjaTruth ?? false
            let caseSensitive = try arguments.optional(1, named: "case_sensitive")?.jinjaTruth ?? false
            let attribute = try arguments.optional(2, named: "attribute")?.jinjaText
            let keyed = try value.jinjaItems().map { item in (item, Self.folded(try attribute.map { try attributeOf(item, $0) } ?? item, caseSensitive)) }
            var failure: Error?
            let sorted = keyed.sorted { a, b in
                do { return try reverse ? b.1.jinjaLess(a.1) : a.1.jinjaLess(b.1) } catch { failure = error; return false }
            }
            if let failure { throw failure }
            return .list(sorted.map { $0.0 })
        case "unique":
            let caseSensitive = try arguments.optional(0, named: "case_sensitive")?.jinjaTruth ?? false
            var seen: [Value] = []
            for item in try value.jinjaItems() where !seen.contains(where: { Self.folded($0, caseSensitive).jinjaEquals(Self.folded(item, caseSensitive)) }) { seen.append(item) }
            return .list(seen)
        case "union", "intersect", "difference":
            let other = try arguments.required(0, "the other list of '\(name)'").jinjaItems()
            let mine = try value.jinjaItems()
            var result: [Value] = []
            let candidates = name == "union" ? mine + other : mine
            for item in candidates where !result.contains(where: { $0.jinjaEquals(item) }) {
                let inOther = other.contains { $0.jinjaEquals(item) }
                if name == "union" || (name == "intersect") == inOther { result.append(item) }
            }
            return .list(result)
        case "flatten":
            func flat(_ items: [Value]) -> [Value] { items.flatMap { if case .list(let inner) = $0 { return flat(inner) } else { return [$0] } } }
            return .list(flat(try value.jinjaItems()))
        case "min", "max":
            let caseSensitive = try arguments.optional(0, named: "case_sensitive")?.jinjaTruth ?? false
            let items = try value.jinjaItems()
            guard var best = items.first else { throw JinjaFailure("'\(name)' of an empty list") }
            for item in items.dropFirst() {
                let (a, b) = (Self.folded(item, caseSensitive), Self.folded(best, caseSensitive))
                if try name == "min" ? a.jinjaLess(b) : b.jinjaLess(a) { best = item }
            }
            return best
        case "sum":
            var total: Value = try arguments.optional(1, named: "start") ?? .int(0)
            for item in try value.jinjaItems() { total = try JinjaOperators.apply("+", total, item) }
            return total
        case "replace":
            let old = try arguments.required(0, "replace's old text").jinjaText
            let new = try arguments.required(1, "replace's new text").jinjaText
            return .string(old.isEmpty ? try string(value) : try string(value).replacingOccurrences(of: old, with: new))
        case "split":
            let s = try string(value)
            if let separator = try arguments.optional(0, named: "sep")?.jinjaText, !separator.isEmpty {
                return .list(s.components(separatedBy: separator).map(Value.string))
            }
            return .list(s.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
        case "quote":
            // As Ansible writes it (Python's shlex.quote), so rendered files match.
            let text = value.jinjaText
            if !text.isEmpty, text.unicodeScalars.allSatisfy({ ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "_@%+=:,./-".unicodeScalars.contains($0) }) {
                return .string(text)
            }
            return .string("'" + text.replacingOccurrences(of: "'", with: "'\"'\"'") + "'")
        case "basename": return .string((try string(value) as NSString).lastPathComponent)
        case "dirname": return .string((try string(value) as NSString).deletingLastPathComponent)
        case "b64encode": return .string(Data(try string(value).utf8).base64EncodedString())
        case "b64decode":
            guard let data = Data(base64Encoded: try string(value)), let s = String(data: data, encoding: .utf8) else {
                throw JinjaFailure("b64decode: not base64 text")
            }
            return .string(s)
        case "indent":
            let width = try arguments.optional(0, named: "width").map { try renderer.integer($0, "indent's width") } ?? 4
            let first = try arguments.optional(1, named: "first")?.jinjaTruth ?? false
            let pad = String(repeating: " ", count: max(0, min(width, 1000)))
            let lines = try string(value).components(separatedBy: "\n")
            return .string(lines.enumerated().map { index, line in
                (index == 0 && !first) || line.isEmpty ? line : pad + line
            }.joined(separator: "\n"))
        case "format":
            var remaining = arguments.positional
            var out = ""
            var chars = Array(try string(value))[...]
            while let c = chars.popFirst() {
                guard c == "%", let spec = chars.popFirst() else { out.append(c); continue }
                if spec == "%" { out += "%"; continue }
                guard "sdi".contains(spec), !remaining.isEmpty else { throw JinjaFailure("format: only %s, %d and %% with one argument each") }
                out += try remaining.removeFirst().required().jinjaText
            }
            return .string(out)
        case "regex_replace":
            let pattern = try arguments.required(0, "regex_replace's pattern").jinjaText
            let replacement = try arguments.optional(1, named: "replacement")?.jinjaText ?? ""
            let regex = try expression(pattern)
            let s = try string(value)
            // Python's \1 is NSRegularExpression's $1.
            let template = replacement.replacingOccurrences(of: "$", with: "\\$")
                .replacingOccurrences(of: #"\\([0-9])"#, with: "\\$$1", options: .regularExpression)
            return .string(regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template))
        case "regex_search":
            let regex = try expression(try arguments.required(0, "regex_search's pattern").jinjaText)
            let s = try string(value)
            guard let match = regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), let range = Range(match.range, in: s) else { return .null }
            return .string(String(s[range]))
        case "combine":
            guard case .map(var merged) = value else { throw JinjaFailure("combine needs a dict, not \(value.pythonRepr)") }
            for other in arguments.positional {
                guard case .map(let entries) = try other.required() else { throw JinjaFailure("combine takes dicts") }
                merged.merge(entries) { _, new in new }
            }
            return .map(merged)
        case "dict2items":
            guard case .map(let entries) = value else { throw JinjaFailure("dict2items needs a dict, not \(value.pythonRepr)") }
            return .list(entries.keys.sorted().map { .map(["key": .string($0), "value": entries[$0]!]) })
        case "items2dict":
            var map: [String: Value] = [:]
            for item in try value.jinjaItems() {
                map[try attributeOf(item, "key").jinjaText] = try attributeOf(item, "value")
            }
            return .map(map)
        case "zip":
            let others = try arguments.positional.map { try $0.required().jinjaItems() }
            let mine = try value.jinjaItems()
            let count = others.reduce(mine.count) { min($0, $1.count) }
            return .list((0..<count).map { i in .list([mine[i]] + others.map { $0[i] }) })
        case "to_json": return .string(try json(value, pretty: false))
        case "to_nice_json": return .string(try json(value, pretty: true))
        case "map":
            let items = try value.jinjaItems()
            if let attribute = arguments.named["attribute"] {
                return .list(try items.map { item in
                    do { return try attributeOf(item, attribute.jinjaText) } catch {
                        if let fallback = arguments.named["default"] { return fallback }
                        throw error
                    }
                })
            }
            let filter = try arguments.required(0, "map's filter name").jinjaText
            let rest = JinjaValues(positional: Array(arguments.positional.dropFirst()), named: arguments.named)
            if filter == "extract" {
                let container = try rest.required(0, "extract's container")
                return .list(try items.map { item in
                    var found = try lookup(container, item.jinjaText)
                    if let path = try rest.optional(1, named: "morekeys") {
                        for key in (try? path.jinjaItems()).flatMap({ path.pythonType == "list" ? $0 : nil }) ?? [path] {
                            found = try lookup(found, key.jinjaText)
                        }
                    }
                    return found
                })
            }
            return .list(try items.map { try apply(filter, to: .value($0), arguments: rest, renderer: renderer) })
        case "select", "reject":
            let items = try value.jinjaItems()
            let test = try arguments.optional(0, named: "test")?.jinjaText
            let rest = JinjaValues(positional: Array(arguments.positional.dropFirst()), named: [:])
            return .list(try items.filter { item in
                let holds = try test.map { try JinjaTests.apply($0, to: .value(item), arguments: rest, renderer: renderer) } ?? item.jinjaTruth
                return holds == (name == "select")
            })
        case "selectattr", "rejectattr":
            let attribute = try arguments.required(0, "\(name)'s attribute").jinjaText
            let test = try arguments.optional(1, named: "test")?.jinjaText
            let rest = JinjaValues(positional: Array(arguments.positional.dropFirst(2)), named: [:])
            return .list(try value.jinjaItems().filter { item in
                let operand: JinjaOperand = (try? attributeOf(item, attribute)).map(JinjaOperand.value) ?? .undefined("no attribute '\(attribute)'")
                let holds = try test.map { try JinjaTests.apply($0, to: operand, arguments: rest, renderer: renderer) } ?? (try operand.required().jinjaTruth)
                return holds == (name == "selectattr")
            })
        default:
            throw JinjaFailure("no filter named '\(name)' (haprov's templates have: \(supported.joined(separator: ", ")))")
        }
    }

    /// Jinja's sort, unique, min and max ignore case unless told otherwise.
    static func folded(_ value: Value, _ caseSensitive: Bool) -> Value {
        if !caseSensitive, case .string(let s) = value { return .string(s.lowercased()) }
        return value
    }

    static func string(_ value: Value) throws -> String {
        if case .string(let s) = value { return s }
        return value.jinjaText
    }

    /// `item.a.b` for `map(attribute=)`, `selectattr` and `sort(attribute=)`.
    static func attributeOf(_ item: Value, _ path: String) throws -> Value {
        var current = item
        for part in path.split(separator: ".") { current = try lookup(current, String(part)) }
        return current
    }

    static func lookup(_ container: Value, _ key: String) throws -> Value {
        try JinjaRenderer.member(of: .value(container), key).required()
    }

    static func expression(_ pattern: String) throws -> NSRegularExpression {
        do { return try NSRegularExpression(pattern: pattern) } catch { throw JinjaFailure("bad regular expression '\(pattern)'") }
    }

    /// JSON as Python's json.dumps writes it (", " and ": "; keys sorted: haprov's dicts keep no order).
    static func json(_ value: Value, pretty: Bool, depth: Int = 0) throws -> String {
        let indent = pretty ? "\n" + String(repeating: "    ", count: depth + 1) : ""
        let close = pretty ? "\n" + String(repeating: "    ", count: depth) : ""
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return value.pythonRepr
        case .string(let s):
            let data = try JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        case .list(let items):
            if items.isEmpty { return "[]" }
            return "[" + indent + (try items.map { try json($0, pretty: pretty, depth: depth + 1) }).joined(separator: "," + (pretty ? indent : " ")) + close + "]"
        case .map(let entries):
            if entries.isEmpty { return "{}" }
            let parts = try entries.keys.sorted().map { "\(try json(.string($0), pretty: false)): \(try json(entries[$0]!, pretty: pretty, depth: depth + 1))" }
            return "{" + indent + parts.joined(separator: "," + (pretty ? indent : " ")) + close + "}"
        }
    }
}

/// `is defined`, `is in`, ... : Jinja's and Ansible's tests.
enum JinjaTests {
    static let supported = ["boolean", "defined", "divisibleby", "eq", "equalto", "even", "false", "falsy", "float", "ge", "gt",
                            "in", "integer", "iterable", "le", "lower", "lt", "mapping", "match", "ne", "none", "number", "odd",
                            "regex", "search", "sequence", "string", "true", "truthy", "undefined", "upper"]

    static func apply(_ name: String, to input: JinjaOperand, arguments: JinjaValues, renderer: JinjaRenderer) throws -> Bool {
        switch name {
        case "defined": if case .undefined = input { return false } else { return true }
        case "undefined": if case .undefined = input { return true } else { return false }
        default: break
        }
        let value = try input.required()
        func other() throws -> Value { try arguments.required(0, "the value '\(name)' compares with") }
        switch name {
        case "none": return value == .null
        case "string": if case .string = value { return true } else { return false }
        case "number": if case .int = value { return true } else if case .double = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": return value == .bool(true)
        case "false": return value == .bool(false)
        case "mapping": if case .map = value { return true } else { return false }
        case "sequence", "iterable": return (try? value.jinjaItems()) != nil
        case "lower": return try JinjaFilters.string(value) == JinjaFilters.string(value).lowercased()
        case "upper": return try JinjaFilters.string(value) == JinjaFilters.string(value).uppercased()
        case "truthy": return value.jinjaTruth
        case "falsy": return !value.jinjaTruth
        case "even", "odd":
            let n = try renderer.integer(value, "'\(name)' input")
            return (n % 2 == 0) == (name == "even")
        case "divisibleby":
            let d = try renderer.integer(try other(), "divisibleby's number")
            guard d != 0 else { throw JinjaFailure("divisibleby 0") }
            return try renderer.integer(value, "divisibleby's input") % d == 0
        case "eq", "equalto", "==": return value.jinjaEquals(try other())
        case "ne", "!=": return !value.jinjaEquals(try other())
        case "lt", "<": return try value.jinjaLess(try other())
        case "gt", ">": return try other().jinjaLess(value)
        case "le", "<=": return try !other().jinjaLess(value)
        case "ge", ">=": return try !(value.jinjaLess(try other()))
        case "in": return try JinjaOperators.contains(try other(), value)
        case "match", "search", "regex":
            let regex = try JinjaFilters.expression(try other().jinjaText)
            let s = try JinjaFilters.string(value)
            guard let found = regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return false }
            return name != "match" || found.range.location == 0
        default:
            throw JinjaFailure("no test named '\(name)' (haprov's templates have: \(supported.joined(separator: ", ")))")
        }
    }
}

/// Methods Ansible users call on values (`d.items()`, `s.split(',')`) and `range()`.
enum JinjaMethods {
    static func call(_ method: String, on value: Value, arguments: JinjaValues) throws -> Value {
        switch (value, method) {
        case (.map(let entries), "items"): return .list(entries.keys.sorted().map { .list([.string($0), entries[$0]!]) })
        case (.map(let entries), "keys"): return .list(entries.keys.sorted().map(Value.string))
        case (.map(let entries), "values"): return .list(entries.keys.sorted().map { entries[$0]! })
        case (.map(let entries), "get"):
            let key = try arguments.required(0, "get's key").jinjaText
            if let found = entries[key] { return found }
            return try arguments.optional(1, named: "default") ?? .null
        // The string methods that are filters too, with the same arguments.
        case (.string, "split"), (.string, "lower"), (.string, "upper"), (.string, "replace"), (.string, "strip"):
            return try JinjaFilters.apply(method == "strip" ? "trim" : method, to: .value(value), arguments: arguments, renderer: JinjaRenderer(variables: [:]))
        case (.string(let s), "startswith"): return .bool(s.hasPrefix(try arguments.required(0, "startswith's prefix").jinjaText))
        case (.string(let s), "endswith"): return .bool(s.hasSuffix(try arguments.required(0, "endswith's suffix").jinjaText))
        case (.string(let separator), "join"):
            return .string(try arguments.required(0, "join's list").jinjaItems().map(\.jinjaText).joined(separator: separator))
        default:
            throw JinjaFailure("'\(value.pythonType)' has no method '\(method)' in haprov's templates (items, keys, values, get, split, strip, lower, upper, startswith, endswith, replace, join)")
        }
    }

    static func range(_ arguments: [JinjaOperand]) throws -> Value {
        let numbers = try arguments.map { operand -> Int in
            guard case .int(let i) = try operand.required() else { throw JinjaFailure("range takes whole numbers") }
            return i
        }
        let (start, end, step): (Int, Int, Int)
        switch numbers.count {
        case 1: (start, end, step) = (0, numbers[0], 1)
        case 2: (start, end, step) = (numbers[0], numbers[1], 1)
        case 3: (start, end, step) = (numbers[0], numbers[1], numbers[2])
        default: throw JinjaFailure("range takes 1 to 3 numbers")
        }
        guard step != 0 else { throw JinjaFailure("range's step must not be 0") }
        let values = Array(stride(from: start, to: end, by: step).prefix(100_000))
        return .list(values.map(Value.int))
    }
}

/// Arithmetic, concatenation, comparison and membership.
enum JinjaOperators {
    static func apply(_ op: String, _ left: Value, _ right: Value) throws -> Value {
        switch op {
        case "==": return .bool(left.jinjaEquals(right))
        case "!=": return .bool(!left.jinjaEquals(right))
        case "<": return .bool(try left.jinjaLess(right))
        case ">": return .bool(try right.jinjaLess(left))
        case "<=": return .bool(try !right.jinjaLess(left))
        case ">=": return .bool(try !left.jinjaLess(right))
        case "in": return .bool(try contains(right, left))
        case "not in": return .bool(try !contains(right, left))
        case "~": return .string(left.pythonString + right.pythonString)
        default: break
        }
        switch (op, left, right) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .list(let a), .list(let b)): return .list(a + b)
        case ("*", .string(let s), .int(let n)), ("*", .int(let n), .string(let s)):
            let size = n.magnitude.multipliedReportingOverflow(by: UInt(s.count))
            guard !size.overflow, size.partialValue < 1 << 24 else { throw JinjaFailure("'*' would make a string too large") }
            return .string(String(repeating: s, count: max(0, n)))
        case (_, .int(let a), .int(let b)):
            switch op {
            case "+": return try checked(a.addingReportingOverflow(b))
            case "-": return try checked(a.subtractingReportingOverflow(b))
            case "*": return try checked(a.multipliedReportingOverflow(by: b))
            case "/": guard b != 0 else { throw JinjaFailure("division by zero") }; return .double(Double(a) / Double(b))
            case "//", "%":
                guard b != 0 else { throw JinjaFailure("integer division or modulo by zero") }
                guard !(a == .min && b == -1) else { throw JinjaFailure("the result is too large") }
                // Python's floor division: the quotient rounds toward minus infinity.
                var quotient = a / b
                if a % b != 0, (a < 0) != (b < 0) { quotient -= 1 }
                return op == "//" ? .int(quotient) : .int(a - quotient * b)
            case "**":
                guard b >= 0 else { return .double(pow(Double(a), Double(b))) }
                var result = 1
                for _ in 0..<min(b, 64) { result = try checkedInt(result.multipliedReportingOverflow(by: a)) }
                return .int(result)
            default: break
            }
        default: break
        }
        guard let a = left.number, let b = right.number, left.pythonType != "str", right.pythonType != "str" else {
            throw JinjaFailure("unsupported operand types for \(op): '\(left.pythonType)' and '\(right.pythonType)'")
        }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/": guard b != 0 else { throw JinjaFailure("division by zero") }; return .double(a / b)
        case "//": guard b != 0 else { throw JinjaFailure("division by zero") }; return .double((a / b).rounded(.down))
        case "%": guard b != 0 else { throw JinjaFailure("modulo by zero") }; return .double(a - b * (a / b).rounded(.down))
        case "**": return .double(pow(a, b))
        default: throw JinjaFailure("unknown operator \(op)")
        }
    }

    private static func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> Value { .int(try checkedInt(result)) }

    private static func checkedInt(_ result: (partialValue: Int, overflow: Bool)) throws -> Int {
        guard !result.overflow else { throw JinjaFailure("the result is too large") }
        return result.partialValue
    }

    /// `needle in haystack`: a substring, a list's item, a dict's key.
    static func contains(_ haystack: Value, _ needle: Value) throws -> Bool {
        switch haystack {
        case .string(let s):
            guard case .string(let n) = needle else { throw JinjaFailure("'in <string>' requires a string on the left, not \(needle.pythonRepr)") }
            return n.isEmpty || s.contains(n)
        case .list(let items): return items.contains { $0.jinjaEquals(needle) }
        case .map(let entries): return entries[needle.jinjaText] != nil
        default: throw JinjaFailure("argument of type '\(haystack.pythonType)' is not iterable")
        }
    }
}
