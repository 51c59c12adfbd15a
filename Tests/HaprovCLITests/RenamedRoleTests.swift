import Foundation
import Testing
@testable import HaprovCore

/// Roles are data: a teacher renames the haproxy role and one of its variables, and the stack
/// still builds, rolls out and passes the same smoke tests (nothing in haprov names a role).
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct RenamedRoleTests {
    @Test func aRenamedRoleAndVariableStillBuildAndPassTheSmokeTests() throws {
        let folder = NSTemporaryDirectory() + "haprov-renamed-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let roles = folder + "/roles"
        try FileManager.default.copyItem(atPath: Binary.repository + "/Roles", toPath: roles)
        try FileManager.default.moveItem(atPath: roles + "/haproxy", toPath: roles + "/edge_proxy")
        let enumerator = FileManager.default.enumerator(atPath: roles + "/edge_proxy")
        while let file = enumerator?.nextObject() as? String {
            let path = roles + "/edge_proxy/" + file
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            try text.replacingOccurrences(of: "haproxy_backends", with: "edge_backends").write(toFile: path, atomically: true, encoding: .utf8)
        }
        let inventory = try StackTests.keepalivedTwin("renamed", octet: 44, in: folder) { text in
            text.replacingOccurrences(of: "roles: [haproxy, keepalived]", with: "roles: [edge_proxy, keepalived]")
                .replacingOccurrences(of: "haproxy_backends", with: "edge_backends")
        }
        defer {
            _ = try? Binary.run(["lab", "down", inventory], timeout: .seconds(300))
            try? FileManager.default.removeItem(atPath: folder)
        }
        #expect(try !String(contentsOfFile: inventory, encoding: .utf8).contains("haproxy_backends"))
        try StackTests.freshLab(inventory)
        let first = try StackTests.haprov(["apply", "--roles-path", roles, inventory]).stdoutText
        #expect(first.contains("edge_proxy | haproxy.cfg"), "\(first)")
        for test in ["Round robin (6 requests)", "Stats page", "Failover (web1 stopped)", "Recovery (web1 restarted)",
                     "VIP held by exactly one node", "VIP failover (load balancer stopped)",
                     "HAProxy listens on its frontend (lb1)", "the web app answers (web2)"] {
            #expect(first.contains(test), "\(test) ran:\n\(first)")
        }
        // The 6 built-in tests and the roles' 4 probes (edge_proxy's on lb1 and lb2, web's on web1 and web2).
        #expect(first.contains("10 passed, 0 failed"), "\(first)")
        // The rollout reads the renamed variable too: web1 and web2 are drained on both balancers.
        try StackTests.haprov(["run", inventory, "--limit", "web1,web2", "--", "echo '# edited' >> /opt/haprov-web/app.py"])
        let change = try StackTests.haprov(["apply", "--no-test", "--roles-path", roles, inventory]).stdoutText
        #expect(change.contains("web1   drain    web1 drained on lb1") && change.contains("web2   drain    web2 drained on lb2"), "\(change)")
        try StackTests.haprov(["check", "--roles-path", roles, inventory])
    }
}
