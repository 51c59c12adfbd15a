import Foundation
import Yams

/// A role's variables as it declares them in `meta/argument_specs.yml` (Ansible's format):
/// type, list elements, allowed values, required, nested options of dictionaries. Every host's
/// variables are checked against them before any host is reached.
///
/// ```yaml
/// argument_specs:
///   main:
///     options:
///       haproxy_mode: {type: str, choices: [http, tcp]}
///       haproxy_backends:
///         type: list
///         elements: dict
///         required: true
///         options:
///           name: {type: str, required: true}
///           address: {type: str, required: true}
///           port: {type: int}
/// ```
public struct ArgumentSpecs: Sendable, Equatable {
    public indirect enum Kind: String, Sendable, CaseIterable {
        case str, int, float, bool, list, dict, path, raw
    }

    public struct Option: Sendable, Equatable {
        public var name: String
        public var type: Kind = .raw
        public var elements: Kind?
        public var choices: [Value] = []
        public var required = false
        public var options: [Option] = []
        public var description: String?
    }

    public var path: String
    public var options: [Option]

    static let optionKeys = ["type", "elements", "choices", "required", "options", "description", "default", "version_added"]

    /// Reads the `main` entry point; every problem at once.
    static func load(_ path: String) throws -> ArgumentSpecs {
        let document = try YAMLDocument(path: path)
        var problems: [Diagnostic] = []
        guard let root = document.root, case .mapping(let top) = root,
              let specs = top.first(where: { $0.key.string == "argument_specs" })?.value, case .mapping(let entries) = specs,
              let main = entries.first(where: { $0.key.string == "main" })?.value, case .mapping(let mainFields) = main else {
            throw LoadError(problems: [Diagnostic(location: path, message: "argument_specs.yml needs argument_specs: main: options:")])
        }
        func options(_ node: Node?, place: String) -> [Option] {
            guard let node else { return [] }
            guard case .mapping(let mapping) = node else {
                problems.append(Diagnostic(location: document.location(node), message: "\(place) options must be a mapping of variable names"))
                return []
            }
            return mapping.compactMap { key, value in
                let name = key.string ?? ""
                guard case .mapping(let fields) = value else {
                    problems.append(Diagnostic(location: document.location(value), message: "option \(name) must be a mapping (type, required, choices, ...)"))
                    return nil
                }
                var option = Option(name: name)
                for (fieldKey, fieldValue) in fields {
                    let field = fieldKey.string ?? ""
                    let at = document.location(fieldValue)
                    switch field {
                    case "type", "elements":
                        let text = YAMLDocument.value(fieldValue).plainString ?? ""
                        let kind = Kind(rawValue: text == "string" ? "str" : text == "boolean" ? "bool" : text == "integer" ? "int" : text)
                        if kind == nil { problems.append(Diagnostic(location: at, message: "\(name): \(field) \(text) is not one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")) }
                        if field == "type" { option.type = kind ?? .raw } else { option.elements = kind }
                    case "choices":
                        if case .list(let items) = YAMLDocument.value(fieldValue) { option.choices = items } else {
                            problems.append(Diagnostic(location: at, message: "\(name): choices must be a list"))
                        }
                    case "required":
                        option.required = YAMLDocument.value(fieldValue) == .bool(true)
                    case "options":
                        option.options = options(fieldValue, place: name)
                    case "description":
                        option.description = YAMLDocument.value(fieldValue).stringList.joined(separator: " ")
                    case "default", "version_added":
                        break
                    default:
                        problems.append(Diagnostic(location: document.location(fieldKey), message: "\(name): unknown key \(field)",
                                                    fix: Suggest.nearest(field, in: optionKeys).map { "did you mean \($0)?" }))
                    }
                }
                return option
            }
        }
        let result = options(mainFields.first(where: { $0.key.string == "options" })?.value, place: "main")
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return ArgumentSpecs(path: path, options: result)
    }

