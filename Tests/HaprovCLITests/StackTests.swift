import Foundation
import Testing
@testable import HaprovCore

/// Lab tests need root; in CI (CI=true) they run, and a lab that cannot come up fails them.
enum StackGate {
    static var enabled: Bool { getuid() == 0 || ProcessInfo.processInfo.environment["CI"] == "true" }
    static let reason: Comment = "lab stacks need root (namespaces, bridges, mounts); in CI they always run"
}

/// Every stack of the seeds, built by `haprov apply` on a fresh lab as users run it: smoke tests
/// pass, a second apply changes nothing, check finds nothing; drift is found exactly and
/// repaired; reset gives back the pristine host.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct StackTests {
    static func inventory(_ name: String) -> String { Binary.repository + "/Inventories/" + name }

    /// `haprov ARGS`, with its output attached to any failure.
    @discardableResult
    static func haprov(_ arguments: [String], expect status: Int32 = 0, timeout: Duration = .seconds(900),
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try Binary.run(arguments, timeout: timeout)
        #expect(result.exitStatus == status, "haprov \(arguments.joined(separator: " ")):\n\(result.stdoutText)\n\(result.stderrText)", sourceLocation: sourceLocation)
        return result
    }

    /// A twin of the keepalived stack in a lab of its own (`name`, subnet 10.213.`octet`.0/24),
    /// written in `folder`, so that suites can run side by side; `edit` changes its text further.
    static func keepalivedTwin(_ name: String, octet: Int, in folder: String, edit: (String) -> String = { $0 }) throws -> String {
        let source = try String(contentsOfFile: inventory("lab-keepalived.yml"), encoding: .utf8)
        let path = folder + "/lab-\(name).yml"
        try edit(source.replacingOccurrences(of: "/lab/keepalived/", with: "/lab/\(name)/")
            .replacingOccurrences(of: "name: keepalived", with: "name: \(name)")
            .replacingOccurrences(of: "10.213.7.", with: "10.213.\(octet)."))
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A fresh lab: up (idempotent), then every host back to the pristine base.
    static func freshLab(_ path: String) throws {
        try haprov(["lab", "up", path])
        try haprov(["lab", "reset", path])
    }

    static func changedCounts(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            line.range(of: #"changed=(\d+)"#, options: .regularExpression).flatMap { Int(line[$0].dropFirst(8)) }
        }
    }

    @Test(arguments: ["lab-sam.yml", "lab-keepalived.yml", "lab-apache.yml"])
    func stackFromAFreshLab(_ file: String) throws {
        let path = Self.inventory(file)
        try Self.freshLab(path)
        // The write-up's annex from the same run, in French, both forms.
        let reports = try ReportChecks.folder() + "/" + (file as NSString).deletingPathExtension
        let keepalived = file != "lab-sam.yml"
        let capture = keepalived ? ["--capture", reports + "-failover.pcap"] : []
        let first = try Self.haprov(["apply", path, "--report", reports + ".html", "--report", reports + ".md", "--lang", "fr"] + capture)
        #expect(first.stdoutText.contains(" 0 failed"), "smoke tests:\n\(first.stdoutText)")
        try ReportChecks.verify(markdown: reports + ".md", html: reports + ".html", inventory: path)
        if keepalived {
            // The packets of the VIP failover, summed up in the report.
            let md = try String(contentsOfFile: reports + ".md", encoding: .utf8)
            let section = md.components(separatedBy: "## Trames pendant la bascule de la VIP").dropFirst().first ?? ""
            let (master, backup) = file == "lab-apache.yml" ? ("apache1", "apache2") : ("lb1", "lb2")
            for words in ["annonces VRRP de \(master) (priorité", "annonces VRRP de \(backup) (priorité", "\(backup) devient maître", "ARP gratuits pour"] {
                #expect(section.contains(words), "the capture summary lacks \(words):\n\(section)")
            }
        }
        if file == "lab-keepalived.yml" { try Self.vrrpCapturedDuringFailover(path, pcap: reports + "-vrrp.pcap") }
        #expect(!first.stdoutText.contains("FAIL"))
        #expect(Self.changedCounts(first.stdoutText).contains { $0 > 0 })
        let second = try Self.haprov(["apply", "--no-test", path])
        #expect(!Self.changedCounts(second.stdoutText).isEmpty && Self.changedCounts(second.stdoutText).allSatisfy { $0 == 0 }, "second apply:\n\(second.stdoutText)")
        try Self.haprov(["check", path])
    }

    /// `lab capture` on the backup while the master's keepalived stops and starts again: the
    /// pcap holds VRRP adverts from both load balancers, read back with tcpdump.
    static func vrrpCapturedDuringFailover(_ path: String, pcap: String) throws {
        let done = DispatchSemaphore(value: 0)
        let box = CaptureBox()
        Thread {
            box.result = try? Binary.run(["lab", "capture", path, "lb2", "--filter", "vrrp", "--seconds", "9", "-w", pcap], timeout: .seconds(60))
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 2)
        try haprov(["run", path, "--limit", "lb1", "--", "systemctl stop keepalived"])
        Thread.sleep(forTimeInterval: 3)
        try haprov(["run", path, "--limit", "lb1", "--", "systemctl start keepalived"])
        done.wait()
        let capture = try #require(box.result)
        #expect(capture.exitStatus == 0 && capture.stdoutText.contains("packet(s) in \(pcap)"), "\(capture.stdoutText)\(capture.stderrText)")
        let packets = try LocalProcess.run(["/usr/bin/tcpdump", "-n", "-r", pcap]).stdoutText
        #expect(packets.contains("10.213.7.2 > 224.0.0.18: VRRPv2, Advertisement"), "no advert from lb1:\n\(packets)")
        #expect(packets.contains("10.213.7.3 > 224.0.0.18: VRRPv2, Advertisement"), "no advert from lb2:\n\(packets)")
        // lb1 preempts: wait until lb2 has let the VIP go, so that what follows sees one holder.
        let settled = try haprov(["run", path, "--limit", "lb2", "--", """
            i=0; while ip -4 -o addr show | grep -q ' 10.213.7.100/' && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done
            ip -4 -o addr show | grep -q ' 10.213.7.100/' && echo still || echo released
            """]).stdoutText
        #expect(settled.contains("released"), "\(settled)")
    }

    final class CaptureBox: @unchecked Sendable { var result: CommandResult? }

    /// The SAM twin's web servers moved from Docker to systemd and back: the other runtime
    /// makes way each time, the smoke tests pass on both, and the last apply leaves nothing to do.
    @Test func webRuntimeSwitchesBothWays() throws {
        let path = Self.inventory("lab-sam.yml")
        try Self.haprov(["lab", "up", path])
        try Self.haprov(["apply", "--no-test", path], timeout: .seconds(600))
        let systemd = try Self.haprov(["apply", path, "-e", "web_runtime=systemd"])
        #expect(systemd.stdoutText.contains("the container makes way for the systemd-run app"), "\(systemd.stdoutText)")
        #expect(systemd.stdoutText.contains(" 0 failed"), "\(systemd.stdoutText)")
        let docker = try Self.haprov(["apply", path])
        #expect(docker.stdoutText.contains("the systemd-run app makes way for the container"), "\(docker.stdoutText)")
        #expect(docker.stdoutText.contains(" 0 failed"), "\(docker.stdoutText)")
        let again = try Self.haprov(["apply", "--no-test", path])
        #expect(Self.changedCounts(again.stdoutText).allSatisfy { $0 == 0 }, "\(again.stdoutText)")
    }

    /// What the teacher's check must see: the host as a student left it.
    static let snapshot = """
        dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' | sort
        for f in /etc/haproxy/haproxy.cfg /etc/keepalived/keepalived.conf /etc/sysctl.d/99-haprov.conf; do [ -e $f ] && sha256sum $f || echo "no $f"; done
        ls -d /etc/haprov /var/lib/haprov /opt/haprov-web /usr/local/sbin/haprov-keepalived-check 2>&1
        ls /etc/systemd/system /etc/systemd/system/multi-user.target.wants
        sysctl net.ipv4.ip_forward net.ipv4.ip_nonlocal_bind
        # Tables that hold nothing count as absent: an emptied table cannot be unloaded.
        iptables-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//' | awk '/^\\*/ { t = $0; b = ""; e = 1; next } /^COMMIT/ { if (!e) printf "%s\\n%sCOMMIT\\n", t, b; next } { b = b $0 "\\n"; if (!($0 ~ /^:[A-Z]+ ACCEPT *$/)) e = 0 }'
        ip rule
        ip -4 route show table all
        """

    @Test func transparentStackDriftRepairAndReset() throws {
        let path = Self.inventory("lab-transparent.yml")
        try Self.freshLab(path)
        let pristine = try Self.haprov(["run", path, "--limit", "lb1,www1", "--", Self.snapshot]).stdoutText

        let first = try Self.haprov(["apply", path])
        #expect(first.stdoutText.contains("Client address seen by the backends"), "\(first.stdoutText)")
        #expect(first.stdoutText.contains(" 0 failed"), "smoke tests:\n\(first.stdoutText)")
        let second = try Self.haprov(["apply", "--no-test", path])
        #expect(Self.changedCounts(second.stdoutText).allSatisfy { $0 == 0 }, "second apply:\n\(second.stdoutText)")
        try Self.haprov(["check", path])

        // A student's hands: edit haproxy.cfg, stop keepalived, delete a DIVERT rule, change a
        // sysctl, add a firewall rule.
        try Self.haprov(["run", path, "--limit", "lb1", "--", """
            echo '# edited by hand' >> /etc/haproxy/haproxy.cfg
            systemctl stop keepalived
            iptables -t mangle -D DIVERT -j ACCEPT
            iptables -t mangle -A DIVERT -m comment --comment by-hand -j RETURN
            sysctl -qw net.ipv4.ip_forward=0
            """])
        let drift = try Self.haprov(["check", path, "--format", "json"], expect: 2)
        let events = drift.stdoutText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let changed = events.filter { $0["event"] as? String == "task" && $0["status"] as? String == "changed" }
        let seen = Set(changed.map { "\($0["host"] ?? "") \($0["task"] ?? "")" })
        #expect(seen == ["lb1 haproxy.cfg", "lb1 Keepalived enabled and running", "lb1 DIVERT chain marks packets of local sockets", "lb1 forward packets"],
                "\(drift.stdoutText)")
        let divert = changed.first { $0["task"] as? String == "DIVERT chain marks packets of local sockets" }
        let divertChanges = (divert?["changes"] as? [String] ?? []).joined()
        #expect(divertChanges.contains("missing: -j ACCEPT") && divertChanges.contains("extra: -m comment --comment by-hand -j RETURN"))
        let diff = (changed.first { $0["task"] as? String == "haproxy.cfg" }?["diffs"] as? [String] ?? []).joined()
        #expect(diff.contains("-# edited by hand"))
        #expect(!diff.contains("labpass"), "the stats password must be masked in diffs")
        // keepalived stopped on lb1: the VIP moved to lb2, which the check also reports.
        let vip = events.first { $0["event"] as? String == "vip" }
        #expect(vip?["status"] as? String == "drift")
        #expect(vip?["holders"] as? [String] == ["lb2"])

        try Self.haprov(["apply", "--no-test", path])
        try Self.eventuallyInSync(path)

        // Reset: lb1 and www1 equal their pristine selves; then a fresh apply works again.
        try Self.haprov(["reset", "--check", path, "--limit", "lb1,www1"], expect: 2)
        try Self.haprov(["reset", path, "--limit", "lb1,www1"])
        let after = try Self.haprov(["run", path, "--limit", "lb1,www1", "--", Self.snapshot]).stdoutText
        #expect(after == pristine)
        try Self.haprov(["reset", "--check", path, "--limit", "lb1,www1"])
        try Self.haprov(["apply", "--no-test", path])
        try Self.eventuallyInSync(path)
    }

    /// Check exits 0 within 10 s: a keepalived just (re)started on the MASTER takes the VIP
    /// back by preemption after a few advertisements, and until then check rightly says drift.
    static func eventuallyInSync(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var check = try Binary.run(["check", path])
        for _ in 0..<20 where check.exitStatus != 0 {
            Thread.sleep(forTimeInterval: 0.5)
            check = try Binary.run(["check", path])
        }
        #expect(check.exitStatus == 0, "\(check.stdoutText)", sourceLocation: sourceLocation)
    }

    /// A template the validator rejects: check says so, apply never lets it replace the running
    /// config, and the service stays up.
    @Test func rejectedConfigLeavesTheRunningOneInPlace() throws {
        let path = Self.inventory("lab-sam.yml")
        try Self.haprov(["lab", "up", path])
        try Self.haprov(["apply", "--no-test", path])
        let before = try Self.haprov(["run", path, "--limit", "haproxy-sam", "--", "sha256sum /etc/haproxy/haproxy.cfg"]).stdoutText
        // A timeout HAProxy cannot parse: haproxy -c rejects the rendered file.
        // check validates the rendered file in a temporary path and says it would be rejected.
        let checked = try Binary.run(["check", path, "-e", "haproxy_timeout_client=soon"], timeout: .seconds(300))
        #expect(checked.exitStatus == 1, "\(checked.stdoutText)")
        #expect(checked.stdoutText.contains("unexpected character 's' in 'timeout client'"), "\(checked.stdoutText)")
        let broken = try Binary.run(["apply", "--no-test", path, "-e", "haproxy_timeout_client=soon"], timeout: .seconds(300))
        #expect(broken.exitStatus == 1, "\(broken.stdoutText)")
        #expect(broken.stdoutText.contains("validation failed"))
        #expect(broken.stdoutText.contains("unexpected character 's' in 'timeout client'"), "HAProxy's own words reach the user")
        let after = try Self.haprov(["run", path, "--limit", "haproxy-sam", "--", "sha256sum /etc/haproxy/haproxy.cfg; systemctl is-active haproxy"]).stdoutText
        #expect(after.hasPrefix(before.trimmingCharacters(in: .newlines)))
        #expect(after.hasSuffix("active\n"))
    }
}
