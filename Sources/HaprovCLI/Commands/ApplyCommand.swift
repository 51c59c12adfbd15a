import ArgumentParser
import HaprovCore
import HaprovSSH

/// `haprov apply INVENTORY`: bring every host to the state its roles describe.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Bring every host to the state its roles describe (idempotent).",
        discussion: "Exit status: 0 when every host is done, 1 when a host failed or was unreachable or the input is wrong.")

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var engineOptions: EngineRunOptions

    @Flag(name: .long, help: "Plan only and change nothing (same as haprov check, but exits 0 on drift).")
    var check = false

    @Flag(name: .long, help: "Do not run the smoke tests after a successful apply.")
    var noTest = false

    @OptionGroup var report: ReportOptions

    @OptionGroup var listing: PlaybookListing

    @Option(name: .long, help: ArgumentHelp("Start each host at the first task of this name; the tasks before it (and their handlers) are left out.", valueName: "NAME"))
    var startAtTask: String?

    @Flag(name: .long, help: "Before each task that would change a host, show what it would change and ask: (y)es, (n)o, (c)ontinue without asking.")
    var step = false

    @Flag(name: .long, help: "When a host moved to its network_address, write the new address into the inventory's ansible_host (only that value changes).")
    var writeBack = false

    func run() throws {
        if listing.any {
            let project = try inventory.project(rolesPath: engineOptions.rolesPath, extraVariables: try engineOptions.extraVariables(), connecting: false)
            try listing.run(project, options: engineOptions)
            return
        }
        let smoke = !check && !noTest && inventory.limit == nil
        let (loaded, jobs, summary) = try engineOptions.runEngine(inventory, check: check, keepConnections: smoke, startAtTask: startAtTask,
                                                                  step: step ? StepPrompt.standardInput(output: StandardOutput.err) : nil)
        // The smoke tests reuse the run's sessions; the pool closes them, or this does.
        var handedOver = false
        defer { if !handedOver { summary.connections.values.forEach { $0.close() } } }
        let noted = MovedHosts.report(summary.addresses, inventory: loaded, writeBack: writeBack)
        if !summary.succeeded || !noted { throw ExitCode(HaprovExit.failure) }
        // Smoke tests need the whole stack: only when no --limit narrowed the run, and when the
        // hosts' roles declare a front and backends to test (meta/smoke.yml).
        let declared = jobs.flatMap(\.roles).compactMap(\.smoke)
        if smoke, declared.contains(where: { $0.front != nil }), declared.contains(where: { $0.backend != nil }) {
            if engineOptions.output.format == .human { StandardOutput.out.write("\n") }
            handedOver = true
            if try !SmokeOutput.run(jobs: jobs, inventoryPath: loaded.path, report: report, open: summary.connections, json: engineOptions.output.format == .json) {
                throw ExitCode(HaprovExit.failure)
            }
        }
    }
}
