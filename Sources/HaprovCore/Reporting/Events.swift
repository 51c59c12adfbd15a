import Foundation

/// How a task ended on one host.
public enum TaskStatus: String, Sendable, Codable {
    case ok, changed, failed, skipped
}

/// One task's outcome on one host.
public struct TaskResult: Sendable {
    public var host: String
    public var role: String
    public var task: String
    public var status: TaskStatus
    /// What changed (or would change in check mode), one line each.
    public var changes: [String]
    /// Unified diffs of files, secrets not yet masked.
    public var diffs: [String]
    public var message: String?
    public var isHandler: Bool
    public var seconds: Double
}

/// Totals per host, like Ansible's PLAY RECAP.
public struct HostRecap: Sendable, Codable, Equatable {
    public var host: String
    public var ok = 0
    public var changed = 0
    public var unreachable = 0
    public var failed = 0
    public var skipped = 0
    /// Remote round trips made for this host (facts, changes), for benchmarks.
    public var roundTrips = 0

    public init(host: String) { self.host = host }
}

/// What the engine tells a reporter, in order per host (hosts interleave).
public enum EngineEvent: Sendable {
    case started(hosts: [String], check: Bool)
    case unreachable(host: String, error: String)
    case task(TaskResult)
    /// A slow change is still running (apt): elapsed seconds so far.
    case progress(host: String, task: String, seconds: Int)
    case rollout(RolloutEvent)
    /// Who holds the stack's VIP, compared with the inventory (check).
    case vip(VIPOwnership)
    case finished([HostRecap])
}

/// How a change rolls out over a live stack: batches, hand-overs, drains, health gates.
public enum RolloutEvent: Sendable {
    /// The batches, the groups that ordered them, and the hosts with nothing to change.
    case plan(batches: [[String]], groups: [StackShape.Group], unchanged: [String])
    case batch(index: Int, of: Int, hosts: [String])
    /// One step on one host: handover, takeback, drain, ready, gate; how long it waited.
    case step(RolloutStep)
    /// The rollout stopped: why, and the hosts left untouched (still serving as before).
    case stopped(reason: String, untouched: [String])
}

public struct RolloutStep: Sendable {
    public var host: String
    /// handover, takeback, drain, ready, gate, stack
    public var action: String
    public var detail: String
    public var seconds: Double
    public var ok: Bool

    public init(host: String, action: String, detail: String, seconds: Double, ok: Bool) {
        self.host = host
        self.action = action
        self.detail = detail
        self.seconds = seconds
        self.ok = ok
    }
}

/// Receives engine events; implementations must be safe to call from several host threads.
public protocol Reporter: Sendable {
    func report(_ event: EngineEvent)
}

/// Masks secrets (passwords, auth_pass, stats auth) in text shown to people or machines.
public enum SecretMasking {
    static let patterns: [String] = [
        #"(?im)^(\s*[+\- ]?\s*auth_pass\s+)\S+"#,
        #"(?im)(stats\s+auth\s+[^:\s]+:)\S+"#,
        #"(?im)^(\s*[+\- ]?\s*[A-Za-z_]*(password|passwd|secret|token)[A-Za-z_]*\s*[:=]\s*)\S+"#,
    ]

    public static func mask(_ text: String) -> String {
        var result = text
        for pattern in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            result = regex.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: "$1********")
        }
        return result
    }
}
