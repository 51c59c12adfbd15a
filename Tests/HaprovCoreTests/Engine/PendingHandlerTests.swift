import Foundation
import Testing
@testable import HaprovCore

/// A run killed between a change and its handler leaves the handler's name on the host; the
/// next run (which finds the file already in sync) still runs it, and check calls it drift.
@Suite struct PendingHandlerTests {
    @Test func aHandlerLeftPendingRunsOnTheNextApplyAndIsDriftForCheck() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tests = EngineTests()
        let job = try tests.job(root: root)
        let (first, _) = tests.run(job)
        #expect(first.succeeded)
        let pendingFile = root + "/pending-handlers"
        #expect(!FileManager.default.fileExists(atPath: pendingFile), "handlers ran: nothing left pending")
        // As if the run had been killed right after writing demo.conf, before its handler.
        try "restart demo\n".write(toFile: pendingFile, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: root + "/handler-ran")
        let (check, checkResults) = tests.run(job, check: true)
        #expect(check.changed, "check reports the pending handler as drift")
        #expect(checkResults.contains { $0.task == "handlers left pending by an earlier run" && $0.status == .changed })
        let (again, results) = tests.run(job)
        #expect(again.succeeded)
        #expect(results.contains { $0.isHandler && $0.status == .changed }, "the pending handler ran")
        #expect(!FileManager.default.fileExists(atPath: pendingFile))
        let (quiet, _) = tests.run(job)
        #expect(!quiet.changed)
    }
}

extension EngineTests {
    /// `--step`: a task answered n is skipped on that host and changes nothing; y performs it;
    /// c performs it and every later one without asking. Tasks already in place never ask.
    @Test func stepAsksBeforeEachChangingTask() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let asked = Asked()
        // n for the template, y for the first question, c from the third on.
        let (summary, results) = run(try job(root: root)) { options in
            options.step = StepPrompt { question in
                asked.append(question)
                if question.contains("demo.conf") { return .no }
                return asked.count >= 3 ? .continueAll : .yes
            }
        }
        #expect(summary.succeeded)
        let questions = asked.all
        #expect(questions.first?.hasPrefix("lb1: demo | ") == true && questions.allSatisfy { $0.hasSuffix("Perform it? (y)es/(n)o/(c)ontinue: ") }, "\(questions)")
        #expect(questions.contains { $0.contains("would ") }, "\(questions)")
        let skipped = results.filter { $0.message == "not performed (--step)" }
        #expect(skipped.count == 1 && !FileManager.default.fileExists(atPath: root + "/etc/demo/demo.conf"), "\(results.map { "\($0.task) \($0.status)" })")
        let changed = results.filter { $0.status == .changed }.count
        #expect(changed >= 2 && questions.count == 3, "after c nothing more is asked: \(questions.count) questions, \(changed) changed")
        // Everything in place: a second run with --step asks nothing that is already done.
        let again = Asked()
        _ = run(try job(root: root)) { $0.step = StepPrompt { again.append($0); return .yes } }
        #expect(again.all.count == 2 && again.all.first?.contains("demo.conf") == true, "only the template left undone, and its handler: \(again.all)")
    }
}

final class Asked: @unchecked Sendable {
    private let lock = NSLock()
    private var questions: [String] = []
    func append(_ question: String) { lock.withLock { questions.append(question) } }
    var count: Int { lock.withLock { questions.count } }
    var all: [String] { lock.withLock { questions } }
}
