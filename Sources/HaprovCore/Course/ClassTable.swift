import Foundation

/// The teacher's table of a class: one row per student lab, one column per smoke test, plus
/// drift; as Markdown to hand out, CSV to import in a spreadsheet, JUnit XML for CI tools.
public struct ClassTable: Sendable {
    public enum Status: String, Sendable {
        /// Every test passed, nothing drifted, the command did what was asked.
        case ok
        case drift
        case failed
        case unreachable
    }

    public struct Cell: Sendable, Equatable {
        public var passed: Bool
        public var observation: String

        public init(passed: Bool, observation: String) {
            self.passed = passed
            self.observation = observation
        }
    }

    public struct Row: Sendable {
        public var lab: String
        public var status: Status
        /// Why the lab is not ok, in a line ("lb1: unreachable", "2 tests failed").
        public var detail: String
        public var tests: [String: Cell]
        /// The tests' names in the order they ran.
        public var order: [String] = []
        /// What differs from the inventory, one line each ("lb1: haproxy.cfg differs").
        public var drift: [String]
        public var seconds: Double

        public init(lab: String, status: Status, detail: String = "", tests: [String: Cell] = [:], drift: [String] = [], seconds: Double = 0) {
            self.lab = lab
            self.status = status
            self.detail = detail
            self.tests = tests
            self.drift = drift
            self.seconds = seconds
        }
    }

    public var command: String
    public var rows: [Row]
    /// Test names in the order the labs ran them.
    public var testNames: [String]
    public var showsDrift: Bool

    public init(command: String, rows: [Row], testNames: [String], showsDrift: Bool) {
        self.command = command
        self.rows = rows.sorted { $0.lab < $1.lab }
        self.testNames = testNames
        self.showsDrift = showsDrift
    }

    /// What one cell says in a table: "passed", or "FAILED: observation".
    static func text(_ cell: Cell?) -> String {
        guard let cell else { return "-" }
        return cell.passed ? "passed" : "FAILED: \(cell.observation)"
    }

    public func markdown(date: Date = Date()) -> String {
        var text = "# Class — haprov course \(command)\n\n"
        text += "\(rows.count) lab(s), \(rows.filter { $0.status == .ok }.count) ok, on \(ReportDates.stamp(date)) UTC.\n\n"
        var header = ["Lab", "Status"] + testNames
        if showsDrift { header.append("Drift") }
        text += "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        for row in rows {
            var cells = [row.lab, row.status.rawValue + (row.detail.isEmpty ? "" : ": \(row.detail)")]
            cells += testNames.map { Self.text(row.tests[$0]) }
            if showsDrift { cells.append(row.drift.isEmpty ? "none" : row.drift.joined(separator: "; ")) }
            text += "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }.joined(separator: " | ") + " |\n"
        }
        return SecretMasking.mask(text)
    }

    /// RFC 4180: every field quoted, quotes doubled, CRLF line ends.
    public func csv() -> String {
        var header = ["lab", "status", "detail"] + testNames
        if showsDrift { header.append("drift") }
        var lines = [header]
        for row in rows {
            var cells = [row.lab, row.status.rawValue, row.detail] + testNames.map { Self.text(row.tests[$0]) }
            if showsDrift { cells.append(row.drift.joined(separator: "; ")) }
            lines.append(cells)
        }
        return SecretMasking.mask(lines.map { $0.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n")
    }

    /// JUnit XML: a suite per lab, a case per smoke test, one for reaching the lab and one for drift.
    public func junit() -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var failures = 0, tests = 0
        var suites = ""
        for row in rows {
            var cases: [(name: String, failure: String?)] = []
            cases.append(("reachable", row.status == .unreachable ? row.detail : nil))
            if row.status == .failed, row.tests.isEmpty { cases.append(("haprov course \(command)", row.detail)) }
            for name in testNames where row.tests[name] != nil {
                let cell = row.tests[name]!
                cases.append((name, cell.passed ? nil : cell.observation))
            }
            if showsDrift { cases.append(("no drift", row.drift.isEmpty ? nil : row.drift.joined(separator: "; "))) }
            let failed = cases.filter { $0.failure != nil }.count
            failures += failed
            tests += cases.count
            suites += "  <testsuite name=\"\(escape(row.lab))\" tests=\"\(cases.count)\" failures=\"\(failed)\" errors=\"0\" time=\"\(String(format: "%.3f", row.seconds))\">\n"
            for item in cases {
                suites += "    <testcase classname=\"\(escape(row.lab))\" name=\"\(escape(item.name))\""
                if let failure = item.failure {
                    suites += "><failure message=\"\(escape(failure))\"/></testcase>\n"
                } else {
                    suites += "/>\n"
                }
            }
            suites += "  </testsuite>\n"
        }
        return SecretMasking.mask("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"haprov course \(escape(command))\" tests=\"\(tests)\" failures=\"\(failures)\">\n\(suites)</testsuites>\n")
    }
}
