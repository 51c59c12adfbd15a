import Foundation
import HaprovCore

/// What one lab's haprov run said, read from its JSON events (`--format json`) and exit status:
/// the row of the class table.
enum LabOutcome {
    static func events(_ result: CommandResult) -> [[String: Any]] {
        result.stdoutText.split(separator: "\n").filter { !isQuietTask($0) }
            .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    /// A task that was ok or skipped says nothing to the class table, and most lines of a lab's
    /// run are such tasks: left out on bytes before Foundation parses the rest. (Inside a JSON
    /// string a quote is escaped, so these spellings are the event's own keys.)
    static func isQuietTask(_ line: Substring) -> Bool {
        line.containsBytes("\"event\":\"task\"") && (line.containsBytes("\"status\":\"ok\"") || line.containsBytes("\"status\":\"skipped\""))
    }

    /// The first line of what went wrong, for the row.
    static func firstLine(_ text: String) -> String {
        text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// An apply, a test or a check run with `--format json`.
    static func read(_ lab: String, _ result: CommandResult, check: Bool = false) -> ClassTable.Row {
        var row = ClassTable.Row(lab: lab, status: .ok)
        var unreachable: [String] = []
        var failed: [String] = []
        for event in events(result) {
            let host = event["host"] as? String ?? "-"
            switch event["event"] as? String {
            case "smoke":
                guard let test = event["test"] as? String else { continue }
                row.tests[test] = ClassTable.Cell(passed: event["passed"] as? Bool == true, observation: event["observation"] as? String ?? "")
                row.order.append(test)
            case "unreachable":
                unreachable.append("\(host): \(firstLine(event["error"] as? String ?? "unreachable"))")
            case "task", "handler":
                let task = event["task"] as? String ?? "-"
                if event["status"] as? String == "failed" {
                    failed.append("\(host): \(task) failed" + ((event["message"] as? String).map { ": " + firstLine($0) } ?? ""))
                } else if check, event["status"] as? String == "changed" {
                    row.drift.append("\(host): \(task) differs")
                }
            case "vip":
                if event["status"] as? String == "drift" { row.drift.append(event["message"] as? String ?? "VIP drift") }
            default:
                break
            }
        }
        // Smoke tests that all failed for want of a connection: the lab is unreachable.
        let observations = row.order.compactMap { row.tests[$0] }
        if unreachable.isEmpty, !observations.isEmpty, observations.allSatisfy({ !$0.passed && $0.observation.contains(": connect: ") }) {
            unreachable.append(firstLine(observations[0].observation))
        }
        if !unreachable.isEmpty {
            row.status = .unreachable
            row.detail = unreachable.joined(separator: "; ")
        } else if !failed.isEmpty || row.tests.values.contains(where: { !$0.passed }) {
            row.status = .failed
            row.detail = failed.joined(separator: "; ")
        } else if !row.drift.isEmpty {
            row.status = .drift
        } else if result.exitStatus != 0 {
            // Refused before any host was reached (a bad inventory): haprov's own words.
            row.status = .failed
            row.detail = firstLine(result.stderrText.replacingOccurrences(of: "error: ", with: ""))
        }
        return row
    }

    /// A command whose only verdict is its exit status (ping, reset, lab up/down/reset).
    static func status(_ lab: String, _ result: CommandResult, drift: Int32? = nil, done: String) -> ClassTable.Row {
        let out = (result.stdoutText + "\n" + result.stderrText)
        if result.exitStatus == 0 {
            let last = out.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }).map(String.init) ?? done
            return ClassTable.Row(lab: lab, status: .ok, detail: last)
        }
        if let drift, result.exitStatus == drift {
            return ClassTable.Row(lab: lab, status: .drift, detail: firstLine(result.stdoutText))
        }
        let unreachable = out.split(separator: "\n").filter { $0.contains("UNREACHABLE") || $0.contains("unreachable") }
        if result.exitStatus == HaprovExit.unreachable || !unreachable.isEmpty {
            return ClassTable.Row(lab: lab, status: .unreachable, detail: unreachable.map { String($0).trimmingCharacters(in: .whitespaces) }.joined(separator: "; "))
        }
        let problem = out.split(separator: "\n").first { $0.contains("error") || $0.contains("FAILED") || $0.contains("failed") }
        return ClassTable.Row(lab: lab, status: .failed, detail: problem.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "exit \(result.exitStatus)")
    }

    /// `haprov reset [--check] --format json`: its hosts counted by what their reset task did.
    static func reset(_ lab: String, _ result: CommandResult, check: Bool) -> ClassTable.Row {
        // Read as a check: each host's one reset task that changed (or would) is one drift entry,
        // and --check's exit 2 is drift, not a failure.
        var row = read(lab, result, check: true)
        if row.status == .failed || row.status == .unreachable {
            if row.detail.isEmpty { row.detail = firstLine(result.stderrText) }
            return row
        }
        let changed = row.drift
        if changed.isEmpty { return ClassTable.Row(lab: lab, status: .ok, detail: "every host matches the course baseline") }
        return check ? ClassTable.Row(lab: lab, status: .drift, detail: "\(changed.count) host(s) would be reset")
            : ClassTable.Row(lab: lab, status: .ok, detail: "\(changed.count) host(s) reset")
    }
}
