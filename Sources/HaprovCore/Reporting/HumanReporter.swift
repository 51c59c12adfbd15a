import Foundation

/// Terminal output: one line per task and host as results arrive, diffs with --diff, a recap.
public final class HumanReporter: Reporter, @unchecked Sendable {
    private let output: TextOutput
    private let palette: Palette
    private let showDiff: Bool
    private let verbose: Bool
    private let lock = NSLock()
    private var width = 8

    public init(output: TextOutput = StandardOutput.out, showDiff: Bool = false, verbose: Bool = false) {
        self.output = output
        self.palette = Palette(output: output)
        self.showDiff = showDiff
        self.verbose = verbose
    }

    public func report(_ event: EngineEvent) {
        lock.withLock { output.write(SecretMasking.mask(render(event))) }
    }

    func render(_ event: EngineEvent) -> String {
        switch event {
        case .started(let hosts, let check):
            width = max(4, hosts.map(\.count).max() ?? 4)
            return palette.bold(check ? "CHECK (nothing will be changed) on \(hosts.count) host(s)\n" : "APPLY on \(hosts.count) host(s)\n")
        case .unreachable(let host, let error):
            return palette.red("\(pad(host)) UNREACHABLE  \(error)") + "\n"
        case .progress(let host, let task, let seconds):
            return palette.dim("\(pad(host)) ...          \(task): still running (\(seconds)s)") + "\n"
        case .task(let result):
            return renderTask(result)
        case .rollout(let event):
            return renderRollout(event)
        case .moved(let move):
            return renderMove(move)
        case .smoke(let result):
            return "\(result.passed ? palette.green("PASS") : palette.red("FAIL"))  \(result.test): \(result.observation)\n"
        case .vip(let ownership):
            return "VIP  " + (ownership.isExpected ? palette.green("ok") : palette.yellow("drift")) + "  \(ownership.description)\n"
        case .finished(let recaps):
            var text = "\n" + palette.bold("RECAP") + "\n"
            for recap in recaps.sorted(by: { $0.host < $1.host }) {
                let failed = recap.failed > 0 || recap.unreachable > 0
                let line = "\(pad(recap.host)) : ok=\(recap.ok) changed=\(recap.changed) unreachable=\(recap.unreachable) failed=\(recap.failed) skipped=\(recap.skipped)"
                text += (failed ? palette.red(line) : recap.changed > 0 ? palette.yellow(line) : palette.green(line)) + "\n"
            }
            return text
        }
    }

    private func renderMove(_ move: AddressMove) -> String {
        let seconds = String(format: "%.1f s", move.seconds)
        switch move.outcome {
        case .kept:
            let text = move.from == move.to ? "\(pad(move.host)) NETWORK      changed at \(move.to), reconnected in \(seconds) (\(move.detail))"
                : "\(pad(move.host)) MOVED        \(move.from) -> \(move.to), reconnected in \(seconds) (\(move.detail))"
            return palette.yellow(text) + "\n"
        case .rolledBack:
            return palette.red("\(pad(move.host)) ROLLED BACK  \(move.to) never answered; the host is back at \(move.from) after \(seconds)") + "\n"
        case .lost:
            return palette.red("\(pad(move.host)) LOST         neither \(move.to) nor \(move.from) answers after \(seconds): \(move.detail)") + "\n"
        }
    }

    private func renderTask(_ result: TaskResult) -> String {
        if result.status == .skipped, !verbose { return "" }
        let label = (result.isHandler ? "handler " : "") + "\(result.role) | \(result.task)"
        let status = result.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
        let colored: String
        switch result.status {
        case .ok: colored = palette.green(status)
        case .changed: colored = palette.yellow(status)
        case .failed: colored = palette.red(status)
        case .skipped: colored = palette.cyan(status)
        }
        var text = "\(pad(result.host)) \(colored) \(label)\n"
        for change in result.changes {
            text += palette.dim("\(pad(""))          - \(change)") + "\n"
        }
        if let message = result.message, result.status == .failed || verbose {
            for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
                text += palette.red("\(pad(""))          \(line)") + "\n"
            }
        }
        if showDiff {
            for diff in result.diffs where !diff.isEmpty {
                for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
                    let s = String(line)
                    text += (s.hasPrefix("+") && !s.hasPrefix("+++") ? palette.green(s) : s.hasPrefix("-") && !s.hasPrefix("---") ? palette.red(s) : s) + "\n"
                }
            }
        }
        return text
    }

    private func renderRollout(_ event: RolloutEvent) -> String {
        switch event {
        case .plan(let batches, let groups, let unchanged):
            guard !batches.isEmpty else { return "" }
            var text = palette.bold("ROLLOUT") + " \(batches.count) batch(es): " + batches.map { "[\($0.joined(separator: ", "))]" }.joined(separator: " → ") + "\n"
            for group in groups { text += palette.dim("  never together: \(group.hosts.joined(separator: ", ")) (\(group.reason))") + "\n" }
            if !unchanged.isEmpty { text += palette.dim("  nothing to change: \(unchanged.joined(separator: ", "))") + "\n" }
            return text
        case .batch(let index, let count, let hosts):
            return palette.bold("BATCH \(index)/\(count)") + " \(hosts.joined(separator: ", "))\n"
        case .step(let step):
            let status = step.ok ? palette.green(step.action.padding(toLength: 8, withPad: " ", startingAt: 0))
                                 : palette.red(step.action.padding(toLength: 8, withPad: " ", startingAt: 0))
            return "\(pad(step.host)) \(status) \(step.detail)" + palette.dim(String(format: " (%.1f s)", step.seconds)) + "\n"
        case .stopped(let reason, let untouched):
            var text = palette.red("ROLLOUT STOPPED: \(reason)") + "\n"
            if !untouched.isEmpty { text += "  left untouched, still serving as before: \(untouched.joined(separator: ", "))\n" }
            return text
        }
    }

    private func pad(_ host: String) -> String { host.padding(toLength: width, withPad: " ", startingAt: 0) }
}
