import Foundation
import HaprovCore
import HaprovSSH
import Testing

/// Per-command cost on an open session vs one OpenSSH process per command. Prints figures;
/// runs only with HAPROV_BENCH=1 (see Scripts/bench-ssh).
@Suite("Benchmark", .enabled(if: ProcessInfo.processInfo.environment["HAPROV_BENCH"] == "1"))
struct BenchmarkTests {
    /// Measured for the test user (login shell /bin/sh) and for root, whose shell is bash:
    /// sshd runs commands through the login shell, and bash reads ~/.bashrc even for
    /// `ssh host cmd`, so a heavy .bashrc shows up in every command's cost.
    @Test func sequentialTrueCommands() throws {
        let count = Int(ProcessInfo.processInfo.environment["HAPROV_BENCH_COUNT"] ?? "") ?? 100
        let server = try TestSSHD.sharedServer()
        let users = (TestUser.unavailableReason == nil ? [TestUser.name] : []) + ["root"]
        print("haprov bench-ssh: \(count) sequential `true` commands on loopback")
        for user in users {
            let spec = try server.spec(name: "bench", user: user)
            let shell = (try? LocalProcess.run(["/usr/bin/getent", "passwd", user]).stdoutText.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }) ?? nil

            let connectStart = ContinuousClock.now
            let transport = try SSHTransportFactory().connect(spec)
            let connectTime = ContinuousClock.now - connectStart
            defer { transport.close() }
            let haprovStart = ContinuousClock.now
            for _ in 0..<count { #expect(try transport.run("true").succeeded) }
            let haprov = ContinuousClock.now - haprovStart
            #expect(transport.roundTrips == count)

            let sshArguments = [
                "/usr/bin/ssh", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=\(spec.knownHostsFiles[0])",
                "-o", "StrictHostKeyChecking=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
                "-i", server.clientKey, "-p", String(server.port), "\(user)@127.0.0.1", "true",
            ]
            let opensshStart = ContinuousClock.now
            for _ in 0..<count { #expect(try LocalProcess.run(sshArguments).succeeded) }
            let openssh = ContinuousClock.now - opensshStart

            func ms(_ duration: Duration) -> String { String(format: "%.2f", duration.seconds * 1000) }
            print("""
                user \(user) (login shell \(shell ?? "?")):
                  haprov, one libssh2 session (connect \(ms(connectTime)) ms): total \(ms(haprov)) ms, \(ms(haprov / count)) ms/command
                  OpenSSH, one ssh process per command: total \(ms(openssh)) ms, \(ms(openssh / count)) ms/command
                  speed-up: \(String(format: "%.1f", openssh.seconds / haprov.seconds))x
                """)
        }
        print("haprov bench-ssh: done")
    }
}
