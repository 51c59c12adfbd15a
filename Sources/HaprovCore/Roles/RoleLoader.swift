import Foundation
import Yams

/// Reads roles from disk, reporting every problem of every file at once.
public enum RoleLoader {
    static let taskKeywords: Set<String> = ["name", "when", "notify", "tags", "become", "loop", "with_items", "listen", "ignore_errors"]
    /// Keywords Ansible users may write that haprov does not support yet: refused, not ignored.
    static let unsupportedKeywords: Set<String> = ["register", "changed_when", "failed_when", "delegate_to", "run_once", "until", "retries", "block", "rescue", "always", "include_tasks", "import_tasks", "vars"]

    /// Loads `names` from `rolesDirectory`, in order.
    public static func load(_ names: [String], from rolesDirectory: String) throws -> [Role] {
        try load(names, from: [rolesDirectory])
    }

    /// Each role from the first folder that has it (the user's before haprov's own).
    public static func load(_ names: [String], from folders: [String]) throws -> [Role] {
        var roles: [Role] = []
        var problems: [Diagnostic] = []
        for name in names {
            let folder = folders.first { ProjectPaths.isDirectory(($0 as NSString).appendingPathComponent(name)) } ?? folders.first ?? "Roles"
            do { roles.append(try load(name, from: folder)) } catch let error as LoadError {
                guard folders.count > 1, error.problems.first?.message == "no role \(name)" else { problems += error.problems; continue }
                let known = folders.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }
                problems.append(Diagnostic(location: folders.joined(separator: ", "), message: "no role \(name)",
                                            fix: Suggest.nearest(name, in: known).map { "did you mean \($0)?" } ?? "roles are folders of \(folders.joined(separator: " or "))"))
            }
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return roles
    }

