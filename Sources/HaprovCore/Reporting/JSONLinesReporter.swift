import Foundation

/// `--format json`: one JSON object per line, for scripts. Diffs have secrets masked.
public final class JSONLinesReporter: Reporter, @unchecked Sendable {
    private let output: TextOutput
    private let lock = NSLock()

    public init(output: TextOutput = StandardOutput.out) { self.output = output }

    public func report(_ event: EngineEvent) {
        var object: [String: JSONText]
        func milliseconds(_ seconds: Double) -> JSONText { .double((seconds * 1000).rounded() / 1000) }
        switch event {
        case .started(let hosts, let check):
            object = ["event": .string("start"), "hosts": .strings(hosts), "check": .bool(check)]
        case .unreachable(let host, let error):
            object = ["event": .string("unreachable"), "host": .string(host), "error": .string(error)]
        case .progress(let host, let task, let seconds):
            object = ["event": .string("progress"), "host": .string(host), "task": .string(task), "seconds": .int(seconds)]
        case .task(let r):
            object = ["event": .string(r.isHandler ? "handler" : "task"), "host": .string(r.host), "role": .string(r.role), "task": .string(r.task),
                      "status": .string(r.status.rawValue), "changes": .strings(r.changes), "diffs": .strings(r.diffs.map(SecretMasking.mask)),
                      "seconds": milliseconds(r.seconds)]
            if let message = r.message { object["message"] = .string(message) }
        case .rollout(.plan(let batches, let groups, let unchanged)):
            object = ["event": .string("rollout"), "batches": .array(batches.map(JSONText.strings)), "unchanged": .strings(unchanged),
                      "groups": .array(groups.map { .object(["reason": .string($0.reason), "hosts": .strings($0.hosts)]) })]
        case .rollout(.batch(let index, let count, let hosts)):
            object = ["event": .string("batch"), "index": .int(index), "of": .int(count), "hosts": .strings(hosts)]
        case .rollout(.step(let step)):
            object = ["event": .string("rollout_step"), "host": .string(step.host), "action": .string(step.action),
                      "detail": .string(SecretMasking.mask(step.detail)), "seconds": milliseconds(step.seconds), "ok": .bool(step.ok)]
        case .rollout(.stopped(let reason, let untouched)):
            object = ["event": .string("rollout_stopped"), "reason": .string(reason), "untouched": .strings(untouched)]
        case .moved(let move):
            object = ["event": .string("moved"), "host": .string(move.host), "from": .string(move.from), "to": .string(move.to),
                      "outcome": .string(move.outcome.rawValue), "seconds": milliseconds(move.seconds), "detail": .string(move.detail)]
        case .smoke(let result):
            object = ["event": .string("smoke"), "kind": .string(result.kind.rawValue), "test": .string(result.test), "passed": .bool(result.passed),
                      "observation": .string(result.observation), "seconds": milliseconds(result.seconds)]
            if let subject = result.subject { object["subject"] = .string(subject) }
        case .vip(let ownership):
            object = ["event": .string("vip"), "vip": .string(ownership.vip), "holders": .strings(ownership.holders),
                      "status": .string(ownership.isExpected ? "ok" : "drift"), "message": .string(ownership.description)]
        case .finished(let recaps):
            object = ["event": .string("recap"), "hosts": .array(recaps.map { r in
                .object(["host": .string(r.host), "ok": .int(r.ok), "changed": .int(r.changed), "unreachable": .int(r.unreachable),
                         "failed": .int(r.failed), "skipped": .int(r.skipped), "round_trips": .int(r.roundTrips)])
            })]
        }
        let line = JSONText.object(object).text
        lock.withLock { output.write(SecretMasking.mask(line) + "\n") }
    }
}
