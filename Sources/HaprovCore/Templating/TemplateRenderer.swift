import Foundation
import Stencil

/// Renders Stencil templates (Jinja-like: `{{ var }}`, `{% for %}`, `{% if %}`, filters with
/// `|name:arg`) against a host's variables, strictly: an undefined variable is an error naming
/// the template, the line and the variable, as Ansible does, instead of an empty string.
public struct TemplateRenderer: Sendable {
    public init() {}

    /// Renders `source`; `name` is the template's path or the task it comes from, for errors.
    public func render(_ source: String, name: String, variables: [String: Value]) throws -> String {
        let environment = Self.shared
        let template = environment.templateClass.init(templateString: source, environment: environment, name: name)
        try StrictVariables.check(template.tokens, variables: variables, name: name)
        do {
            return try template.render(variables.mapValues(\.stencilValue))
        } catch let error as TemplateSyntaxError {
            let line = error.token?.sourceMap.location.lineNumber
            throw TemplateError(template: name, line: line.map { Int($0) }, message: error.reason)
        } catch {
            throw TemplateError(template: name, line: nil, message: "\(error)")
        }
    }

    /// Renders every string inside `value` (task arguments may hold `{{ var }}` anywhere).
    public func renderValue(_ value: Value, name: String, variables: [String: Value]) throws -> Value {
        switch value {
        case .string(let s) where s.contains("{{") || s.contains("{%"):
            // "{{ name }}" alone keeps the variable's type (a list stays a list), as in Ansible.
            if let whole = Self.wholeVariable(s), let found = Self.lookup(whole, in: variables) { return found }
            return .string(try render(s, name: name, variables: variables))
        case .list(let items):
            return .list(try items.map { try renderValue($0, name: name, variables: variables) })
        case .map(let entries):
            return .map(try entries.mapValues { try renderValue($0, name: name, variables: variables) })
        default:
            return value
        }
    }

    static func wholeVariable(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}") else { return nil }
        let inner = trimmed.dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespaces)
        guard !inner.isEmpty, inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
        return inner
    }

    /// Looks up a dotted path (`a.b.0`) in the variables.
    static func lookup(_ path: String, in variables: [String: Value]) -> Value? {
        let parts = path.split(separator: ".").map(String.init)
        guard let first = parts.first, var current = variables[first] else { return nil }
        for part in parts.dropFirst() {
            switch current {
            case .map(let entries): guard let next = entries[part] else { return nil }; current = next
            case .list(let items): guard let i = Int(part), items.indices.contains(i) else { return nil }; current = items[i]
            default: return nil
            }
        }
        // Strings go through the normal renderer so that nested templates still render.
        if case .string = current { return nil }
        return current
    }

    /// Renders variables whose values are templates (`web_name: "{{ inventory_hostname }}"`),
    /// repeatedly so chains resolve. A variable that cannot be rendered yet (it needs a fact
    /// not gathered) is left out, so that what uses it waits instead of shipping braces.
    public func resolveVariables(_ variables: [String: Value]) -> [String: Value] {
        var resolved = variables
        var pending = Set(variables.filter { $0.value.containsTemplate }.map(\.key))
        for _ in 0..<6 where !pending.isEmpty {
            var progressed = false
            for key in pending.sorted() {
                guard let value = resolved[key] else { continue }
                var others = resolved
                for name in pending { others[name] = nil }
                if let rendered = try? renderValue(value, name: key, variables: others), !rendered.containsTemplate {
                    resolved[key] = rendered
                    pending.remove(key)
                    progressed = true
                }
            }
            if !progressed { break }
        }
        for key in pending { resolved[key] = nil }
        return resolved
    }

    /// Evaluates a `when:` condition with Stencil's `if` expression syntax (and, or, not, ==, in).
    public func evaluate(condition: String, name: String, variables: [String: Value]) throws -> Bool {
        let source = "{% if \(condition) %}1{% endif %}"
        return try render(source, name: name, variables: variables) == "1"
    }

    /// Built once: its filters never change, and rendering only reads it.
    nonisolated(unsafe) static let shared = environment()

    static func environment() -> Environment {
        let ext = Extension()
        // Names Ansible users reach for first, beside Stencil's uppercase/lowercase.
        ext.registerFilter("upper") { ($0 as? String)?.uppercased() ?? $0 }
        ext.registerFilter("lower") { ($0 as? String)?.lowercased() ?? $0 }
        ext.registerFilter("trim") { ($0 as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? $0 }
        ext.registerFilter("length") { value in
            if let array = value as? [Any] { return array.count }
            if let dict = value as? [String: Any] { return dict.count }
            if let string = value as? String { return string.count }
            return 0
        }
        ext.registerFilter("string") { value in value.map { "\($0)" } ?? "" }
        ext.registerFilter("int") { value in
            if let int = value as? Int { return int }
            if let string = value as? String { return Int(string.trimmingCharacters(in: .whitespaces)) ?? 0 }
            return 0
        }
        // Ansible's `quote`: the value as one shell word.
        ext.registerFilter("quote") { value in Shell.quote(value.map { "\($0)" } ?? "") }
        ext.registerFilter("replace") { (value: Any?, arguments: [Any?]) in
            guard let string = value as? String, arguments.count == 2,
                  let old = arguments[0] as? String, let new = arguments[1] as? String else {
                throw TemplateSyntaxError("replace takes two string arguments: |replace:\"old\",\"new\"")
            }
            return string.replacingOccurrences(of: old, with: new)
        }
        return Environment(extensions: [ext], trimBehaviour: .smart)
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
        case .string(let s): return s.contains("{{") || s.contains("{%")
        case .list(let items): return items.contains { $0.containsTemplate }
        case .map(let entries): return entries.values.contains { $0.containsTemplate }
        default: return false
        }
    }

    /// The value as Stencil wants it: plain Swift strings, numbers, arrays and dictionaries.
    var stencilValue: Any {
        switch self {
        case .null: return ""
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .list(let items): return items.map(\.stencilValue)
        case .map(let entries): return entries.mapValues(\.stencilValue)
        }
    }
}
