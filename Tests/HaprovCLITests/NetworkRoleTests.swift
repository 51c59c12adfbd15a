import Foundation
import Testing
@testable import HaprovCore

/// The network role on a lab host: the interfaces file for the host's own address, in sync on a
/// second run; a new address, which would cut haprov's own connection, refused with the way out
/// and nothing written. Then `Scripts/course-reset` on the same lab.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct NetworkRoleTests {
    static let inventory = Binary.repository + "/Tests/Fixtures/inventories/lab-network.yml"

    @Test func staticAddressWrittenAndReaddressRefused() throws {
        try StackTests.haprov(["lab", "up", Self.inventory])
        defer { _ = try? Binary.run(["lab", "down", Self.inventory]) }

        let first = try StackTests.haprov(["apply", "--no-test", Self.inventory])
        #expect(first.stdoutText.contains("create /etc/network/interfaces") || first.stdoutText.contains("update /etc/network/interfaces"), "\(first.stdoutText)")
        let file = try StackTests.haprov(["run", Self.inventory, "--", "cat /etc/network/interfaces"]).stdoutText
        #expect(file.contains("iface host0 inet static"), "the interface comes from the host's default route: \(file)")
        #expect(file.contains("address 10.213.33.2/24"))
        #expect(file.contains("gateway 10.213.33.1"))
        #expect(file.contains("dns-nameservers 10.213.33.1 10.213.33.53\n"))
        let second = try StackTests.haprov(["apply", "--no-test", Self.inventory])
        #expect(StackTests.changedCounts(second.stdoutText) == [0], "\(second.stdoutText)")

        let moved = try Binary.run(["apply", "--no-test", Self.inventory, "-e", "network_address=10.213.33.99"])
        #expect(moved.exitStatus == 1)
        #expect(moved.stdoutText.contains("would cut haprov's own connection"), "\(moved.stdoutText)")
        #expect(moved.stdoutText.contains("network_allow_readdress"))
        let after = try StackTests.haprov(["run", Self.inventory, "--", "cat /etc/network/interfaces; ip -4 -o addr show host0"]).stdoutText
        #expect(after.contains("address 10.213.33.2/24") && !after.contains("10.213.33.99"), "\(after)")

        // haprov on the same link: a new gateway does not touch the way back, and is written.
        let regateway = try Binary.run(["apply", "--no-test", Self.inventory, "-e", "network_gateway=10.213.33.254", "--check"])
        #expect(regateway.exitStatus == 0 && regateway.stdoutText.contains("update /etc/network/interfaces"), "\(regateway.stdoutText)")
        // haprov reached through a gateway (a host route via the lab's gateway): a new default
        // gateway would send the host's answers elsewhere, so it is refused, through sudo too.
        try StackTests.haprov(["run", Self.inventory, "--", "sudo ip route add 10.213.33.1/32 via 10.213.33.1 dev host0"])
        let cut = try Binary.run(["apply", "--no-test", Self.inventory, "-e", "network_gateway=10.213.33.254"])
        try StackTests.haprov(["run", Self.inventory, "--", "sudo ip route del 10.213.33.1/32"])
        #expect(cut.exitStatus == 1)
        #expect(cut.stdoutText.contains("haprov reaches this host through the gateway 10.213.33.1"), "\(cut.stdoutText)")
        let kept = try StackTests.haprov(["run", Self.inventory, "--", "cat /etc/network/interfaces"]).stdoutText
        #expect(kept.contains("gateway 10.213.33.1\n"), "\(kept)")
    }

    // The teacher's script on the same lab: labs reset in parallel, one line per lab, exit 0 / 2 / 1.
    static func courseReset(_ arguments: [String]) throws -> CommandResult {
        try LocalProcess.run([Binary.repository + "/Scripts/course-reset"] + arguments, timeout: .seconds(300),
                             environment: ProcessInfo.processInfo.environment.merging(["HAPROV": Binary.path]) { _, new in new })
    }

    @Test func checkResetThenClean() throws {
        let lab = Self.inventory
        try StackTests.haprov(["lab", "up", lab])
        try StackTests.haprov(["lab", "reset", lab])
        defer { _ = try? Binary.run(["lab", "down", lab]) }
        try StackTests.haprov(["apply", "--no-test", lab])
        // A lab nobody can reach (loopback, closed port): its line says so and the exit is 1.
        let folder = try LocalProcess.run(["/bin/sh", "-c", "mktemp -d"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let unreachable = folder + "/student-unreachable.yml"
        try "all:\n  hosts:\n    pc1: {ansible_host: 127.0.0.1, ansible_port: 1}\n".write(toFile: unreachable, atomically: true, encoding: .utf8)

        let differs = try Self.courseReset(["--check", lab])
        #expect(differs.exitStatus == 2, "\(differs.stdoutText)\(differs.stderrText)")
        #expect(differs.stdoutText.contains("differs  1 host(s) would be reset"), "\(differs.stdoutText)")
        let reset = try Self.courseReset([lab, unreachable])
        #expect(reset.exitStatus == 1, "\(reset.stdoutText)")
        let lines = reset.stdoutText.split(separator: "\n")
        #expect(lines.count == 3, "one line per lab and a summary: \(reset.stdoutText)")
        #expect(lines.first { $0.hasPrefix(lab) }?.contains("reset    1 host(s) reset") == true, "\(reset.stdoutText)")
        #expect(lines.first { $0.hasPrefix(unreachable) }?.contains("FAILED") == true, "\(reset.stdoutText)")
        let clean = try Self.courseReset(["--check", lab])
        #expect(clean.exitStatus == 0, "\(clean.stdoutText)")
        #expect(clean.stdoutText.contains("clean    every host matches the course baseline"))
        let file = try StackTests.haprov(["run", lab, "--", "test -e /etc/network/interfaces && echo present || echo absent"]).stdoutText
        #expect(file.contains("absent"), "the interfaces file haprov created is gone after the reset: \(file)")
    }

    /// Seed 001's netplan file, read by netplan itself (installed in the lab host for this):
    /// installed when netplan accepts it and generates networkd's config from it; refused, with
    /// netplan's words and the old file kept, when it does not.
    @Test func netplanFileCheckedByNetplan() throws {
        try StackTests.haprov(["lab", "up", Self.inventory])
        defer { _ = try? Binary.run(["lab", "down", Self.inventory]) }
        try StackTests.haprov(["run", Self.inventory, "--", """
            export DEBIAN_FRONTEND=noninteractive
            apt-get install -y -q --no-install-recommends netplan.io >/dev/null 2>&1 ||
              { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends netplan.io >/dev/null; }
            """], timeout: .seconds(300))
        let netplan = ["-e", "network_renderer=netplan"]
        let first = try StackTests.haprov(["apply", "--no-test", Self.inventory] + netplan)
        #expect(first.stdoutText.contains("create /etc/netplan/99-haprov.yaml"), "\(first.stdoutText)")
        let generated = try StackTests.haprov(["run", Self.inventory, "--", """
            stat -c %a /etc/netplan/99-haprov.yaml; cat /run/systemd/network/10-netplan-host0.network
            """]).stdoutText
        #expect(generated.contains("600\n"))
        #expect(generated.contains("Address=10.213.33.2/24"), "\(generated)")
        #expect(generated.contains("Gateway=10.213.33.1"))
        #expect(generated.contains("DNS=10.213.33.1"))
        let second = try StackTests.haprov(["apply", "--no-test", Self.inventory] + netplan)
        #expect(StackTests.changedCounts(second.stdoutText) == [0], "\(second.stdoutText)")

        let before = try StackTests.haprov(["run", Self.inventory, "--", "sha256sum /etc/netplan/99-haprov.yaml"]).stdoutText
        let broken = try Binary.run(["apply", "--no-test", Self.inventory] + netplan + ["-e", "network_prefix=99"])
        #expect(broken.exitStatus == 1, "\(broken.stdoutText)")
        #expect(broken.stdoutText.contains("validation failed"), "\(broken.stdoutText)")
        let after = try StackTests.haprov(["run", Self.inventory, "--", "sha256sum /etc/netplan/99-haprov.yaml"]).stdoutText
        #expect(after == before, "the rejected file replaced the good one")
    }
}
