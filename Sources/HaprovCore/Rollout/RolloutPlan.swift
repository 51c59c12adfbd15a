import Foundation

/// How many hosts may change at once: a number or a percentage of a play's hosts, as in
/// Ansible's `serial`.
public enum Serial: Sendable, Equatable {
    case count(Int)
    case percent(Int)

    /// `3`, `"30%"`; nil for anything else.
    public init?(_ value: Value) {
        switch value {
        case .int(let n) where n >= 0: self = .count(n)
        case .string(let s) where s.hasSuffix("%"):
            guard let p = Int(s.dropLast()), (0...100).contains(p) else { return nil }
            self = .percent(p)
        case .string(let s):
            guard let n = Int(s), n >= 0 else { return nil }
            self = .count(n)
        default: return nil
        }
    }

    /// Hosts at once out of `total` (at least one).
    public func limit(of total: Int) -> Int {
        switch self {
        case .count(let n): return n == 0 ? total : n
        case .percent(let p): return max(1, total * p / 100)
        }
    }
}

/// Batches of hosts to change one after another: never two serving hosts that back each other
/// up (or a balancer and its backend) in one batch, VIP holders after their peers, and within
/// the plays' `serial` limits. Hosts that do not serve yet (a first install) have nothing to
/// protect and go in the first batch that has room.
public struct RolloutPlan: Sendable, Equatable {
    public var batches: [[String]]

    /// A limit on a set of hosts: at most `limit` of them in one batch.
    public struct Limit: Sendable, Equatable {
        public var hosts: Set<String>
        public var limit: Int
        public init(hosts: Set<String>, limit: Int) {
            self.hosts = hosts
            self.limit = limit
        }
    }

    public init(batches: [[String]]) { self.batches = batches }

    /// - Parameters:
    ///   - changing: hosts that will change, in inventory order.
    ///   - serving: hosts whose service answered before the change.
    ///   - holders: hosts holding a VIP now (changed after their peers).
    public static func make(changing: [String], serving: Set<String>, holders: Set<String>, shape: StackShape,
                            limits: [Limit] = []) -> RolloutPlan {
        let ordered = changing.filter { !holders.contains($0) } + changing.filter { holders.contains($0) }
        var batches: [[String]] = []
        for host in ordered {
            let fits = { (batch: [String]) -> Bool in
                let clash = batch.contains { other in
                    serving.contains(host) && serving.contains(other) && shape.conflict(host, other)
                }
                let full = limits.contains { limit in
                    limit.hosts.contains(host) && batch.filter { limit.hosts.contains($0) }.count >= limit.limit
                }
                return !clash && !full
            }
            // A host goes after every batch holding a serving peer placed before it, so that
            // the order (holders last) holds even when an earlier batch has room.
            let after = batches.lastIndex { batch in
                batch.contains { serving.contains(host) && serving.contains($0) && shape.conflict(host, $0) }
            }.map { $0 + 1 } ?? 0
            if let index = batches.indices.first(where: { $0 >= after && fits(batches[$0]) }) {
                batches[index].append(host)
            } else {
                batches.append([host])
            }
        }
        return RolloutPlan(batches: batches)
    }
}
