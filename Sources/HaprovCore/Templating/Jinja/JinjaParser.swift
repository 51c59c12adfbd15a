import Foundation

/// Parses the pieces of a template into nodes, and expressions into trees, with Jinja's
/// precedence. What haprov does not support is refused with the spelling it supports.
struct JinjaParser {
    private var pieces: [JinjaPiece]
    private var position = 0
    /// Blocks inside blocks; beyond `maxDepth` a template is refused rather than the stack overflowing.
    private var depth = 0
    static let maxDepth = 100

    static func parse(_ source: String) throws -> [JinjaNode] {
        try JinjaCache.shared.template(source, parse: parseAnew)
    }

    private static func parseAnew(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(pieces: try JinjaLexer.pieces(source))
        let (nodes, end) = try parser.nodes(until: [])
        if let end { throw JinjaFailure("'{% \(end.tag) %}' without its opening tag", line: end.line) }
        return nodes
    }

    /// One expression (a `when:` condition, a `{{ }}` body).
    static func expression(_ source: String, line: Int? = nil) throws -> JinjaExpression {
        try JinjaCache.shared.expression(source, line: line, parse: expressionAnew)
    }

    private static func expressionAnew(_ source: String, line: Int?) throws -> JinjaExpression {
        var tokens = try JinjaTokens(source, line: line)
        let expression = try tokens.expression()
        try tokens.expectEnd()
        return expression
    }

    private init(pieces: [JinjaPiece]) { self.pieces = pieces }

    /// Nodes up to one of the `enders` tags, which is returned (with its expression text).
    private mutating func nodes(until enders: Set<String>) throws -> ([JinjaNode], (tag: String, rest: String, line: Int)?) {
        var nodes: [JinjaNode] = []
        while position < pieces.count {
            let piece = pieces[position]
            position += 1
            switch piece.kind {
            case .text:
                nodes.append(.text(piece.content))
            case .output:
                nodes.append(.output(try Self.expression(piece.content, line: piece.line), line: piece.line))
            case .statement:
                let trimmed = piece.content.trimmingCharacters(in: .whitespacesAndNewlines)
                let tag = String(trimmed.prefix { $0.isLetter || $0 == "_" })
                let rest = String(trimmed.dropFirst(tag.count))
                if enders.contains(tag) {
                    // `{% else if x %}` is not `{% elif x %}`: an end tag takes nothing after it.
                    if tag != "elif", !rest.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        throw JinjaFailure("'{% \(tag) %}' takes nothing after it, not '\(rest.trimmingCharacters(in: .whitespacesAndNewlines))'" + (tag == "else" ? " (write {% elif ... %})" : ""), line: piece.line)
                    }
                    return (nodes, (tag, rest, piece.line))
                }
                if ["if", "for"].contains(tag) {
                    depth += 1
                    guard depth <= Self.maxDepth else { throw JinjaFailure("blocks nested more than \(Self.maxDepth) deep", line: piece.line) }
                }
                defer { if ["if", "for"].contains(tag) { depth -= 1 } }
                switch tag {
                case "if": nodes.append(try branches(rest, line: piece.line))
                case "for": nodes.append(.loop(try loop(rest, line: piece.line)))
                case "set": nodes.append(try set(rest, line: piece.line))
                case "elif", "else", "endif", "endfor":
                    return (nodes, (tag, rest, piece.line))
                case "":
                    throw JinjaFailure("an empty '{% %}' tag", line: piece.line)
                default:
                    throw JinjaFailure("'{% \(tag) %}' is not supported by haprov's templates (supported: if/elif/else, for, set, raw)", line: piece.line)
                }
            }
        }
        return (nodes, nil)
    }

    private mutating func branches(_ condition: String, line: Int) throws -> JinjaNode {
        var branches: [(condition: JinjaExpression?, body: [JinjaNode])] = []
        var current: JinjaExpression? = try Self.expression(condition, line: line)
        var isElse = false
        while true {
            let (body, end) = try nodes(until: ["elif", "else", "endif"])
            branches.append((current, body))
            guard let end else { throw JinjaFailure("'{% if %}' has no '{% endif %}'", line: line) }
            switch end.tag {
            case "endif": return .branches(branches, line: line)
            case "elif" where !isElse: current = try Self.expression(end.rest, line: end.line)
            case "else" where !isElse: current = nil; isElse = true
            default: throw JinjaFailure("'{% \(end.tag) %}' after '{% else %}'", line: end.line)
            }
        }
    }

    private mutating func loop(_ header: String, line: Int) throws -> JinjaLoop {
        var tokens = try JinjaTokens(header, line: line)
        let targets = try tokens.targets()
        try tokens.expectName("in", context: "{% for x in list %}")
        let iterable = try tokens.expressionNoConditional()
        var condition: JinjaExpression?
        if tokens.acceptName("if") { condition = try tokens.expressionNoConditional() }
        if tokens.acceptName("recursive") { throw JinjaFailure("recursive loops are not supported by haprov's templates", line: line) }
        try tokens.expectEnd()
        let (body, end) = try nodes(until: ["else", "endfor"])
        guard let end else { throw JinjaFailure("'{% for %}' has no '{% endfor %}'", line: line) }
        var otherwise: [JinjaNode] = []
        if end.tag == "else" {
            let (rest, last) = try nodes(until: ["endfor"])
            guard let last else { throw JinjaFailure("'{% for %}' has no '{% endfor %}'", line: line) }
            guard last.tag == "endfor" else { throw JinjaFailure("'{% \(last.tag) %}' inside '{% for %}' (line \(line)) before its '{% endfor %}'", line: last.line) }
            otherwise = rest
        } else if end.tag != "endfor" {
            throw JinjaFailure("'{% \(end.tag) %}' inside '{% for %}' (line \(line)) before its '{% endfor %}'", line: end.line)
        }
        return JinjaLoop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line)
    }

    private mutating func set(_ header: String, line: Int) throws -> JinjaNode {
        var tokens = try JinjaTokens(header, line: line)
        let targets = try tokens.targets()
        guard tokens.accept(op: "=") else {
            throw JinjaFailure("block '{% set %}' is not supported by haprov's templates; write {% set name = value %}", line: line)
        }
        let value = try tokens.expression()
        try tokens.expectEnd()
        return .set(targets: targets, value: value, line: line)
    }
}

