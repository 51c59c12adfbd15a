import Foundation

/// `--format json`: one JSON object per line, for scripts. Diffs have secrets masked.
public final class JSONLinesReporter: Reporter, @unchecked Sendable {
    private let output: TextOutput
    private let lock = NSLock()

    public init(output: TextOutput = StandardOutput.out) { self.output = output }

    public func report(_ event: EngineEvent) {
        var object: [String: Any]
        switch event {
        case .started(let hosts, let check):
            object = ["event": "start", "hosts": hosts, "check": check]
        case .unreachable(let host, let error):
            object = ["event": "unreachable", "host": host, "error": error]
        case .progress(let host, let task, let seconds):
            object = ["event": "progress", "host": host, "task": task, "seconds": seconds]
        case .task(let r):
            object = ["event": r.isHandler ? "handler" : "task", "host": r.host, "role": r.role, "task": r.task,
                      "status": r.status.rawValue, "changes": r.changes, "diffs": r.diffs.map(SecretMasking.mask),
                      "seconds": (r.seconds * 1000).rounded() / 1000]
            if let message = r.message { object["message"] = message }
        case .rollout(.plan(let batches, let groups, let unchanged)):
            object = ["event": "rollout", "batches": batches, "unchanged": unchanged,
                      "groups": groups.map { ["reason": $0.reason, "hosts": $0.hosts] as [String: Any] }]
        case .rollout(.batch(let index, let count, let hosts)):
            object = ["event": "batch", "index": index, "of": count, "hosts": hosts]
        case .rollout(.step(let step)):
            object = ["event": "rollout_step", "host": step.host, "action": step.action, "detail": SecretMasking.mask(step.detail),
                      "seconds": (step.seconds * 1000).rounded() / 1000, "ok": step.ok]
        case .rollout(.stopped(let reason, let untouched)):
            object = ["event": "rollout_stopped", "reason": reason, "untouched": untouched]
        case .moved(let move):
            object = ["event": "moved", "host": move.host, "from": move.from, "to": move.to, "outcome": move.outcome.rawValue,
                      "seconds": (move.seconds * 1000).rounded() / 1000, "detail": move.detail]
        case .smoke(let result):
            object = ["event": "smoke", "kind": result.kind.rawValue, "test": result.test, "passed": result.passed,
                      "observation": result.observation, "seconds": (result.seconds * 1000).rounded() / 1000]
            if let subject = result.subject { object["subject"] = subject }
        case .vip(let ownership):
            object = ["event": "vip", "vip": ownership.vip, "holders": ownership.holders,
                      "status": ownership.isExpected ? "ok" : "drift", "message": ownership.description]
        case .finished(let recaps):
            object = ["event": "recap", "hosts": recaps.map { r in
                ["host": r.host, "ok": r.ok, "changed": r.changed, "unreachable": r.unreachable,
                 "failed": r.failed, "skipped": r.skipped, "round_trips": r.roundTrips] as [String: Any]
            }]
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        lock.withLock { output.write(SecretMasking.mask(String(decoding: data, as: UTF8.self)) + "\n") }
    }
}
