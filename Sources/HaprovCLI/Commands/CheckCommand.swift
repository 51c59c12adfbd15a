import ArgumentParser
import HaprovCore
import HaprovSSH

/// `haprov check INVENTORY`: what differs from the inventory, changing nothing.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report drift: what differs on each host from what the inventory describes. Changes nothing.",
        discussion: "Exit status (like terraform plan -detailed-exitcode): 0 in sync, 2 drift, 1 error (a host failed or was unreachable, or the input is wrong).")

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var engineOptions: EngineRunOptions

    func run() throws {
        let (loaded, hosts) = try inventory.load()
        let jobs = try JobBuilder.jobs(inventory: loaded, hosts: hosts, options: inventory, rolesPath: engineOptions.rolesPath)
        let templates = ProjectPaths.find("Templates", inventory: loaded.path, explicit: nil)
        let engine = Engine(factory: SSHTransportFactory(), reporter: engineOptions.reporter(),
                            options: engineOptions.engineOptions(check: true, forks: inventory.forks, topLevelTemplates: templates))
        let summary = engine.run(jobs)
        if !summary.succeeded { throw ExitCode(HaprovExit.failure) }
        if summary.changed { throw ExitCode(HaprovExit.drift) }
    }
}
