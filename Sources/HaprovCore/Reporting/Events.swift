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
    /// A change moved a host (new address, gateway, DNS): kept at the new address, rolled back
    /// by the host, or lost; or, in check, a host found at its new address only.
    case moved(AddressMove)
    /// One smoke test's result (the human form prints them as a table at the end).
    case smoke(SmokeResult)
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

/// Masks secrets in text shown to people or machines: every value of a secret variable,
/// wherever it appears (diffs, task output, errors, JSON events, reports, smoke observations),
/// and, as a second net, lines that look like a password setting.
///
/// Secret variables: a name containing password, passwd, pass, secret, token or key (path
/// variables such as `ansible_ssh_private_key_file` excepted), and those listed in
/// `haprov_secret_vars`. Values are registered once per run, before any host is reached.
public enum SecretMasking {
    public static let replacement = "********"
    static let patterns: [String] = [
        #"(?im)^(\s*[+\- ]?\s*auth_pass\s+)\S+"#,
        #"(?im)(stats\s+auth\s+[^:\s]+:)\S+"#,
        #"(?im)^(\s*[+\- ]?\s*[A-Za-z_]*(password|passwd|secret|token)[A-Za-z_]*\s*[:=]\s*)\S+"#,
    ]
    /// Compiled once: every line a reporter prints goes through them.
    nonisolated(unsafe) static let expressions: [NSRegularExpression] = patterns.compactMap { try? NSRegularExpression(pattern: $0) }
    /// Names that hold a path or a setting about secrets, not a secret.
    static let notSecret: Set<String> = ["ansible_ssh_private_key_file", "ansible_private_key_file", "haprov_known_hosts_file",
                                         "haprov_password_env", "haprov_password_file", "haprov_become_password_env",
                                         "haprov_key_passphrase_env", "haprov_secret_vars"]
    public static let listVariable = "haprov_secret_vars"

    private static let lock = NSLock()
    /// Each secret and its spelling inside a JSON string, longest first.
    nonisolated(unsafe) private static var values: [(plain: String, json: String)] = []

    /// Whether a variable of this name holds a secret.
    public static func isSecret(_ name: String, listed: Set<String> = []) -> Bool {
        if listed.contains(name) { return true }
        if notSecret.contains(name) { return false }
        let lower = name.lowercased()
        return ["password", "passwd", "pass", "secret", "token", "key"].contains { lower.containsBytes($0) }
            && !lower.hasSuffix("_file") && !lower.hasSuffix("_path") && !lower.hasSuffix("_url") && !lower.hasSuffix("_env")
    }

    /// The secret values among a host's variables: those of secret names, at the top or as keys
    /// of nested maps (`users: [{name: bob, password: ...}]`).
    public static func secrets(in variables: [String: Value]) -> [String] {
        let listed = Set(variables[listVariable]?.stringList ?? [])
        var found: [String] = []
        func collect(_ value: Value) {
            switch value {
            case .list(let items): items.forEach(collect)
            case .map(let entries): entries.values.forEach(collect)
            default: if let text = value.plainString, text.count >= 3 { found.append(text) }
            }
        }
        func search(_ entries: [String: Value]) {
            for (name, value) in entries {
                if isSecret(name, listed: listed) { collect(value); continue }
                switch value {
                case .map(let inner): search(inner)
                case .list(let items): for case .map(let inner) in items { search(inner) }
                default: break
                }
            }
        }
        search(variables)
        return found
    }

    /// Adds values to mask from now on (longest first, so that a secret inside another goes with it).
    public static func register(_ secrets: [String]) {
        lock.withLock {
            let all = Set(values.map(\.plain) + secrets.filter { !$0.isEmpty })
            values = all.sorted { ($0.count, $0) > ($1.count, $1) }.map { ($0, jsonEscaped($0)) }
        }
    }

    public static func mask(_ text: String) -> String {
        var result = text
        // Foundation's search and the expressions run only where a byte test says they could
        // match: every line a reporter prints comes through here.
        // (A byte test is exact only for ASCII: Foundation's search also finds canonically
        // equivalent spellings, and the expressions fold case beyond ASCII.)
        for (plain, json) in lock.withLock({ values }) {
            if !plain.isASCIIText || result.containsBytes(plain) { result = result.replacingOccurrences(of: plain, with: replacement) }
            // The same value as it appears inside a JSON string.
            if json != plain, !json.isASCIIText || result.containsBytes(json) { result = result.replacingOccurrences(of: json, with: replacement) }
        }
        let lower = result.lowercased()
        guard !result.isASCIIText || ["auth", "passw", "secret", "token"].contains(where: { lower.containsBytes($0) }) else { return result }
        for regex in expressions {
            result = regex.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: "$1" + replacement)
        }
        return result
    }

    /// The value as the event lines write it inside a JSON string (`JSONText`'s own quoting,
    /// so that the masked form is always the written one).
    static func jsonEscaped(_ value: String) -> String {
        var quoted = ""
        JSONText.quote(value, into: &quoted)
        return String(quoted.dropFirst().dropLast())
    }
}
