import Foundation

/// Smoke test results as a terminal table (the write-up's annex is `StackReport`).
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
}
