import Foundation

/// A role task bound to one host: its variables, its loop item, and (once its arguments could
/// be rendered) the module instance that plans it.
struct BoundTask {
    var role: Role
    var task: RoleTask
    var label: String
    /// Variables as written (role defaults, inventory, loop item), templates unrendered.
    var rawVariables: [String: Value]
    /// `rawVariables` with templated values rendered; what modules and conditions see.
    var variables: [String: Value]
    var module: (any Module)?
    /// Why the module could not be built yet (e.g. a template needs facts not gathered yet).
    var pendingError: Error?
    var isHandler: Bool

    /// Binds every task of `role` for a host, expanding loops; modules built when possible.
    static func bind(_ tasks: [RoleTask], role: Role, variables: [String: Value], renderer: TemplateRenderer,
                     topLevelTemplates: String?, hostName: String, isHandler: Bool = false, scopes: inout ResolvedScopes) -> [BoundTask] {
        var bound: [BoundTask] = []
        for task in tasks {
            let items: [Value?]
            do { items = try loopItems(task, variables: variables, renderer: renderer) } catch {
                bound.append(BoundTask(role: role, task: task, label: task.name, rawVariables: variables, variables: variables,
                                       module: nil, pendingError: error, isHandler: isHandler))
                continue
            }
            for item in items {
                var scoped = variables
                var label = task.name
                if let item {
                    scoped["item"] = item
                    label += " (\(item.shortText))"
                }
                let scope = ResolvedScopes.Scope(role: role.name, isHandler: isHandler, item: item, withFacts: false)
                var entry = BoundTask(role: role, task: task, label: label, rawVariables: scoped,
                                      variables: scopes.resolve(scoped, scope: scope, renderer: renderer), module: nil, pendingError: nil, isHandler: isHandler)
                entry.build(renderer: renderer, topLevelTemplates: topLevelTemplates, hostName: hostName)
                bound.append(entry)
            }
        }
        return bound
    }

    /// Renders the arguments and builds the module; failures are kept, not thrown, so that a
    /// task skipped by `when` never fails the host.
    mutating func build(renderer: TemplateRenderer, topLevelTemplates: String?, hostName: String) {
        do {
            let moduleType = try ModuleRegistry.module(named: task.module)
            let rendered = try renderer.renderValue(.map(task.args), name: task.location, variables: variables)
            guard case .map(let args) = rendered else { return }
            let context = TaskContext(hostName: hostName, searchPaths: role.searchPaths(topLevelTemplates: topLevelTemplates),
                                      variables: variables, renderer: renderer)
            module = try moduleType.init(args: ModuleArgs(module: task.module, values: args), context: context)
            pendingError = nil
        } catch {
            module = nil
            pendingError = error
        }
    }

    /// Adds the host's facts, so that variables and templates that need them can render, in
    /// their layer of `HostVariables`: above the inventory and role defaults, under `-e`
    /// (`kept`) and the loop's `item`. A task built before with a value a fact replaces is
    /// built again (rare: a variable named like a fact).
    mutating func learn(_ facts: [String: Value], kept: Set<String>, renderer: TemplateRenderer, scopes: inout ResolvedScopes) {
        var replaced = false
        for (name, value) in facts where !kept.contains(name) && name != "item" {
            if let old = rawVariables[name], old != value { replaced = true }
            rawVariables[name] = value
        }
        let scope = ResolvedScopes.Scope(role: role.name, isHandler: isHandler, item: rawVariables["item"], withFacts: true)
        variables = scopes.resolve(rawVariables, scope: scope, renderer: renderer)
        if replaced { module = nil }
    }

    /// Whether every `when:` condition holds.
    func shouldRun(renderer: TemplateRenderer) throws -> Bool {
        for condition in task.when {
            if try !renderer.evaluate(condition: condition.withoutJinjaBraces, name: task.location, variables: variables) { return false }
        }
        return true
    }

    private static func loopItems(_ task: RoleTask, variables: [String: Value], renderer: TemplateRenderer) throws -> [Value?] {
        guard let loop = task.loop else { return [nil] }
        switch loop {
        case .list(let items):
            return try items.map { try renderer.renderValue($0, name: task.location, variables: variables) }
        case .string(let text):
            // `loop: "{{ backends }}"` names a list variable; resolve it instead of rendering text.
            let name = text.replacingOccurrences(of: "{{", with: "").replacingOccurrences(of: "}}", with: "").trimmingCharacters(in: .whitespaces)
            var current: Value? = variables[name.split(separator: ".").first.map(String.init) ?? name]
            for part in name.split(separator: ".").dropFirst() {
                if case .map(let entries)? = current { current = entries[String(part)] } else { current = nil }
            }
            guard case .list(let items)? = current else {
                throw ModuleError(argument: "loop", message: "\(name) is not a list variable of this host")
            }
            return items
        default:
            throw ModuleError(argument: "loop", message: "loop takes a list or \"{{ list_variable }}\"")
        }
    }
}

/// A host's variables resolved once per distinct scope (a role's variables, a loop item's, with
/// or without the host's facts) instead of once per task: resolving renders every templated
/// variable, and the tasks of a role share one scope. One instance serves one host's binding,
/// where a scope's variables are the same for every task in it; the scope names it, so the
/// whole variable map (hostvars of every host included) is never hashed or compared.
struct ResolvedScopes {
    struct Scope: Hashable {
        var role: String
        var isHandler: Bool
        var item: Value?
        var withFacts: Bool
    }
    private var cache: [Scope: [String: Value]] = [:]

    mutating func resolve(_ raw: [String: Value], scope: Scope, renderer: TemplateRenderer) -> [String: Value] {
        if let known = cache[scope] { return known }
        let resolved = renderer.resolveVariables(raw)
        cache[scope] = resolved
        return resolved
    }
}

extension Value {
    /// A short label for loop items in reports.
    var shortText: String {
        switch self {
        case .map(let entries):
            for key in ["name", "key", "path", "dest"] { if let value = entries[key]?.plainString { return value } }
            return "\(entries.count) keys"
        case .list(let items): return items.compactMap(\.plainString).joined(separator: ",")
        default: return plainString ?? ""
        }
    }
}
