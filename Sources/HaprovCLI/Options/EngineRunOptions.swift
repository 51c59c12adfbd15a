import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// Flags shared by `apply` and `check`: what to run and how to report it.
struct EngineRunOptions: ParsableArguments {
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: "Only tasks with these tags (comma-separated; a role's name tags all its tasks).")
    var tags: String?

    @Option(name: .long, help: "Skip tasks with these tags (comma-separated).")
    var skipTags: String?

    @Option(name: [.short, .customLong("extra-vars")], help: ArgumentHelp("Set a variable for every host, above all inventory variables, like ansible -e (repeatable; the value is read as YAML).", valueName: "NAME=VALUE"))
    var extraVars: [String] = []

    /// The -e variables; a malformed one is a usage error naming it.
    func extraVariables() throws -> [String: Value] {
        var variables: [String: Value] = [:]
        for item in extraVars {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("-e \(item): give NAME=VALUE, e.g. -e http_port=8080")
            }
            let name = String(item[..<equals]), text = String(item[item.index(after: equals)...])
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw ValidationError("-e \(item): '\(name)' is not a variable name")
            }
            variables[name] = (try? YAMLDocument.parseValue(text)) ?? .string(text)
        }
        return variables
    }

    @Option(name: .long, help: ArgumentHelp("apply: at most N changing hosts at once, over every play (the stack's shape still orders them); 0 changes every host at once, with no drain, hand-over or health gate.", valueName: "N"))
    var serial: Int?

    @Option(name: .long, help: "Folder of roles (default: Roles/ beside the inventory, its parent, the current folder, or haprov's own).")
    var rolesPath: String?

    func validate() throws {
        if let serial, serial < 0 { throw ValidationError("--serial \(serial): give a number of hosts, 0 for all at once") }
    }

    /// The inventory's jobs (with -e) run through the engine: what `apply` and `check` share.
    func runEngine(_ inventory: InventoryOptions, check: Bool, keepConnections: Bool = false,
                   startAtTask: String? = nil, step: StepPrompt? = nil) throws -> (inventory: Inventory, jobs: [HostJob], summary: RunSummary) {
        // With --limit, the other hosts are reached (never changed) to drain a backend or find the VIP.
        let project = try inventory.project(rolesPath: rolesPath, extraVariables: try extraVariables(), context: inventory.limit != nil && !check)
        let (loaded, jobs, context) = (project.inventory, project.jobs, project.context)
        var options = engineOptions(check: check, forks: inventory.forks, topLevelTemplates: project.templatesPath)
        options.rollout.serial = serial
        options.keepConnections = keepConnections
        options.step = step
        if let startAtTask {
            // A name no role of the run has would silently run nothing: refuse it, with the nearest.
            let names = Array(Set(jobs.flatMap(\.roles).flatMap(\.tasks).map(\.name))).sorted()
            guard names.contains(startAtTask) else {
                throw ValidationError("--start-at-task \(startAtTask): no task of the selected hosts' roles has this name"
                                      + (Suggest.nearest(startAtTask, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""))
            }
            options.startAtTask = startAtTask
        }
        do {
            (options.rollout.limits, options.rollout.maxFailPercentage) = try project.playbook.rollout { try loaded.select(limit: $0) }
        } catch {
            throw ValidationError("\(error)")
        }
        let summary = try output.run(command: check ? "check" : "apply") { reporter in
            Engine(factory: SSHTransportFactory(), reporter: reporter, options: options).run(jobs, context: context)
        }
        return (loaded, jobs, summary)
    }

    func engineOptions(check: Bool, forks: Int?, topLevelTemplates: String?) -> EngineOptions {
        var options = EngineOptions()
        options.check = check
        options.forks = forks
        options.tags = Set((tags ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        options.skipTags = Set((skipTags ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        options.topLevelTemplates = topLevelTemplates
        return options
    }
}

