import Foundation
import HaprovCore
import HaprovSSH
import Testing

/// Per-command cost on an open session vs one OpenSSH process per command. Prints figures;
/// runs only with HAPROV_BENCH=1 (see Scripts/bench-ssh).
@Suite("Benchmark", .enabled(if: ProcessInfo.processInfo.environment["HAPROV_BENCH"] == "1"))
struct BenchmarkTests {
    @Test func sequentialTrueCommands() throws {
        let count = Int(ProcessInfo.processInfo.environment["HAPROV_BENCH_COUNT"] ?? "") ?? 100
        let server = try TestSSHD.sharedServer()
        let spec = try server.spec(name: "bench")

        let connectStart = ContinuousClock.now
        let transport = try SSHTransportFactory().connect(spec)
        let connectTime = ContinuousClock.now - connectStart
        defer { transport.close() }
        let haprovStart = ContinuousClock.now
        for _ in 0..<count { #expect(try transport.run("true").succeeded) }
        let haprov = ContinuousClock.now - haprovStart

        let sshArguments = [
            "/usr/bin/ssh", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=\(spec.knownHostsFiles[0])",
            "-o", "StrictHostKeyChecking=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-i", server.clientKey, "-p", String(server.port), "root@127.0.0.1", "true",
        ]
        let opensshStart = ContinuousClock.now
        for _ in 0..<count { #expect(try LocalProcess.run(sshArguments).succeeded) }
        let openssh = ContinuousClock.now - opensshStart

        func ms(_ duration: Duration) -> String { String(format: "%.2f", duration.seconds * 1000) }
        print("""
            haprov bench-ssh: \(count) sequential `true` commands on loopback
              haprov (one libssh2 session, connect \(ms(connectTime)) ms): total \(ms(haprov)) ms, \(ms(haprov / count)) ms/command
              OpenSSH (one ssh process per command):              total \(ms(openssh)) ms, \(ms(openssh / count)) ms/command
              speed-up: \(String(format: "%.1f", openssh.seconds / haprov.seconds))x
            """)
        #expect(transport.roundTrips == count)
    }
}
