import Foundation

/// Handlers notified on a host but not run yet, kept on the host itself: a run killed or cut
/// off between a change and its handler (a new haproxy.cfg written, its reload not done) would
/// otherwise lose the notification, and the next run, finding the file in sync, would leave the
/// service on the old config for good. The name is recorded in the same command as the change,
/// before it; the file goes once the handlers ran.
struct PendingHandlers {
    /// Beside the baseline (/var/lib/haprov), so tests that move one move both.
    let path: String

    init(baselineDirectory: String) {
        path = (baselineDirectory as NSString).deletingLastPathComponent + "/pending-handlers"
    }

    /// No process at all on the usual host, where nothing is pending.
    var query: FactQuery { FactQuery(key: "pending-handlers", command: "if [ -e \(Shell.quote(path)) ]; then cat \(Shell.quote(path)); fi; true", ownShell: false) }

    /// The handler names waiting on the host.
    func names(in facts: HostFacts) -> Set<String> {
        guard let output = facts.outputs[query.key] else { return [] }
        return Set(output.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// Prefix of a change's script: notes the handlers it notifies (best effort: a task run as a
    /// user who cannot write there still runs).
    func record(_ names: [String]) -> String {
        let lines = names.map(Shell.quote).joined(separator: " ")
        let folder = Shell.quote((path as NSString).deletingLastPathComponent)
        return "{ mkdir -p \(folder) && printf '%s\\n' \(lines) >> \(Shell.quote(path)); } 2>/dev/null || true"
    }

    var clear: String { "rm -f \(Shell.quote(path))" }
}
