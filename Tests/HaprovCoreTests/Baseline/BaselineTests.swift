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

        let transport = LocalTransport()
        let dry = try transport.run(Baseline.resetScript(dryRun: true, directory: root + "/baseline"))
        #expect(dry.stdoutText.contains("restore \(root)/etc/demo/demo.conf"))
        #expect(dry.stdoutText.contains("remove \(root)/etc/demo/one.txt"))
        #expect(FileManager.default.fileExists(atPath: root + "/etc/demo/one.txt"))

        let reset = try transport.run(Baseline.resetScript(dryRun: false, directory: root + "/baseline"))
        #expect(reset.succeeded, "\(reset.stderrText)")
        #expect(try String(contentsOfFile: root + "/etc/demo/demo.conf", encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/demo/one.txt"))
        #expect(!FileManager.default.fileExists(atPath: root + "/handler-ran"))
        #expect(!FileManager.default.fileExists(atPath: root + "/baseline"))

        // After a reset, a fresh apply works and records a new baseline.
        #expect(try apply(root: root).succeeded)
        #expect(FileManager.default.fileExists(atPath: root + "/baseline/files"))
    }
}