    public static func load(_ name: String, from rolesDirectory: String) throws -> Role {
        let directory = (rolesDirectory as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: rolesDirectory)) ?? []
            throw LoadError(problems: [Diagnostic(location: directory, message: "no role \(name)",
                                                   fix: Suggest.nearest(name, in: known).map { "did you mean \($0)?" } ?? "roles are folders of \(rolesDirectory)")])
        }
        var problems: [Diagnostic] = []
        var tasks: [RoleTask] = []
        var handlers: [RoleTask] = []
        var defaults: [String: Value] = [:]
        if let path = mainFile(directory + "/tasks") {
            tasks = collect(&problems) { try loadTasks(path) } ?? []
        } else {
            problems.append(Diagnostic(location: directory, message: "role \(name) has no tasks/main.yml"))
        }
        if let path = mainFile(directory + "/handlers") {
            handlers = collect(&problems) { try loadTasks(path) } ?? []
        }
        var defaultLocations: [String: String] = [:]
        if let path = mainFile(directory + "/defaults"), let loaded = collect(&problems, { try loadVariablesWithLocations(path) }) {
            (defaults, defaultLocations) = loaded
        }
        var rollout: RolloutSpec?
        if let path = mainFile(directory + "/meta", names: ["rollout.yml", "rollout.yaml"]) {
            rollout = collect(&problems) { try RolloutSpec.load(path) }
            let known = Set((tasks + handlers).map(\.name) + handlers.flatMap(\.listen))
            for name in rollout?.interrupts ?? [] where !known.contains(name) {
                problems.append(Diagnostic(location: path, message: "interrupts names \(name), which is no task or handler of role \(roleName(directory))",
                                            fix: Suggest.nearest(name, in: Array(known)).map { "did you mean \($0)?" }))
            }
        }
        var smoke: SmokeSpec?
        if let path = mainFile(directory + "/meta", names: ["smoke.yml", "smoke.yaml"]) {
            smoke = collect(&problems) { try SmokeSpec.load(path) }
        }
        var specs: ArgumentSpecs?
        if let path = mainFile(directory + "/meta", names: ["argument_specs.yml", "argument_specs.yaml"]) {
            specs = collect(&problems) { try ArgumentSpecs.load(path) }
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return Role(name: name, directory: directory, tasks: tasks, handlers: handlers, defaults: defaults, rollout: rollout, smoke: smoke,
                    defaultLocations: defaultLocations, argumentSpecs: specs)
    }

    private static func collect<T>(_ problems: inout [Diagnostic], _ body: () throws -> T) -> T? {
        do { return try body() } catch let error as LoadError {
            problems += error.problems
        } catch {
            problems.append(Diagnostic(location: "", message: "\(error)"))
        }
        return nil
    }

    private static func roleName(_ directory: String) -> String { (directory as NSString).lastPathComponent }

    private static func mainFile(_ directory: String, names: [String] = ["main.yml", "main.yaml"]) -> String? {
        for name in names where FileManager.default.fileExists(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        return nil
    }

    static func loadVariables(_ path: String) throws -> [String: Value] {
        try loadVariablesWithLocations(path).values
    }

    /// A variables file and where each variable's value is written.
    static func loadVariablesWithLocations(_ path: String) throws -> (values: [String: Value], locations: [String: String]) {
        let document = try YAMLDocument(path: path)
        guard let root = document.root else { return ([:], [:]) }
        guard case .map(let entries) = YAMLDocument.value(root) else {
            throw LoadError(problems: [Diagnostic(location: document.location(root), message: "expected a mapping of variables")])
        }
        return (entries, document.valueLocations(root))
    }

    /// Parses a task list; each task is a mapping with exactly one module key.
    static func loadTasks(_ path: String) throws -> [RoleTask] {
        let document = try YAMLDocument(path: path)
        guard let root = document.root else { return [] }
        guard case .sequence(let sequence) = root else {
            throw LoadError(problems: [Diagnostic(location: document.location(root), message: "expected a list of tasks")])
        }
        var tasks: [RoleTask] = []
        var problems: [Diagnostic] = []
        for node in sequence {
            let location = document.location(node)
            guard case .mapping(let mapping) = node else {
                problems.append(Diagnostic(location: location, message: "a task must be a mapping (name:, module:, ...)"))
                continue
            }
            var fields: [String: Value] = [:]
            var moduleKeys: [(String, Node)] = []
            for (keyNode, valueNode) in mapping {
                let key = keyNode.string ?? ""
                if unsupportedKeywords.contains(key) {
                    problems.append(Diagnostic(location: document.location(keyNode), message: "'\(key)' is not supported by haprov", fix: "remove it, or split the task"))
                } else if taskKeywords.contains(key) {
                    fields[key] = YAMLDocument.value(valueNode)
                } else {
                    moduleKeys.append((key, valueNode))
                }
            }
            guard moduleKeys.count == 1, let (rawModule, argsNode) = moduleKeys.first else {
                let names = moduleKeys.map(\.0)
                problems.append(Diagnostic(location: location,
                                            message: names.isEmpty ? "task has no module" : "task names several modules or unknown keywords: \(names.joined(separator: ", "))",
                                            fix: "one module per task; keywords: \(taskKeywords.sorted().joined(separator: ", "))"))
                continue
            }
            let module = rawModule.hasPrefix("ansible.builtin.") ? String(rawModule.dropFirst("ansible.builtin.".count)) : rawModule
            do { _ = try ModuleRegistry.module(named: module) } catch let error as ModuleError {
                problems.append(Diagnostic(location: document.location(argsNode), message: error.message, fix: error.fix))
                continue
            }
            let args: [String: Value]
            switch YAMLDocument.value(argsNode) {
            case .map(let entries): args = entries
            case .null: args = [:]
            case .string(let text): args = freeForm(text, module: module)
            default:
                problems.append(Diagnostic(location: document.location(argsNode), message: "\(module) arguments must be a mapping or a string"))
                continue
            }
            tasks.append(RoleTask(
                name: fields["name"]?.plainString ?? "\(module)",
                module: module,
                args: args,
                when: fields["when"]?.stringList ?? [],
                notify: fields["notify"]?.stringList ?? [],
                tags: fields["tags"]?.stringList ?? [],
                become: fields["become"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } },
                loop: fields["loop"] ?? fields["with_items"],
                listen: fields["listen"]?.stringList ?? [],
                ignoreErrors: fields["ignore_errors"] == .bool(true),
                location: location))
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return tasks
    }

    /// `command: ls /` is a raw command; `apt: name=x state=present` is key=value pairs.
    static func freeForm(_ text: String, module: String) -> [String: Value] {
        if module == "command" || module == "shell" { return ["_raw": .string(text)] }
        var args: [String: Value] = [:]
        for word in text.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return ["_raw": .string(text)] }
            args[parts[0]] = .string(parts[1])
        }
        return args
    }
}

extension Value {
    /// The text of a scalar (numbers and booleans as YAML would print them).
    public var plainString: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// A string or a list of strings as a list.
    public var stringList: [String] {
        switch self {
        case .list(let items): return items.compactMap(\.plainString)
        default: return plainString.map { [$0] } ?? []
        }
    }
}
