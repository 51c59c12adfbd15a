import Foundation
import Testing
@testable import HaprovCore

@Suite struct BaselineTests {
    func apply(root: String) throws -> RunSummary {
        let role = try RoleLoader.load("demo", from: Fixtures.root + "/roles")
        let job = HostJob(name: "lb1", connection: ConnectionSpec(name: "lb1", address: "127.0.0.1"), roles: [role],
                          variables: ["root": .string(root), "inventory_hostname": .string("lb1"), "want_optional": .bool(false)])
        var options = EngineOptions()
        options.baselineDirectory = root + "/baseline"
        return Engine(factory: LocalFactory(), reporter: CollectingReporter(), options: options).run([job])
    }

    /// `haprov reset` of the same host: the run and the changes its reset task made (or would make).
    func reset(root: String, check: Bool) -> (RunSummary, [String]) {
        let job = HostJob(name: "lb1", connection: ConnectionSpec(name: "lb1", address: "127.0.0.1"), roles: [.reset(directory: root + "/baseline")], variables: [:])
        var options = EngineOptions()
        options.check = check
        let reporter = CollectingReporter()
        let summary = Engine(factory: LocalFactory(), reporter: reporter, options: options).run([job])
        return (summary, reporter.results.flatMap(\.changes))
    }

    @Test func resetPutsBackOriginalFilesAndRemovesCreatedOnes() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc/demo", withIntermediateDirectories: true)
        let original = "the student's own file\n"
        try original.write(toFile: root + "/etc/demo/demo.conf", atomically: true, encoding: .utf8)

        #expect(try apply(root: root).succeeded)
        #expect(try String(contentsOfFile: root + "/etc/demo/demo.conf", encoding: .utf8) != original)
        // A second apply must not overwrite the recorded original with haprov's own version.
        try "edited\n".write(toFile: root + "/etc/demo/one.txt", atomically: true, encoding: .utf8)
        #expect(try apply(root: root).succeeded)

        // Reset is a run like any other: check plans and changes nothing.
        let (dry, planned) = reset(root: root, check: true)
        #expect(dry.succeeded && dry.changed)
        #expect(planned == ["restore \(root)/etc/demo/demo.conf", "remove \(root)/etc/demo/one.txt", "remove \(root)/etc/demo/two.txt",
                            "remove \(root)/handler-ran", "forget the baseline (the next apply records a new one)"], "\(planned)")
        #expect(FileManager.default.fileExists(atPath: root + "/etc/demo/one.txt"))

        let (done, applied) = reset(root: root, check: false)
        #expect(done.succeeded && applied == planned, "\(applied)")
        #expect(try String(contentsOfFile: root + "/etc/demo/demo.conf", encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/demo/one.txt"))
        #expect(!FileManager.default.fileExists(atPath: root + "/handler-ran"))
        #expect(!FileManager.default.fileExists(atPath: root + "/baseline"))

        // Nothing left to put back: the reset is ok, and a host haprov never touched is too.
        let (again, none) = reset(root: root, check: true)
        #expect(again.succeeded && !again.changed && none.isEmpty, "\(none)")

        // After a reset, a fresh apply works and records a new baseline.
        #expect(try apply(root: root).succeeded)
        #expect(FileManager.default.fileExists(atPath: root + "/baseline/files"))
    }

    /// The baseline's package list is compared as a set, whatever order (locale) it was sorted
    /// in: run for real against this machine's dpkg, the one package left out of the recorded
    /// list is the only one found added.
    @Test func packagesAddedSinceAreASetDifference() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let transport = LocalTransport()
        let listed = try transport.run("dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' | awk '$1 ~ /^ii/ {print $2}'").stdoutText
        let installed = listed.split(separator: "\n").map(String.init)
        #expect(installed.contains("bash"))
        // Reversed, as no locale sorts it, and without bash.
        try FileManager.default.createDirectory(atPath: root + "/baseline", withIntermediateDirectories: true)
        try (installed.filter { $0 != "bash" }.reversed().joined(separator: "\n") + "\n").write(toFile: root + "/baseline/packages", atomically: true, encoding: .utf8)
        let query = BaselineState.query(directory: root + "/baseline")
        let state = try BaselineState(parsing: FactGatherer.gather([query], on: transport).output(query))
        #expect(state.recorded && state.addedPackages == ["bash"], "\(state.addedPackages.prefix(5))")
    }
}