/// The tokens of one expression, and the expression grammar over them.
struct JinjaTokens {
    enum Token: Equatable {
        case name(String)
        case int(Int)
        case double(Double)
        case string(String)
        case op(String)
    }

    private var tokens: [Token] = []
    private var position = 0
    private let line: Int?
    /// Nesting of brackets and unary operators; refused past JinjaParser.maxDepth.
    private var depth = 0
    private static let operators = ["**", "//", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "~",
                                    "+", "-", "*", "/", "%", "<", ">", "="]
    private static let keywords: Set<String> = ["and", "or", "not", "in", "is", "if", "else"]

    init(_ source: String, line: Int?) throws {
        self.line = line
        let chars = Array(source)
        var i = 0
        scan: while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                tokens.append(.name(String(chars[i..<j])))
                i = j
                continue
            }
            if c.isASCII, c.isNumber {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].isNumber || chars[j] == "_" { j += 1 }
                // A fraction only when a digit follows the dot, and not after `.` (`list.0.1`).
                let afterDot = tokens.last == .op(".")
                if !afterDot, j + 1 < chars.count, chars[j] == ".", chars[j + 1].isASCII, chars[j + 1].isNumber {
                    j += 1
                    while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
                    guard let value = Double(String(chars[i..<j]).replacingOccurrences(of: "_", with: "")) else {
                        throw JinjaFailure("bad number '\(String(chars[i..<j]))'", line: line)
                    }
                    tokens.append(.double(value))
                } else {
                    guard let value = Int(String(chars[i..<j]).replacingOccurrences(of: "_", with: "")) else {
                        throw JinjaFailure("number '\(String(chars[i..<j]))' is too large", line: line)
                    }
                    tokens.append(.int(value))
                }
                i = j
                continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var value = ""
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count {
                        let escaped = chars[j + 1]
                        switch escaped {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        case "\\", "'", "\"": value.append(escaped)
                        case "0"..."7":
                            // Python's octal escapes: '\1' is chr(1), so regex groups are written '\\1'.
                            var k = j + 1, code = 0
                            while k < chars.count, k < j + 4, let digit = chars[k].wholeNumberValue, digit < 8 { code = code * 8 + digit; k += 1 }
                            value.unicodeScalars.append(Unicode.Scalar(UInt8(code & 0xFF)))
                            j = k
                            continue
                        default: value.append("\\"); value.append(escaped)
                        }
                        j += 2
                        continue
                    }
                    value.append(chars[j])
                    j += 1
                }
                guard j < chars.count else { throw JinjaFailure("a string is not closed: \(String(chars[i...]))", line: line) }
                tokens.append(.string(value))
                i = j + 1
                continue
            }
            for op in Self.operators where chars.count - i >= op.count && String(chars[i..<(i + op.count)]) == op {
                tokens.append(.op(op))
                i += op.count
                continue scan
            }
            throw JinjaFailure("unexpected '\(c)' in '\(source.trimmingCharacters(in: .whitespaces))'", line: line)
        }
    }

    // MARK: token stream

    private var current: Token? { position < tokens.count ? tokens[position] : nil }
    private func peek(_ offset: Int = 0) -> Token? { position + offset < tokens.count ? tokens[position + offset] : nil }

    mutating func accept(op: String) -> Bool {
        if current == .op(op) { position += 1; return true }
        return false
    }

    mutating func acceptName(_ name: String) -> Bool {
        if current == .name(name) { position += 1; return true }
        return false
    }

    mutating func expectName(_ name: String, context: String) throws {
        guard acceptName(name) else { throw JinjaFailure("expected '\(name)' (\(context))", line: line) }
    }

    private mutating func expect(op: String) throws {
        guard accept(op: op) else { throw JinjaFailure("expected '\(op)' \(describeCurrent)", line: line) }
    }

    func expectEnd() throws {
        guard current == nil else { throw JinjaFailure("unexpected \(describeCurrent)", line: line) }
    }

    private var describeCurrent: String {
        switch current {
        case nil: return "at the end of the expression"
        case .name(let n): return "'\(n)'"
        case .int(let i): return "'\(i)'"
        case .double(let d): return "'\(d)'"
        case .string(let s): return "string '\(s)'"
        case .op(let o): return "'\(o)'"
        }
    }

    /// Names assigned by `for` and `set`: `x` or `key, value`.
    mutating func targets() throws -> [String] {
        var names: [String] = []
        repeat {
            guard case .name(let name)? = current, !Self.keywords.contains(name) else {
                throw JinjaFailure("expected a variable name, found \(describeCurrent)", line: line)
            }
            position += 1
            names.append(name)
        } while accept(op: ",")
        return names
    }

    // MARK: grammar (Jinja's precedence, loosest first)

    mutating func expression() throws -> JinjaExpression {
        let value = try or()
        if acceptName("if") {
            let condition = try or()
            let otherwise = acceptName("else") ? try expression() : nil
            return .conditional(then: value, condition: condition, otherwise: otherwise)
        }
        return value
    }

    /// An expression without a trailing `x if c else y` (a loop's source, where `if` filters).
    mutating func expressionNoConditional() throws -> JinjaExpression { try or() }

    private mutating func or() throws -> JinjaExpression {
        var left = try and()
        while acceptName("or") { left = .or(left, try and()) }
        return left
    }

    private mutating func and() throws -> JinjaExpression {
        var left = try not()
        while acceptName("and") { left = .and(left, try not()) }
        return left
    }

    private mutating func not() throws -> JinjaExpression {
        if current == .name("not") {
            position += 1
            try deeper()
            defer { depth -= 1 }
            return .not(try not())
        }
        return try compare()
    }

    private mutating func deeper() throws {
        depth += 1
        guard depth <= JinjaParser.maxDepth else { throw JinjaFailure("an expression nested more than \(JinjaParser.maxDepth) deep", line: line) }
    }

    private mutating func compare() throws -> JinjaExpression {
        var left = try sum()
        while true {
            if case .op(let op)? = current, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                position += 1
                left = .binary(op, left, try sum())
            } else if acceptName("in") {
                left = .binary("in", left, try sum())
            } else if current == .name("not"), peek(1) == .name("in") {
                position += 2
                left = .binary("not in", left, try sum())
            } else {
                return left
            }
        }
    }

    private mutating func sum() throws -> JinjaExpression {
        var left = try concat()
        while case .op(let op)? = current, op == "+" || op == "-" {
            position += 1
            left = .binary(op, left, try concat())
        }
        return left
    }

    private mutating func concat() throws -> JinjaExpression {
        var left = try product()
        while accept(op: "~") { left = .binary("~", left, try product()) }
        return left
    }

    private mutating func product() throws -> JinjaExpression {
        var left = try power()
        while case .op(let op)? = current, ["*", "/", "//", "%"].contains(op) {
            position += 1
            left = .binary(op, left, try power())
        }
        return left
    }

    private mutating func power() throws -> JinjaExpression {
        var left = try unary()
        while accept(op: "**") { left = .binary("**", left, try unary()) }
        return left
    }

    private mutating func unary() throws -> JinjaExpression {
        if current == .op("-") || current == .op("+") {
            try deeper()
            defer { depth -= 1 }
            if accept(op: "-") { return try filtered(.negate(try unary())) }
            position += 1
            return try unary()
        }
        return try filtered(try postfix(try primary()))
    }

    /// `| filter(...)` and `is [not] test(...)` after a value.
    private mutating func filtered(_ start: JinjaExpression) throws -> JinjaExpression {
        var node = start
        while true {
            if accept(op: "|") {
                let name = try qualifiedName()
                if current == .op(":") {
                    throw JinjaFailure("'|\(name):...' is Stencil's spelling; write '| \(name)(...)' as in Ansible", line: line)
                }
                node = try postfix(.filter(node, name: name, arguments: current == .op("(") ? try arguments() : JinjaArguments()))
            } else if acceptName("is") {
                let negated = acceptName("not")
                let name = try qualifiedName()
                var given = JinjaArguments()
                if current == .op("(") {
                    given = try arguments()
                } else if let token = current, startsBareTestArgument(token) {
                    given.positional = [try postfix(try primary())]
                }
                node = .test(node, name: name, arguments: given, negated: negated)
            } else {
                return node
            }
        }
    }

    /// `is divisibleby 3`, `is sameas false`: one argument without parentheses.
    private func startsBareTestArgument(_ token: Token) -> Bool {
        switch token {
        case .int, .double, .string: return true
        case .name(let name): return !Self.keywords.contains(name)
        case .op: return false
        }
    }

    /// A filter or test name; Ansible's collection prefixes (`ansible.builtin.`) are dropped.
    private mutating func qualifiedName() throws -> String {
        guard case .name(var name)? = current else { throw JinjaFailure("expected a filter or test name, found \(describeCurrent)", line: line) }
        position += 1
        while current == .op("."), case .name(let next)? = peek(1) {
            position += 2
            name = next
        }
        return name
    }

    private mutating func postfix(_ start: JinjaExpression) throws -> JinjaExpression {
        var node = start
        while true {
            if accept(op: ".") {
                switch current {
                case .name(let name)?: position += 1; node = .attribute(node, name)
                case .int(let index)?: position += 1; node = .attribute(node, String(index))
                default: throw JinjaFailure("expected a name after '.', found \(describeCurrent)", line: line)
                }
            } else if accept(op: "[") {
                try deeper()
                defer { depth -= 1 }
                var start: JinjaExpression?
                if current != .op(":") { start = try expression() }
                if accept(op: ":") {
                    let end = current == .op("]") ? nil : try expression()
                    node = .slice(node, start, end)
                } else if let start {
                    node = .index(node, start)
                } else {
                    throw JinjaFailure("empty '[]'", line: line)
                }
                try expect(op: "]")
            } else if current == .op("(") {
                node = .call(node, try arguments())
            } else {
                return node
            }
        }
    }

    private mutating func arguments() throws -> JinjaArguments {
        try expect(op: "(")
        try deeper()
        defer { depth -= 1 }
        var arguments = JinjaArguments()
        while !accept(op: ")") {
            if case .name(let name)? = current, peek(1) == .op("=") {
                position += 2
                arguments.named.append((name, try expression()))
            } else {
                arguments.positional.append(try expression())
            }
            if !accept(op: ",") {
                try expect(op: ")")
                break
            }
        }
        return arguments
    }

    private mutating func primary() throws -> JinjaExpression {
        guard let token = current else { throw JinjaFailure("an expression is missing", line: line) }
        position += 1
        try deeper()
        defer { depth -= 1 }
        switch token {
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.null)
            default:
                if Self.keywords.contains(name) { throw JinjaFailure("unexpected '\(name)'", line: line) }
                return .name(name)
            }
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .string(var s):
            while case .string(let next)? = current { s += next; position += 1 }
            return .literal(.string(s))
        case .op("("):
            let inner = try expression()
            if accept(op: ",") {
                var items = [inner]
                while !accept(op: ")") {
                    items.append(try expression())
                    if !accept(op: ",") { try expect(op: ")"); break }
                }
                return .list(items)
            }
            try expect(op: ")")
            return inner
        case .op("["):
            var items: [JinjaExpression] = []
            while !accept(op: "]") {
                items.append(try expression())
                if !accept(op: ",") { try expect(op: "]"); break }
            }
            return .list(items)
        case .op("{"):
            var entries: [(key: JinjaExpression, value: JinjaExpression)] = []
            while !accept(op: "}") {
                let key = try expression()
                try expect(op: ":")
                entries.append((key, try expression()))
                if !accept(op: ",") { try expect(op: "}"); break }
            }
            return .dict(entries)
        case .op(let op):
            throw JinjaFailure("unexpected '\(op)'", line: line)
        }
    }
}
