import Foundation

/// Smoke test results as a terminal table and as Markdown a student can paste into a write-up.
public enum SmokeReport {
    public static func table(_ results: [SmokeResult], palette: Palette) -> String {
        let testWidth = max(4, results.map(\.test.count).max() ?? 4)
        var text = "Test".padding(toLength: testWidth, withPad: " ", startingAt: 0) + "  Result  Observation\n"
        text += String(repeating: "-", count: testWidth) + "  ------  -----------\n"
        for result in results {
            let verdict = result.passed ? palette.green("PASS  ") : palette.red("FAIL  ")
            text += result.test.padding(toLength: testWidth, withPad: " ", startingAt: 0) + "  \(verdict)  \(result.observation)\n"
        }
        let passed = results.filter(\.passed).count
        text += "\(passed) passed, \(results.count - passed) failed\n"
        return text
    }

    public static func markdown(_ results: [SmokeResult], inventory: String, date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        var text = "# Smoke tests — \(inventory)\n\n"
        text += "Run by `haprov test` on \(formatter.string(from: date)) UTC.\n\n"
        text += "| Test | Result | Observation |\n|---|---|---|\n"
        for result in results {
            text += "| \(escape(result.test)) | \(result.passed ? "Passed" : "**Failed**") | \(escape(result.observation)) |\n"
        }
        for result in results where !result.evidence.isEmpty {
            text += "\n## \(result.test)\n\n```\n" + result.evidence.joined(separator: "\n") + "\n```\n"
        }
        return text
    }

    private static func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
