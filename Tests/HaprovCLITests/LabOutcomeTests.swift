import Foundation
import Testing
@testable import HaprovCLI
@testable import HaprovCore

/// A lab's row read from the JSON events the real reporter writes: the ok and skipped tasks
/// left out on bytes change nothing in the row, whatever their names and messages hold.
@Suite struct LabOutcomeTests {
    @Test func quietTasksAreLeftOutAndTheRowIsTheSame() throws {
        let output = CapturedOutput()
        let reporter = JSONLinesReporter(output: output)
        func task(_ host: String, _ name: String, _ status: TaskStatus, message: String? = nil) {
            reporter.report(.task(TaskResult(host: host, role: "haproxy", task: name, status: status, changes: status == .changed ? ["update /etc/haproxy/haproxy.cfg"] : [],
                                             diffs: [], message: message, isHandler: false, seconds: 0.01)))
        }
        reporter.report(.started(hosts: ["lb1", "lb2"], check: true))
        task("lb1", "install haproxy", .ok)
        task("lb1", #"a task named "status":"ok" on purpose"#, .changed)
        task("lb2", "template haproxy.cfg", .skipped, message: #"condition false: x == "status":"ok""#)
        task("lb2", "haproxy running", .failed, message: "unit haproxy failed")
        task("lb2", "install socat", .ok)
        reporter.report(.finished([HostRecap(host: "lb1"), HostRecap(host: "lb2")]))
        let lines = output.text.split(separator: "\n")
        #expect(lines.filter(LabOutcome.isQuietTask).count == 3, "\(output.text)")
        let result = CommandResult(exitStatus: 1, stdout: Data(output.text.utf8))
        let row = LabOutcome.read("lab01", result, check: true)
        #expect(row.status == .failed)
        #expect(row.drift == [#"lb1: a task named "status":"ok" on purpose differs"#])
        #expect(row.detail == "lb2: haproxy running failed: unit haproxy failed")
    }
}
