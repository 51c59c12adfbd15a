import Foundation
import HaprovCore
import HaprovSSH
import Testing
@testable import HaprovLab

/// A real lab: two systemd hosts on a bridge, reached over haprov's own SSH transport.
@Suite(.serialized, .enabled(if: LabGate.enabled, "lab tests need root (namespaces, bridges, mounts); in CI they always run")) struct LabTests {
    static let inventoryPath = LabGate.fixture("lab-test.yml")

    /// Brings the lab up (idempotent, so every test can call it) and connects to a host.
    static func connect(_ host: String) throws -> any Transport {
        let config = try LabConfig.load(inventoryPath: inventoryPath)
        try Lab(config: config).up()
        let spec = try Inventory.load(path: inventoryPath).connectionSpec(for: host)
        return try SSHTransportFactory().connect(spec)
    }

    static func sh(_ script: String) throws -> CommandResult {
        try LocalProcess.run(["/bin/sh", "-c", script], timeout: .seconds(120))
    }

    @Test func hostsRunSystemdAndAnswerAsRootAndThroughSudo() throws {
        for host in ["h1", "h2"] {
            let transport = try Self.connect(host)
            defer { transport.close() }
            let result = try transport.run("id -un; hostname; cat /proc/1/comm; systemctl is-system-running --wait", timeout: .seconds(60))
            #expect(result.stdoutText.split(separator: "\n").map(String.init) == ["root", host, "systemd", "running"], "\(host): \(result.stdoutText)")
        }
        // h2 logs in as student: the login itself is not root.
        let spec = try Inventory.load(path: Self.inventoryPath).connectionSpec(for: "h2")
        #expect(spec.user == "student" && spec.become)
    }

    @Test func sysctlIptablesAndPolicyRoutingArePermitted() throws {
        let transport = try Self.connect("h1")
        defer { transport.close() }
        let result = try transport.run("""
            set -e
            sysctl -qw net.ipv4.ip_nonlocal_bind=1 net.ipv4.ip_forward=1
            sysctl -n net.ipv4.ip_nonlocal_bind net.ipv4.ip_forward
            iptables -t mangle -N HVTEST 2>/dev/null || iptables -t mangle -F HVTEST
            iptables -t mangle -A HVTEST -j MARK --set-mark 1
            iptables -t mangle -S HVTEST
            while ip rule del fwmark 7 lookup 107 2>/dev/null; do :; done
            ip rule add fwmark 7 lookup 107
            ip route replace local 0.0.0.0/0 dev lo table 107
            ip rule show | grep -c 'fwmark 0x7 lookup 107'
            ip route show table 107
            """, timeout: .seconds(30))
        #expect(result.succeeded, "\(result.stderrText)")
        let lines = result.stdoutText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines == ["1", "1", "-N HVTEST", "-A HVTEST -j MARK --set-xmark 0x1/0xffffffff", "1", "local default dev lo scope host"])
    }

    @Test func hostsReachEachOtherAndTheGateway() throws {
        let transport = try Self.connect("h1")
        defer { transport.close() }
        let result = try transport.run("ping -c1 -W2 10.213.30.3 >/dev/null && ping -c1 -W2 10.213.30.1 >/dev/null && echo reached", timeout: .seconds(30))
        #expect(result.stdoutText == "reached\n", "\(result.stderrText)")
    }

    @Test func aptInstallsThroughTheLabProxy() throws {
        let transport = try Self.connect("h2")
        defer { transport.close() }
        let result = try transport.run("""
            export DEBIAN_FRONTEND=noninteractive
            apt-get -q update >/dev/null && apt-get install -y -q hello >/dev/null && hello
            # What a lab host leaves out to install for less CPU: translated descriptions, and the
            # packages' documentation (but their copyright), manual pages and translations.
            ls /var/lib/apt/lists | grep -c Translation
            ls /usr/share/doc/hello; ls /usr/share/man/man1/hello.1.gz /usr/share/locale/fr/LC_MESSAGES/hello.mo 2>&1 | grep -c 'No such file'
            """, timeout: .seconds(300))
        #expect(result.stdoutText == "Hello, world!\n0\ncopyright\n2\n", "\(result.stderrText)")
    }

    /// A real VRRP advertisement (IP protocol 112 to 224.0.0.18) from h1, received on h2.
    @Test func vrrpAdvertisementCrossesTheBridge() throws {
        let sender = try Self.connect("h1"), receiver = try Self.connect("h2")
        defer { sender.close(); receiver.close() }
        let listen = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('224.0.0.18') + socket.inet_aton('0.0.0.0'))
            s.settimeout(10)
            while True:
                data, peer = s.recvfrom(2048)
                vrrp = data[(data[0] & 15) * 4:]
                if vrrp[1] == 51:
                    print(peer[0], vrrp[0] >> 4, vrrp[1], vrrp[2]); break
            """
        let send = """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
            vip = socket.inet_aton('10.213.30.100')
            body = bytes([0x21, 51, 100, 1, 0, 1, 0, 0]) + vip
            for _ in range(16):
                s.sendto(body, ('224.0.0.18', 0)); time.sleep(0.25)
            """
        let listener = Thread.detachNewThreadResult { try receiver.run("python3 -c \(Shell.quote(listen))", stdin: nil, timeout: .seconds(30)) }
        Thread.sleep(forTimeInterval: 1)
        let sent = try sender.run("python3 -c \(Shell.quote(send))", timeout: .seconds(30))
        #expect(sent.succeeded, "\(sent.stderrText)")
        let heard = try listener.value()
        // Version 2, virtual router 51, priority 100, from h1.
        #expect(heard.stdoutText == "10.213.30.2 2 51 100\n", "\(heard.stderrText)")
    }

    /// What the host's kernel holds for the network, which a file reset alone would not clear.
    static let kernelState = "sysctl -n net.ipv4.ip_forward; iptables -t mangle -S; ip rule; ip route show table all | grep -v '^local\\|^broadcast'"

    @Test func resetRestoresAChangedFileAndTheKernelStateAndKeepsSSH() throws {
        let lab = Lab(config: try LabConfig.load(inventoryPath: Self.inventoryPath))
        try lab.reset(["h1"])  // other tests leave their marks on h1
        var transport = try Self.connect("h1")
        let pristineKernel = try transport.run(Self.kernelState).stdoutText
        #expect(try transport.run("echo tampered > /etc/motd && cat /etc/motd").stdoutText == "tampered\n")
        let tampered = try transport.run("""
            sysctl -qw net.ipv4.ip_forward=\(pristineKernel.hasPrefix("1") ? 0 : 1)
            iptables -t mangle -N DIVERT && iptables -t mangle -A DIVERT -j ACCEPT
            ip rule add fwmark 1 lookup 100 && ip route add local 0.0.0.0/0 dev lo table 100
            """)
        #expect(tampered.succeeded, "\(tampered.stderrText)")
        #expect(try transport.run(Self.kernelState).stdoutText != pristineKernel)
        transport.close()
        let start = ContinuousClock.now
        try lab.reset(["h1"])
        print("figure: lab reset of one host took \(ContinuousClock.now - start)")
        transport = try Self.connect("h1")
        defer { transport.close() }
        let pristine = try String(contentsOfFile: LabPaths.base + "/etc/motd", encoding: .utf8)
        #expect(try transport.run("cat /etc/motd").stdoutText == pristine)
        #expect(try transport.run(Self.kernelState).stdoutText == pristineKernel)
    }

    @Test func upAgainLeavesRunningHostsAloneAndRepairsMissingPieces() throws {
        let config = try LabConfig.load(inventoryPath: Self.inventoryPath)
        let lab = Lab(config: config)
        try lab.up()
        let h1 = LabHost(config: config, host: config.hosts[0]), h2 = LabHost(config: config, host: config.hosts[1])
        let pid = try String(contentsOfFile: h1.pidFile, encoding: .utf8)
        // Missing pieces: h2 powered off, h1's cable unplugged.
        try lab.inject(.stop, on: "h2")
        try lab.inject(.cut, on: "h1")
        #expect(!h2.isRunning)
        #expect(!h1.sshAnswers)
        try lab.up()
        #expect(try String(contentsOfFile: h1.pidFile, encoding: .utf8) == pid, "a running host was restarted")
        #expect(h1.sshAnswers && h2.sshAnswers)
        #expect(try lab.status().allSatisfy { $0.running && $0.ssh })
    }

    @Test func upAgainKeepsAHostsOwnRoutesAndRebootsAHostWhoseSSHDied() throws {
        let config = try LabConfig.load(inventoryPath: Self.inventoryPath)
        let lab = Lab(config: config)
        let h1 = LabHost(config: config, host: config.hosts[0]), h2 = LabHost(config: config, host: config.hosts[1])
        let h1Session = try Self.connect("h1"), h2Session = try Self.connect("h2")
        defer { h1Session.close(); h2Session.close() }
        // A stack routes a backend through another host (as backends go through the VIP).
        _ = try h1Session.run("ip route replace default via 10.213.30.3", timeout: .seconds(10))
        _ = try h2Session.run("sudo systemctl stop ssh.socket ssh.service 2>/dev/null; sudo systemctl stop ssh", timeout: .seconds(10))
        #expect(!h2.sshAnswers)
        let h1Pid = try String(contentsOfFile: h1.pidFile, encoding: .utf8), h2Pid = try String(contentsOfFile: h2.pidFile, encoding: .utf8)
        try lab.up()
        let route = try h1Session.run("ip route show default", timeout: .seconds(10)).stdoutText
        _ = try h1Session.run("ip route replace default via 10.213.30.1", timeout: .seconds(10))
        #expect(route.contains("via 10.213.30.3"), "lab up put its own default route back: \(route)")
        #expect(try String(contentsOfFile: h1.pidFile, encoding: .utf8) == h1Pid, "a running, answering host was restarted")
        #expect(try String(contentsOfFile: h2.pidFile, encoding: .utf8) != h2Pid, "the host whose sshd died was not rebooted")
        #expect(h2.sshAnswers)
    }

    @Test func stopAndStartIsAPowerCycle() throws {
        let lab = Lab(config: try LabConfig.load(inventoryPath: Self.inventoryPath))
        var transport = try Self.connect("h1")
        _ = try transport.run("sysctl -qw net.ipv4.ip_forward=1; iptables -N HANDMADE")
        transport.close()
        try lab.inject(.stop, on: "h1")
        try lab.inject(.start, on: "h1")
        try lab.waitForSSH([LabHost(config: lab.config, host: lab.config.hosts[0])], timeout: .seconds(60))
        transport = try Self.connect("h1")
        defer { transport.close() }
        #expect(try transport.run("iptables -S HANDMADE >/dev/null 2>&1 && echo kept || echo gone").stdoutText == "gone\n", "kernel state survived a power cycle")
    }

    @Test func faultsCutAndHealTheLink() throws {
        let lab = Lab(config: try LabConfig.load(inventoryPath: Self.inventoryPath))
        let transport = try Self.connect("h2")
        defer { transport.close() }
        try lab.inject(.cut, on: "h1")
        let cut = try transport.run("ping -c1 -W1 10.213.30.2 >/dev/null && echo up || echo down", timeout: .seconds(10))
        try lab.inject(.heal, on: "h1")
        let healed = try transport.run("ping -c3 -i0.3 -W1 10.213.30.2 >/dev/null && echo up || echo down", timeout: .seconds(10))
        #expect(cut.stdoutText == "down\n")
        #expect(healed.stdoutText == "up\n")
    }

    @Test func downLeavesNothingBehind() throws {
        let config = try LabConfig.load(inventoryPath: LabGate.fixture("lab-down.yml"))
        let lab = Lab(config: config)
        try lab.up()
        let host = LabHost(config: config, host: config.hosts[0])
        #expect(host.sshAnswers)
        // With cgroup v1's memory controller (this machine) a host's memory is always readable;
        // under cgroup v2 it depends on what the machine delegates to haprov's cgroup.
        if let memory = host.memoryBytes {
            #expect(memory > 1_000_000)
        } else {
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.usage_in_bytes"), "the host has no memory cgroup of its own")
        }
        try lab.down()
        let left = try Self.sh("""
            ip netns list | grep -w \(host.namespace)
            ip link show \(config.bridge) 2>/dev/null | head -1
            ip link show \(host.veth) 2>/dev/null | head -1
            grep -F \(config.directory) /proc/mounts
            # [n] and [x]: the patterns must not match this very shell's command line.
            pgrep -af 'systemd-nspaw[n] .*-D \(config.directory)/' ; pgrep -af 'tinyprox[y] -c \(config.directory)'
            ls -d \(config.directory) 2>/dev/null
            find /sys/fs/cgroup -maxdepth 6 -type d -name '\(host.cgroupName)'
            true
            """)
        #expect(left.stdoutText.isEmpty, "left behind:\n\(left.stdoutText)")
    }
}

extension Thread {
    /// Runs `body` on a new thread; `value()` waits for its result.
    static func detachNewThreadResult<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> ThreadResult<T> {
        let result = ThreadResult<T>()
        Thread { result.set(Result { try body() }) }.start()
        return result
    }
}

final class ThreadResult<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { result = value; done.signal() }
    func value() throws -> T {
        done.wait()
        return try result!.get()
    }
}
