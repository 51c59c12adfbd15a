import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// Flags shared by `apply` and `check`: what to run and how to report it.
struct EngineRunOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case human, json }

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

    @Flag(name: .long, help: "Show unified diffs of files (secrets masked).")
    var diff = false

    @Flag(name: [.short, .long], help: "Also list skipped tasks and details.")
    var verbose = false

    @Option(name: .long, help: "Output: human (default) or json (one JSON event per line).")
    var format: Format = .human

    @Option(name: .long, help: "Folder of roles (default: Roles/ beside the inventory, its parent, the current folder, or haprov's own).")
    var rolesPath: String?

    func validate() throws {
        if let serial, serial < 0 { throw ValidationError("--serial \(serial): give a number of hosts, 0 for all at once") }
    }

    @Option(name: .long, help: ArgumentHelp("Also write every task of every host as JUnit XML, for CI tools.", valueName: "FILE"))
    var junit: String?

    func reporter(command: String = "check") -> any Reporter {
        let chosen: any Reporter
        switch format {
        case .human: chosen = HumanReporter(output: StandardOutput.out, showDiff: diff, verbose: verbose)
        case .json: chosen = JSONLinesReporter(output: StandardOutput.out)
        }
        guard let junit else { return chosen }
        return JUnitReporter(wrapping: chosen, path: junit, command: command)
    }

    /// The inventory's jobs (with -e) run through the engine: what `apply` and `check` share.
    func runEngine(_ inventory: InventoryOptions, check: Bool, keepConnections: Bool = false,
                   startAtTask: String? = nil) throws -> (inventory: Inventory, jobs: [HostJob], summary: RunSummary) {
        let (loaded, hosts) = try inventory.load()
        // With --limit, the other hosts are reached (never changed) to drain a backend or find the VIP.
        let (jobs, context) = try JobBuilder.jobs(inventory: loaded, hosts: hosts, options: inventory, rolesPath: rolesPath,
                                                  extraVariables: try extraVariables(), context: inventory.limit != nil && !check)
        let templates = ProjectPaths.find("Templates", inventory: loaded.path, explicit: nil)
        var options = engineOptions(check: check, forks: inventory.forks, topLevelTemplates: templates)
        options.rollout.serial = serial
        options.keepConnections = keepConnections
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
            let playbook = try Playbook(loaded.groupVariables("all")[Playbook.variable], source: loaded.path)
            (options.rollout.limits, options.rollout.maxFailPercentage) = try playbook.rollout { try loaded.select(limit: $0) }
        } catch {
            throw ValidationError("\(error)")
        }
        let chosen = reporter(command: check ? "check" : "apply")
        let engine = Engine(factory: SSHTransportFactory(), reporter: chosen, options: options)
        let summary = engine.run(jobs, context: context)
        if let junit = chosen as? JUnitReporter, let problem = junit.writeError {
            Console.error(problem)
            throw ExitCode(HaprovExit.failure)
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

/// Finds Roles/ and Templates/ for an inventory.
enum ProjectPaths {
    static func candidates(_ folder: String, inventory: String) -> [String] {
        let inventoryDirectory = (URL(fileURLWithPath: inventory).standardizedFileURL.deletingLastPathComponent()).path
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/<config>/haprov in a checkout: the checkout's own folder, three levels up.
        let checkout = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        return [
            inventoryDirectory + "/" + folder,
            inventoryDirectory + "/" + folder.lowercased(),
            (inventoryDirectory as NSString).deletingLastPathComponent + "/" + folder,
            FileManager.default.currentDirectoryPath + "/" + folder,
            checkout + "/" + folder,
            "/usr/local/share/haprov/" + folder,
        ]
    }

    static func find(_ folder: String, inventory: String, explicit: String?) -> String? {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["HAPROV_\(folder.uppercased())_PATH"] { return env }
        return candidates(folder, inventory: inventory).first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }
}

/// Turns an inventory into host jobs: plays resolved, roles loaded, connection specs built.
enum JobBuilder {
    /// With `connecting` false the jobs have no connection settings checked (keys, passwords):
    /// for listing and syntax checks, which reach no host.
    static func jobs(inventory: Inventory, hosts: [String], options: InventoryOptions, rolesPath: String?, extraVariables: [String: Value] = [:],
                     connecting: Bool = true) throws -> [HostJob] {
        try jobs(inventory: inventory, hosts: hosts, options: options, rolesPath: rolesPath, extraVariables: extraVariables, context: false,
                 connecting: connecting).selected
    }

    /// The jobs of `hosts`, and with `context` those of the inventory's other hosts whose
    /// connection can be built (not reported: a rollout reaches them only when it needs to).
    /// Roles are loaded once for both.
    static func jobs(inventory: Inventory, hosts: [String], options: InventoryOptions, rolesPath: String?, extraVariables: [String: Value],
                     context: Bool, connecting: Bool = true) throws -> (selected: [HostJob], context: [HostJob]) {
        guard let roles = ProjectPaths.find("Roles", inventory: inventory.path, explicit: rolesPath) else {
            Console.error("no Roles folder found for \(inventory.path); looked in: \(ProjectPaths.candidates("Roles", inventory: inventory.path).joined(separator: ", ")) (fix: --roles-path DIR)")
            throw ExitCode(HaprovExit.failure)
        }
        do {
            let playbook = try Playbook(inventory.groupVariables("all")[Playbook.variable], source: inventory.path)
            let loaded = try playbook.loadRoles(from: roles)
            let byName = Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) })
            let rolesOfHost = try playbook.roles(select: { try inventory.select(limit: $0) })
            func job(_ spec: ConnectionSpec) -> HostJob {
                HostJob(name: spec.name, connection: spec, roles: (rolesOfHost[spec.name] ?? []).compactMap { byName[$0] },
                        variables: inventory.variables(for: spec.name).merging(extraVariables) { _, extra in extra })
            }
            // The roles' argument specs, for every host, before any host is reached; reported
            // together with any connection problem.
            let unconnected = hosts.map { job(ConnectionSpec(name: $0, address: $0)) }
            SecretMasking.register(jobs: unconnected)
            let problems = ArgumentSpecs.validate(unconnected) { host in
                inventory.variableLocations(for: host).merging(Dictionary(uniqueKeysWithValues: extraVariables.keys.map { ($0, "-e \($0)") })) { _, e in e }
            }
            if !problems.isEmpty {
                Console.error("\(problems.count) problem(s) with the roles' variables:\n" + problems.map { "  " + $0.description }.joined(separator: "\n"))
            }
            if !connecting {
                if !problems.isEmpty { throw ExitCode(HaprovExit.failure) }
                return (unconnected, [])
            }
            let selected = try options.connectionSpecs(inventory, hosts: hosts).map(job)
            if !problems.isEmpty { throw ExitCode(HaprovExit.failure) }
            guard context else { return (selected, []) }
            let chosen = Set(hosts)
            let others = try inventory.select(limit: nil).filter { !chosen.contains($0) }.compactMap { host in
                (try? inventory.connectionSpec(for: host, defaults: options.connectionDefaults)).map(job)
            }
            return (selected, others)
        } catch let error as ExitCode {
            throw error
        } catch {
            Console.error("\(error)")
            throw ExitCode(HaprovExit.failure)
        }
    }
}
