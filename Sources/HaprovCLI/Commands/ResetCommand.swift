import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// `haprov reset INVENTORY`: hosts back to what they were before haprov's first change.
struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Put hosts back to their state before haprov first changed them (packages, files, sysctl, firewall, routes, services).",
        discussion: "SSH access is kept. Exit status: 0 done (or, with --check, nothing to do), 2 with --check when something would be reset, 1 error (a host failed or was unreachable, or the input is wrong).")

    @OptionGroup var inventory: InventoryOptions

    @Flag(name: .long, help: "Only show what would be done.")
    var check = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        // The plays' roles' argument specs hold for reset too: a wrong value is said before any
        // host is reached. An inventory without plays is reset all the same.
        let project = try inventory.project(rolesPath: nil, plays: false)
        var options = EngineOptions()
        options.check = check
        options.forks = inventory.forks
        let summary = try output.run(command: "reset") { reporter in
            Engine(factory: SSHTransportFactory(), reporter: reporter, options: options).run(project.resetJobs())
        }
        if !summary.succeeded { throw ExitCode(HaprovExit.failure) }
        if check, summary.changed { throw ExitCode(HaprovExit.drift) }
    }
}
