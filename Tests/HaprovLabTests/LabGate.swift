import Foundation
import Testing

/// Lab tests need root on Linux with the lab's tools. Elsewhere they are skipped, except in CI
/// (CI=true), where a lab that cannot come up is a failure, not a skip.
enum LabGate {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    static var isRoot: Bool { getuid() == 0 }
    static var enabled: Bool { isRoot || inCI }
    static func fixture(_ name: String) -> String { repository + "/Tests/Fixtures/inventories/" + name }
}

@Suite struct LabGateTests {
    @Test(.enabled(if: LabGate.inCI)) func ciRunsTheLabTests() {
        #expect(LabGate.isRoot, "CI must run the tests as root: the lab tests need namespaces, bridges and mounts")
    }
}
