import Foundation
import Testing
@testable import HaprovCore

/// The scripts `network_config` runs as root are valid POSIX sh (dash parses them), for both
/// renderers; what they do is tested on a lab host (NetworkRoleTests).
@Suite struct NetworkGuardTests {
    @Test(arguments: [NetworkConfigModule.Renderer.interfaces, .netplan])
    func scriptsParse(_ renderer: NetworkConfigModule.Renderer) throws {
        let scripts = NetworkGuard(renderer: renderer, interface: "ens18", path: "/etc/network/interfaces", address: "10.0.0.30",
                                   mode: 0o644, timeout: 30)
        let arm = scripts.arm(validate: "test -s %s")
        for (name, script) in [("arm", arm), ("confirm", scripts.confirm), ("status", NetworkGuard.status)] {
            let parsed = try LocalProcess.run(["/bin/sh", "-n", "-c", script])
            #expect(parsed.succeeded, "\(name): \(parsed.stderrText)")
        }
        // The guard itself, as the arming script writes it to the host.
        let body = try #require(arm.components(separatedBy: "<<'HAPROV_GUARD'\n").last?.components(separatedBy: "\nHAPROV_GUARD\n").first)
        let parsed = try LocalProcess.run(["/bin/sh", "-n", "-c", body])
        #expect(parsed.succeeded, "guard: \(parsed.stderrText)")
        #expect(body.contains("rollback \"haprov did not reconnect at 10.0.0.30 within 30 s\""))
    }
}
