import Foundation
import Testing
@testable import HaprovCore

/// Real VMs filter what comes in: seed 001 runs `ufw allow 80`, and keepalived users often find
/// VRRP blocked. On lab hosts with ufw enabled (SSH let in, everything else denied), check
/// names what the firewall blocks, apply opens exactly what the stack needs (HTTP on balancers
/// and web servers, the stats port, VRRP from the other balancer) and the smoke tests pass,
/// the VIP failover included.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct FirewallTests {
    @Test func theStackOpensExactlyWhatItNeedsThroughUfw() throws {
        let folder = NSTemporaryDirectory() + "haprov-ufw-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder + "/roles/ufw_on/tasks", withIntermediateDirectories: true)
        let twin = try StackTests.keepalivedTwin("ufw", octet: 47, in: folder)
        defer {
            _ = try? Binary.run(["lab", "down", twin], timeout: .seconds(300))
            try? FileManager.default.removeItem(atPath: folder)
        }
        try StackTests.freshLab(twin)
        try StackTests.haprov(["apply", "--no-test", twin])
        // Then an admin enables ufw on every host, carefully: SSH allowed first.
        try """
            - name: ufw installed
              apt: {name: [ufw], state: present, cache_valid_time: 3600}
            - name: ufw enabled, only SSH let in
              shell:
                cmd: ufw allow 22/tcp && ufw --force enable
                unless: "ufw status | grep -q 'Status: active'"
            """.write(toFile: folder + "/roles/ufw_on/tasks/main.yml", atomically: true, encoding: .utf8)
        let setup = folder + "/setup.yml"
        let text = try String(contentsOfFile: twin, encoding: .utf8)
        let plays = try #require(text.range(of: "    haprov_plays:\n      - hosts: webservers\n        roles: [web]\n      - hosts: loadbalancers\n        roles: [haproxy, keepalived]\n"))
        try text.replacingCharacters(in: plays, with: "    haprov_plays:\n      - hosts: all\n        roles: [ufw_on]\n")
            .write(toFile: setup, atomically: true, encoding: .utf8)
        try StackTests.haprov(["apply", "--no-test", "--roles-path", folder + "/roles", setup])

        // check names what ufw now blocks, host by host.
        let checked = try Binary.run(["check", twin], timeout: .seconds(300))
        let before = checked.stdoutText
        #expect(checked.exitStatus == 2, "\(before)\(checked.stderrText)")
        #expect(before.contains("ufw blocks 80/tcp, 8404/tcp: allow them"), "\(before)")
        #expect(before.contains("ufw blocks vrrp from 10.213.47.3: allow it") && before.contains("ufw blocks vrrp from 10.213.47.2: allow it"), "\(before)")
        #expect(before.contains("ufw blocks 80/tcp: allow it"), "the web servers' port: \(before)")

        let applied = try StackTests.haprov(["apply", twin]).stdoutText
        #expect(applied.contains("10 passed, 0 failed"), "\(applied)")
        #expect(applied.contains("VIP failover (load balancer stopped)"), "VRRP crosses the firewalls: \(applied)")

        // Exactly what the stack needs, nothing more.
        let lb1 = try StackTests.haprov(["run", twin, "--limit", "lb1", "--", "ufw status | grep ALLOW | grep -v '(v6)'"]).stdoutText
        let rules = lb1.split(separator: "\n").filter { $0.contains("ALLOW") }.map { $0.split(separator: " ").filter { !$0.isEmpty }.joined(separator: " ") }
        #expect(Set(rules) == ["22/tcp ALLOW Anywhere", "80/tcp ALLOW Anywhere", "8404/tcp ALLOW Anywhere", "Anywhere ALLOW 10.213.47.3/vrrp"], "\(lb1)")
        let web1 = try StackTests.haprov(["run", twin, "--limit", "web1", "--", "ufw status | grep ALLOW | grep -v '(v6)'"]).stdoutText
        #expect(web1.split(separator: "\n").filter { $0.contains("ALLOW") }.count == 2, "SSH and HTTP only: \(web1)")
        try StackTests.eventuallyInSync(twin)
    }
}
