import ArgumentParser
import Foundation
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
        let (_, _, summary) = try engineOptions.runEngine(inventory, check: true)
        if !summary.succeeded { throw ExitCode(HaprovExit.failure) }
        if !summary.inSync { throw ExitCode(HaprovExit.drift) }
    }
}