    /// Problems of one host's variables: each names where the value is set and the fix.
    /// `locations` says where each variable is written; a value still holding a template
    /// (it needs facts) is not judged.
    public func problems(host: String, variables: [String: Value], locations: [String: String]) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for option in options {
            let place = locations[option.name] ?? path
            let value = variables[option.name]
            check(option, value: value, label: option.name, host: host, place: place, into: &found)
        }
        return found
    }

    private func check(_ option: Option, value: Value?, label: String, host: String, place: String, into found: inout [Diagnostic]) {
        func problem(_ message: String, _ fix: String) {
            found.append(Diagnostic(location: place, message: "\(host): \(label) \(message)", fix: fix))
        }
        guard let value, value != .null else {
            if option.required { problem("is required", "set \(label)" + (option.description.map { ": \($0)" } ?? "")) }
            return
        }
        if case .string(let text) = value, text.contains("{{") || text.contains("{%") { return }
        if option.required, value.isEmptyCollectionOrString { problem("is required and empty", "set \(label)" + (option.description.map { ": \($0)" } ?? "")) }
        guard Self.matches(value, option.type) else {
            problem("must be \(Self.describe(option.type, elements: option.elements)), not \(Self.show(value))", Self.example(option))
            return
        }
        if !option.choices.isEmpty, !option.choices.contains(where: { Self.same($0, value) }) {
            problem("is \(Self.show(value)), not one of \(option.choices.compactMap(\.plainString).joined(separator: ", "))",
                    "choose one of \(option.choices.compactMap(\.plainString).joined(separator: ", "))")
        }
        if case .list(let items) = value, let elements = option.elements {
            for (index, item) in items.enumerated() {
                guard Self.matches(item, elements) else {
                    problem("[\(index)] must be \(Self.describe(elements, elements: nil)), not \(Self.show(item))", Self.example(option))
                    continue
                }
                if elements == .dict, case .map(let fields) = item { checkFields(option, fields, label: "\(label)[\(index)]", host: host, place: place, into: &found) }
            }
        }
        if option.type == .dict, case .map(let fields) = value { checkFields(option, fields, label: label, host: host, place: place, into: &found) }
    }

    private func checkFields(_ option: Option, _ fields: [String: Value], label: String, host: String, place: String, into found: inout [Diagnostic]) {
        guard !option.options.isEmpty else { return }
        for sub in option.options { check(sub, value: fields[sub.name], label: "\(label).\(sub.name)", host: host, place: place, into: &found) }
        let known = option.options.map(\.name)
        for key in fields.keys.sorted() where !known.contains(key) {
            found.append(Diagnostic(location: place, message: "\(host): \(label) has an unknown key \(key)",
                                     fix: Suggest.nearest(key, in: known).map { "did you mean \($0)?" } ?? "keys: \(known.joined(separator: ", "))"))
        }
    }

    static func matches(_ value: Value, _ kind: Kind) -> Bool {
        switch (kind, value) {
        case (.raw, _): return true
        case (.str, .string), (.str, .int), (.str, .double), (.path, .string): return true
        case (.int, .int): return true
        case (.int, .string(let s)): return Int(s) != nil
        case (.float, .double), (.float, .int): return true
        case (.bool, .bool): return true
        case (.bool, .string(let s)): return ["yes", "no", "true", "false", "on", "off"].contains(s.lowercased())
        case (.list, .list), (.dict, .map): return true
        default: return false
        }
    }

    static func same(_ a: Value, _ b: Value) -> Bool { a == b || (a.plainString != nil && a.plainString == b.plainString) }

    static func describe(_ kind: Kind, elements: Kind?) -> String {
        switch kind {
        case .str: return "a string"
        case .path: return "a path"
        case .int: return "a whole number"
        case .float: return "a number"
        case .bool: return "true or false"
        case .list: return "a list" + (elements.map { " of \(describe($0, elements: nil).replacingOccurrences(of: "a ", with: ""))s" } ?? "")
        case .dict: return "a mapping"
        case .raw: return "anything"
        }
    }

    static func show(_ value: Value) -> String {
        switch value {
        case .string(let s): return "'\(s)'"
        case .list: return "a list"
        case .map: return "a mapping"
        default: return value.plainString ?? "null"
        }
    }

    static func example(_ option: Option) -> String {
        if option.type == .list, option.elements == .dict, !option.options.isEmpty {
            return "e.g. \(option.name): [{" + option.options.filter(\.required).map { "\($0.name): ..." }.joined(separator: ", ") + "}]"
        }
        if !option.choices.isEmpty { return "e.g. \(option.name): \(option.choices.first?.plainString ?? "")" }
        return "give \(option.name) \(describe(option.type, elements: option.elements))"
    }
}

extension Value {
    var isEmptyCollectionOrString: Bool {
        switch self {
        case .string(let s): return s.isEmpty
        case .list(let items): return items.isEmpty
        case .map(let entries): return entries.isEmpty
        default: return false
        }
    }
}

extension ArgumentSpecs {
    /// Every problem of every host's variables against its roles' specs (role defaults under
    /// the host's variables, templates rendered where they can be), before any host is reached.
    /// `locations` says where a host's variables are written (inventory, -e).
    public static func validate(_ jobs: [HostJob], locations: (String) -> [String: String]) -> [Diagnostic] {
        let renderer = TemplateRenderer()
        var problems: [Diagnostic] = []
        for job in jobs {
            let hostLocations = locations(job.name)
            let variables = job.resolvedVariables(renderer)
            for role in job.roles {
                guard let specs = role.argumentSpecs else { continue }
                let where_ = role.defaultLocations.merging(hostLocations) { _, host in host }
                problems += specs.problems(host: job.name, variables: variables, locations: where_)
            }
        }
        // The same value set in one place for many hosts is one problem per host: keep them, but
        // the message names the host, so a user sees which hosts share it.
        return problems
    }
}
