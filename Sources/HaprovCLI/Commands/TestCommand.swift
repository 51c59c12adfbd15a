import ArgumentParser
import HaprovCore

/// `haprov test INVENTORY`: prove the stack works the way the course tests it by hand.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Smoke-test the stack: round robin, stats page, failover and recovery, VIP failover and failback, client address.",
        discussion: "Stops and restarts services on the hosts while it runs. Exit status: 0 when every test passed, 1 otherwise.")

    @OptionGroup var inventory: InventoryOptions

    @OptionGroup var report: ReportOptions

    @Option(name: .long, help: "Output: human (default) or json (one `smoke` event per test).")
    var format: OutputOptions.Format = .human

    @Option(name: .long, help: "Folder of roles (default: found beside the inventory).")
    var rolesPath: String?

    func run() throws {
        let project = try inventory.project(rolesPath: rolesPath)
        if try !SmokeOutput.run(jobs: project.jobs, inventoryPath: project.inventory.path, report: report, json: format == .json) {
            throw ExitCode(HaprovExit.failure)
        }
    }
}
