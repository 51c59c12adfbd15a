import Foundation

/// Who holds a Keepalived VIP, compared with what the inventory says: exactly one node, and the
/// MASTER unless nopreempt lets a BACKUP keep it. Used by `check` (drift) and the smoke tests.
public struct VIPOwnership: Sendable {
    public var vip: String
    public var holders: [String]
    public var master: String?
    public var nopreempt: Bool

    /// One command per balancer, all balancers at once.
    public static func observe(_ topology: SmokeTopology, connect: @escaping @Sendable (String) throws -> any Transport) throws -> VIPOwnership? {
        guard let vip = topology.vip, topology.balancers.count >= 2 else { return nil }
        let answers = Parallel.map(topology.balancers.map(\.host)) { host -> Result<String?, any Error> in
            Result {
                let result = try connect(host).run(TrafficControl.holdsVIP(vip), timeout: .seconds(30))
                return result.stdoutText.hasPrefix("yes") ? host : nil
            }
        }
        let holders = try answers.compactMap { try $0.get() }
        return VIPOwnership(vip: vip, holders: holders, master: topology.balancers.first { $0.isMaster }?.host, nopreempt: topology.nopreempt)
    }

    /// From addresses already known per balancer (the engine's host facts): no connection.
    public static func from(_ topology: SmokeTopology, addresses: [String: [String]]) -> VIPOwnership? {
        guard let vip = topology.vip, topology.balancers.count >= 2 else { return nil }
        let holders = topology.balancers.map(\.host).filter { addresses[$0]?.contains(vip) == true }
        return VIPOwnership(vip: vip, holders: holders, master: topology.balancers.first { $0.isMaster }?.host, nopreempt: topology.nopreempt)
    }

    public var isExpected: Bool { holders.count == 1 && (master == nil || nopreempt || holders == [master]) }

    public var description: String { Phrasebook(.en).text(note) }

    /// What was seen, as data for any language.
    public var note: Note {
        switch holders.count {
        case 0: return Note("vip.none", [vip])
        case 1: return isExpected ? Note("vip.one", [holders[0], vip]) : Note("vip.notMaster", [holders[0], vip, master ?? ""])
        default: return Note("vip.split", [holders.joined(separator: " & "), vip])
        }
    }
}
