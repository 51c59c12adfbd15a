import Foundation
import Testing
@testable import HaprovCore

@Suite struct EngineTests {
    func job(root: String, extra: [String: Value] = [:]) throws -> HostJob {
        let role = try RoleLoader.load("demo", from: Fixtures.root + "/roles")
        var variables: [String: Value] = ["root": .string(root), "inventory_hostname": .string("lb1"), "want_optional": .bool(false)]
        variables.merge(extra) { _, new in new }
        return HostJob(name: "lb1", connection: ConnectionSpec(name: "lb1", address: "127.0.0.1"), roles: [role], variables: variables)
    }

    /// One run of `job` with the baseline under its root; `adjust` sets the other options.
    func run(_ job: HostJob, check: Bool = false, adjust: (inout EngineOptions) -> Void = { _ in }) -> (RunSummary, [TaskResult]) {
        let reporter = CollectingReporter()
        var options = EngineOptions()
        options.check = check
        options.baselineDirectory = (job.variables["root"]?.plainString ?? "/tmp") + "/baseline"
        adjust(&options)
        let summary = Engine(factory: LocalFactory(), reporter: reporter, options: options).run([job])
        return (summary, reporter.results)
    }

    @Test func applyThenReapplyChangesNothing() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (first, firstResults) = run(try job(root: root))
        #expect(first.succeeded)
        #expect(first.recaps[0].changed == 5)  // dir, template, two copies, handler
        #expect(firstResults.contains { $0.isHandler && $0.status == .changed })
        let content = try String(contentsOfFile: root + "/etc/demo/demo.conf", encoding: .utf8)
        #expect(content.contains("server web2 10.213.7.12:80 check"))
        #expect(content.contains("greeting hello from lb1"))
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/etc/demo/demo.conf")[.posixPermissions] as? Int
        #expect(mode == 0o640)

        let (second, secondResults) = run(try job(root: root))
        #expect(second.succeeded)
        #expect(second.recaps[0].changed == 0)
        #expect(secondResults.filter { $0.status == .skipped }.count == 1)
        // A no-change run reads every fact in one round trip.
        #expect(second.recaps[0].roundTrips == 1)
    }

    /// `--start-at-task`: the tasks before the named one are left out, that one and the rest run.
    @Test func startAtTaskLeavesOutTheTasksBefore() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (summary, results) = run(try job(root: root)) { $0.startAtTask = "marker files" }
        #expect(summary.succeeded)
        let names = Set(results.filter { !$0.isHandler }.map(\.task).map { $0.components(separatedBy: " (").first ?? $0 })
        #expect(names == ["marker files", "only when asked"], "\(names)")
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/demo/demo.conf"), "demo.conf comes before the start")
    }

    @Test func checkReportsDriftWithDiffAndChangesNothing() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = run(try job(root: root))
        let path = root + "/etc/demo/demo.conf"
        var content = try String(contentsOfFile: path, encoding: .utf8)
        content = content.replacingOccurrences(of: "web2", with: "rogue")
        try content.write(toFile: path, atomically: true, encoding: .utf8)

        let (check, results) = run(try job(root: root), check: true)
        #expect(check.recaps[0].changed == 1)
        let drift = try #require(results.first { $0.status == .changed })
        #expect(drift.task == "demo.conf")
        #expect(drift.diffs.joined().contains("-server rogue 10.213.7.12:80 check"))
        #expect(drift.diffs.joined().contains("+server web2 10.213.7.12:80 check"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == content)

        let (repair, repairResults) = run(try job(root: root))
        #expect(repair.recaps[0].changed == 1)
        // The repaired file notified its handler (whose own file was already right).
        #expect(repairResults.contains { $0.isHandler && $0.task == "restart demo" })
        let (after, _) = run(try job(root: root), check: true)
        #expect(after.recaps[0].changed == 0)
    }

    @Test func failedValidationLeavesTheFileUntouched() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = run(try job(root: root))
        let path = root + "/etc/demo/demo.conf"
        let before = try String(contentsOfFile: path, encoding: .utf8)
        // The validate command looks for "greeting"; a template without it must be refused.
        let (summary, results) = run(try job(root: root, extra: ["greeting": .string("hi")]))
        #expect(summary.succeeded)  // "greeting hi" still contains the word greeting
        #expect(try String(contentsOfFile: path, encoding: .utf8) != before)

        var bad = try job(root: root)
        bad.roles[0].tasks[1].args["validate"] = .string("false %s")
        let (failed, failedResults) = run(bad)
        #expect(!failed.succeeded)
        let failure = try #require(failedResults.first { $0.status == .failed })
        #expect(failure.message?.contains("validation failed") == true)
        #expect(!results.isEmpty)
        // Hidden temporary files are cleaned up.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/etc/demo").filter { $0.hasPrefix(".haprov") }
        #expect(leftovers.isEmpty)
    }

    @Test func undefinedTemplateVariableNamesTemplateLineAndVariable() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var job = try job(root: root)
        job.variables = HostVariables(job.variables.merged().filter { $0.key != "inventory_hostname" })
        let (summary, results) = run(job)
        #expect(!summary.succeeded)
        let failure = try #require(results.first { $0.status == .failed })
        #expect(failure.message?.contains("demo.conf.j2:2") == true)
        #expect(failure.message?.contains("inventory_hostname") == true)
    }

    @Test func unreachableHostDoesNotStopOthers() throws {
        struct Flaky: TransportFactory {
            func connect(_ spec: ConnectionSpec) throws -> any Transport {
                if spec.name == "down" { throw TransportError(host: "down", step: .connect, message: "connection refused") }
                return LocalTransport(hostName: spec.name)
            }
        }
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var down = try job(root: root + "/down")
        down.name = "down"
        down.connection.name = "down"
        let up = try job(root: root + "/up")
        var options = EngineOptions()
        options.baselineDirectory = root + "/baseline"
        let summary = Engine(factory: Flaky(), reporter: CollectingReporter(), options: options).run([down, up])
        #expect(summary.recaps[0].unreachable == 1)
        #expect(summary.recaps[1].changed == 5)
    }
}
