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
        let (_, jobs, summary) = try engineOptions.runEngine(inventory, check: true)
        let vipInSync = checkVIP(jobs, summary: summary)
        if !summary.succeeded { throw ExitCode(HaprovExit.failure) }
        if summary.changed || !vipInSync { throw ExitCode(HaprovExit.drift) }
    }

    /// The VIP must be held by one node, the MASTER (unless nopreempt). Only when every
    /// balancer of the stack was selected: with --limit the answer would be partial. Read from
    /// the addresses each host reported in the run's first round trip.
    func checkVIP(_ jobs: [HostJob], summary: RunSummary) -> Bool {
        guard let topology = try? SmokeSession.topology(jobs), topology.vip != nil else { return true }
        let addresses = summary.hostFacts.mapValues { facts -> [String] in
            guard case .list(let items)? = facts["ansible_all_ipv4_addresses"] else { return [] }
            return items.compactMap { if case .string(let address) = $0 { address } else { nil } }
        }
        guard let ownership = VIPOwnership.from(topology, addresses: addresses) else { return true }
        engineOptions.reporter().report(.vip(ownership))
        return ownership.isExpected
    }
}
