import Foundation
import Testing
@testable import HaprovCore

/// The network role on a lab host, applied for real (ifupdown installed in the host): the
/// interfaces file for the host's own address applied in place and in sync on a second run; the
/// host moved to another address of its subnet, haprov following it, and moved back with
/// `--write-back`; a reconnection killed on purpose, so the host rolls back by itself to its old
/// address; a new gateway that would cut haprov refused. Then `Scripts/course-reset` on the lab.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct NetworkRoleTests {
    static let inventory = Binary.repository + "/Tests/Fixtures/inventories/lab-network.yml"

    /// The fixture with n1's line and applying switched on, in a temporary folder.
    static func variant(ansibleHost: String, networkAddress: String, in folder: String, name: String) throws -> String {
        let text = try String(contentsOfFile: inventory, encoding: .utf8)
            .replacingOccurrences(of: "n1: {ansible_host: 10.213.33.2, network_address: 10.213.33.2}",
                                  with: "n1: {ansible_host: \(ansibleHost), network_address: \(networkAddress)}  # the addressing plan")
            .replacingOccurrences(of: "network_apply: false", with: "network_apply: true")
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The repository's roles, whatever folders surround the temporary inventories.
    static let roles = ["--roles-path", Binary.repository + "/Roles"]

    static func installIfupdown() throws {
        try StackTests.haprov(["run", inventory, "--", """
            export DEBIAN_FRONTEND=noninteractive
            sudo -E apt-get install -y -q --no-install-recommends ifupdown >/dev/null 2>&1 ||
              { sudo apt-get update -q >/dev/null && sudo -E apt-get install -y -q --no-install-recommends ifupdown >/dev/null; }
            """], timeout: .seconds(300))
    }

    static func moved(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["event"] as? String == "moved" }
    }

    @Test func hostMovesToItsStaticAddressFollowedByHaprovOrRollsBack() throws {
        try StackTests.haprov(["lab", "up", Self.inventory])
        defer { _ = try? Binary.run(["lab", "down", Self.inventory]) }
        let folder = try LocalProcess.run(["/bin/sh", "-c", "mktemp -d"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let here = try Self.variant(ansibleHost: "10.213.33.2", networkAddress: "10.213.33.2", in: folder, name: "here.yml")
        let away = try Self.variant(ansibleHost: "10.213.33.2", networkAddress: "10.213.33.99", in: folder, name: "away.yml")
        let back = try Self.variant(ansibleHost: "10.213.33.99", networkAddress: "10.213.33.2", in: folder, name: "back.yml")

        // Without the tool that applies the file, nothing is touched and the fix is named.
        let noTool = try Binary.run(["apply"] + Self.roles + ["--no-test", here])
        #expect(noTool.exitStatus == 1)
        #expect(noTool.stdoutText.contains("ifup is not installed, so /etc/network/interfaces cannot be applied: install ifupdown, or set network_apply: false"), "\(noTool.stdoutText)")
        try Self.installIfupdown()

        let first = try StackTests.haprov(["apply"] + Self.roles + ["--no-test", here])
        #expect(first.stdoutText.contains("apply /etc/network/interfaces on host0 at 10.213.33.2"), "\(first.stdoutText)")
        #expect(first.stdoutText.contains("NETWORK      changed at 10.213.33.2, reconnected in"), "\(first.stdoutText)")
        let file = try StackTests.haprov(["run", here, "--", "cat /etc/network/interfaces; ip -4 -o addr show host0; ip route"]).stdoutText
        #expect(file.contains("iface host0 inet static"), "the interface comes from the host's default route: \(file)")
        #expect(file.contains("address 10.213.33.2/24"))
        #expect(file.contains("gateway 10.213.33.1"))
        #expect(file.contains("dns-nameservers 10.213.33.1 10.213.33.53\n"))
        #expect(file.contains("default via 10.213.33.1 dev host0"), "ifup set the gateway: \(file)")
        let second = try StackTests.haprov(["apply"] + Self.roles + ["--no-test", here])
        #expect(StackTests.changedCounts(second.stdoutText) == [0], "\(second.stdoutText)")

        // Moved to another address of the subnet: haprov follows it with the same host key.
        let move = try StackTests.haprov(["apply"] + Self.roles + ["--no-test", "--format", "json", away])
        let event = try #require(Self.moved(move.stdoutText).first, "\(move.stdoutText)")
        #expect(event["outcome"] as? String == "kept" && event["from"] as? String == "10.213.33.2" && event["to"] as? String == "10.213.33.99", "\(event)")
        #expect(move.stderrText.contains("note: n1 answers at 10.213.33.99 now: set its ansible_host to 10.213.33.99 at \(away):19:"), "\(move.stderrText)")
        let moved = try StackTests.haprov(["run", back, "--", "ip -4 -o addr show host0; grep address /etc/network/interfaces"]).stdoutText
        #expect(moved.contains("inet 10.213.33.99/24") && !moved.contains("10.213.33.2/"), "the old address is gone: \(moved)")
        // The inventory that still says 10.213.33.2: check names where the host answers now.
        let stale = try Binary.run(["check"] + Self.roles + [away])
        #expect(stale.exitStatus == 1)
        #expect(stale.stdoutText.contains("n1 answers at 10.213.33.99, the address its network configuration gives it"), "\(stale.stdoutText)")

        // Back, with the inventory updated in place.
        let returned = try StackTests.haprov(["apply"] + Self.roles + ["--no-test", "--write-back", back])
        #expect(returned.stdoutText.contains("MOVED        10.213.33.99 -> 10.213.33.2"), "\(returned.stdoutText)")
        #expect(try String(contentsOfFile: back, encoding: .utf8).contains("n1: {ansible_host: 10.213.33.2, network_address: 10.213.33.2}  # the addressing plan"))
        #expect(StackTests.changedCounts(try StackTests.haprov(["apply"] + Self.roles + ["--no-test", back]).stdoutText) == [0])

        // The reconnection killed on purpose: this machine cannot reach the new address, so the
        // host puts its file, address and gateway back by itself and haprov finds it there.
        try LocalProcess.run(["/sbin/ip", "route", "add", "blackhole", "10.213.33.99/32"])
        let cut = try Binary.run(["apply"] + Self.roles + ["--no-test", away, "-e", "network_rollback_timeout=10"])
        _ = try? LocalProcess.run(["/sbin/ip", "route", "del", "blackhole", "10.213.33.99/32"])
        #expect(cut.exitStatus == 1)
        #expect(cut.stdoutText.contains("ROLLED BACK  10.213.33.99 never answered; the host is back at 10.213.33.2"), "\(cut.stdoutText)")
        #expect(cut.stdoutText.contains("Host says: rolled back: haprov did not reconnect at 10.213.33.99 within 10 s"), "\(cut.stdoutText)")
        let restored = try StackTests.haprov(["run", here, "--", "ip -4 -o addr show host0; ip route; grep address /etc/network/interfaces"]).stdoutText
        #expect(restored.contains("inet 10.213.33.2/24") && !restored.contains("10.213.33.99"), "\(restored)")
        #expect(restored.contains("default via 10.213.33.1"), "\(restored)")
        #expect(StackTests.changedCounts(try StackTests.haprov(["apply"] + Self.roles + ["--no-test", here]).stdoutText) == [0])

        // haprov on the same link: a new gateway does not touch the way back, and is written.
        let regateway = try Binary.run(["apply"] + Self.roles + ["--no-test", here, "-e", "network_gateway=10.213.33.254", "--check"])
        #expect(regateway.exitStatus == 0 && regateway.stdoutText.contains("apply /etc/network/interfaces on host0 at 10.213.33.2"), "\(regateway.stdoutText)")
        // haprov reached through a gateway (a host route via the lab's gateway): a new default
        // gateway would send the host's answers elsewhere, so it is refused, through sudo too.
        try StackTests.haprov(["run", here, "--", "sudo ip route add 10.213.33.1/32 via 10.213.33.1 dev host0"])
        let refused = try Binary.run(["apply"] + Self.roles + ["--no-test", here, "-e", "network_gateway=10.213.33.254"])
        try StackTests.haprov(["run", here, "--", "sudo ip route del 10.213.33.1/32"])
        #expect(refused.exitStatus == 1)
        #expect(refused.stdoutText.contains("haprov reaches this host through the gateway 10.213.33.1"), "\(refused.stdoutText)")
        #expect(refused.stdoutText.contains("network_allow_new_gateway: true"), "\(refused.stdoutText)")
        let kept = try StackTests.haprov(["run", here, "--", "cat /etc/network/interfaces"]).stdoutText
        #expect(kept.contains("gateway 10.213.33.1\n"), "\(kept)")
    }

    // The teacher's reset of a class on the same lab (`haprov course reset`, and the script
    // kept for habit): labs reset in parallel, one line per lab, exit 0 / 2 / 1.
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
        #expect(differs.stdoutText.contains("drift       1 host(s) would be reset"), "\(differs.stdoutText)")
        let reset = try Binary.run(["course", "reset", lab, unreachable], timeout: .seconds(300))
        #expect(reset.exitStatus == 1, "\(reset.stdoutText)")
        let lines = reset.stdoutText.split(separator: "\n")
        #expect(lines.count == 3, "one line per lab and a summary: \(reset.stdoutText)")
        #expect(lines.first { $0.hasPrefix("lab-network") }?.contains("ok          1 host(s) reset") == true, "\(reset.stdoutText)")
        #expect(lines.first { $0.hasPrefix("student-unreachable") }?.contains("unreachable pc1: ") == true, "\(reset.stdoutText)")
        #expect(lines.last?.contains("2 lab(s) in") == true && lines.last?.contains("1 ok, 1 unreachable") == true, "\(reset.stdoutText)")
        let clean = try Self.courseReset(["--check", lab])
        #expect(clean.exitStatus == 0, "\(clean.stdoutText)")
        #expect(clean.stdoutText.contains("ok          every host matches the course baseline"), "\(clean.stdoutText)")
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
        // Written, not applied (network_apply: false): netplan generates networkd's config from it.
        let generated = try StackTests.haprov(["run", Self.inventory, "--", """
            stat -c %a /etc/netplan/99-haprov.yaml; sudo netplan generate && cat /run/systemd/network/10-netplan-host0.network
            """]).stdoutText
        #expect(generated.contains("600\n"))
        #expect(generated.contains("Address=10.213.33.2/24"), "\(generated)")
        #expect(generated.contains("Gateway=10.213.33.1"))
        #expect(generated.contains("DNS=10.213.33.1"))
        let second = try StackTests.haprov(["apply", "--no-test", Self.inventory] + netplan)
        #expect(StackTests.changedCounts(second.stdoutText) == [0], "\(second.stdoutText)")

        let before = try StackTests.haprov(["run", Self.inventory, "--", "sha256sum /etc/netplan/99-haprov.yaml"]).stdoutText
        // Applied for real, `netplan apply` fails in a lab host (no udevadm): the host rolls back
        // by itself at once, its previous file back, and haprov says so.
        let tried = try Binary.run(["apply", "--no-test", Self.inventory] + netplan + ["-e", "network_apply=true", "-e", "network_dns=[10.213.33.1]"])
        #expect(tried.exitStatus == 1, "\(tried.stdoutText)")
        #expect(tried.stdoutText.contains("Host says: rolled back: the new configuration did not come up"), "\(tried.stdoutText)")
        let untouched = try StackTests.haprov(["run", Self.inventory, "--", "sha256sum /etc/netplan/99-haprov.yaml; ip -4 -o addr show host0"]).stdoutText
        #expect(untouched.hasPrefix(before) && untouched.contains("inet 10.213.33.2/24"), "\(untouched)")
        let broken = try Binary.run(["apply", "--no-test", Self.inventory] + netplan + ["-e", "network_prefix=99"])
        #expect(broken.exitStatus == 1, "\(broken.stdoutText)")
        #expect(broken.stdoutText.contains("validation failed"), "\(broken.stdoutText)")
        let after = try StackTests.haprov(["run", Self.inventory, "--", "sha256sum /etc/netplan/99-haprov.yaml"]).stdoutText
        #expect(after == before, "the rejected file replaced the good one")
    }
}
