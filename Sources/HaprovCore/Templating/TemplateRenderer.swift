import Foundation

/// Renders templates in Ansible's Jinja dialect (`{{ x | default('y') }}`, `{% for %}`,
/// `{% if x is defined %}`, `loop.index`, `hostvars[h].ansible_host`) against a host's
/// variables, as Ansible's template module does: an undefined variable is an error naming the
/// template, the line and the variable instead of an empty string, and what haprov does not
/// support is refused with the spelling it supports (Templating/Jinja).
public struct TemplateRenderer: Sendable {
    public init() {}

    /// Renders `source`; `name` is the template's path or the task it comes from, for errors.
    public func render(_ source: String, name: String, variables: [String: Value]) throws -> String {
        try placed(name) {
            var renderer = JinjaRenderer(variables: variables)
            return try renderer.render(try JinjaParser.parse(source))
        }
    }

    /// Renders every string inside `value` (task arguments may hold `{{ var }}` anywhere).
    public func renderValue(_ value: Value, name: String, variables: [String: Value]) throws -> Value {
        switch value {
        case .string(let s) where s.hasJinjaMarker:
            // "{{ expression }}" alone keeps the value's type (a list stays a list), as in Ansible.
            if let whole = Self.wholeExpression(s) {
                return try placed(name) { try JinjaRenderer(variables: variables).value(try JinjaParser.expression(whole, line: 1)) }
            }
            return .string(try render(s, name: name, variables: variables))
        case .list(let items):
            return .list(try items.map { try renderValue($0, name: name, variables: variables) })
        case .map(let entries):
            return .map(try entries.mapValues { try renderValue($0, name: name, variables: variables) })
        default:
            return value
        }
    }

    /// The expression of a value that is one `{{ ... }}` and nothing else.
    static func wholeExpression(_ text: String) -> String? {
        guard text.hasPrefix("{{"), text.hasSuffix("}}"), text.count >= 4 else { return nil }
        let inner = String(text.dropFirst(2).dropLast(2))
        guard !inner.contains("}}"), !inner.contains("{{"), !inner.contains("{%") else { return nil }
        return inner.trimmingCharacters(in: .whitespaces).isEmpty ? nil : inner
    }

    /// Renders variables whose values are templates (`web_name: "{{ inventory_hostname }}"`),
    /// repeatedly so chains resolve. A variable that cannot be rendered yet (it needs a fact
    /// not gathered) is left out, so that what uses it waits instead of shipping braces.
    /// A variable whose template writes a list or dict literal (`[{% for h in groups.web %}...]`)
    /// becomes that list or dict, as Ansible made of such variables.
    public func resolveVariables(_ variables: [String: Value]) -> [String: Value] {
        var resolved = variables
        // `hostvars` and `groups` are built rendered (and hostvars is every host's variables:
        // scanning it for templates at every scope was a large part of a run's own CPU).
        var pending = Set(variables.filter { $0.key != "hostvars" && $0.key != "groups" && $0.value.containsTemplate }.map(\.key))
        for _ in 0..<6 where !pending.isEmpty {
            var progressed = false
            // What a pending value may use: the variables resolved so far, kept up to date as
            // values resolve (one copy of the map per round, not one per pending value).
            var others = resolved
            for name in pending { others[name] = nil }
            for key in pending.sorted() {
                guard let value = resolved[key] else { continue }
                if let rendered = try? renderValue(value, name: key, variables: others), !rendered.containsTemplate {
                    let settled = Self.literal(rendered) ?? rendered
                    resolved[key] = settled
                    others[key] = settled
                    pending.remove(key)
                    progressed = true
                }
            }
            if !progressed { break }
        }
        for key in pending { resolved[key] = nil }
        return resolved
    }

    /// A rendered string that is a list or dict of literals, as that list or dict.
    static func literal(_ value: Value) -> Value? {
        guard case .string(let text) = value else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (trimmed.hasPrefix("[") && trimmed.hasSuffix("]")) || (trimmed.hasPrefix("{") && trimmed.hasSuffix("}")),
              let expression = try? JinjaParser.expression(trimmed), expression.isLiteral else { return nil }
        return try? JinjaRenderer(variables: [:]).value(expression)
    }

    /// Evaluates a `when:` condition as Ansible does: a Jinja expression (and, or, not, ==, in,
    /// is defined, filters), without braces.
    public func evaluate(condition: String, name: String, variables: [String: Value]) throws -> Bool {
        var expression = condition.trimmingCharacters(in: .whitespacesAndNewlines)
        if let whole = Self.wholeExpression(expression) { expression = whole }
        return try placed(name) {
            try JinjaRenderer(variables: variables).value(try JinjaParser.expression(expression)).jinjaTruth
        }
    }

    /// Runs `body`, turning the engine's failures into errors with the template's name.
    private func placed<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as JinjaFailure {
            throw TemplateError(template: name, line: failure.line, message: failure.message)
        }
    }
}

extension JinjaExpression {
    /// Only literals (lists and dicts of strings, numbers, booleans and none).
    var isLiteral: Bool {
        switch self {
        case .literal: return true
        case .list(let items): return items.allSatisfy(\.isLiteral)
        case .dict(let entries): return entries.allSatisfy { $0.key.isLiteral && $0.value.isLiteral }
        case .negate(let inner): return inner.isLiteral
        default: return false
        }
    }
}

/// A template that cannot be rendered: where, and why.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var template: String
    public var line: Int?
    public var message: String

    public init(template: String, line: Int?, message: String) {
        self.template = template
        self.line = line
        self.message = message
    }

    public var description: String {
        "\(template)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}

extension Value {
    /// Whether a template hides in this value.
    var containsTemplate: Bool {
        switch self {
        case .string(let s): return s.hasJinjaMarker
        case .list(let items): return items.contains { $0.containsTemplate }
        case .map(let entries): return entries.values.contains { $0.containsTemplate }
        default: return false
        }
    }
}
