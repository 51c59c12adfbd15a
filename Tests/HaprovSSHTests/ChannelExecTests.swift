import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("Exec over an SSH channel")
struct ChannelExecTests {
    let server: TestSSHD
    let transport: any Transport

    init() throws {
        server = try TestSSHD.sharedServer()
        transport = try SSHTransportFactory().connect(server.spec())
    }

    @Test func stdoutStderrAndExitStatus() throws {
        defer { transport.close() }
        let result = try transport.run("echo out; echo err >&2; exit 3")
        #expect(result.exitStatus == 3)
        #expect(result.stdoutText == "out\n")
        #expect(result.stderrText == "err\n")
    }

    @Test func stdinIsPipedAndClosed() throws {
        defer { transport.close() }
        let result = try transport.run("wc -c; cat", stdin: Data("hello\n".utf8), timeout: .seconds(10))
        #expect(result.succeeded)
        // wc consumes everything, so cat sees EOF at once: only the count is printed.
        #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "6")
    }

    @Test func noStdinMeansEndOfFileNotAHang() throws {
        defer { transport.close() }
        let result = try transport.run("cat", stdin: nil, timeout: .seconds(5))
        #expect(result.succeeded)
        #expect(result.stdout.isEmpty)
    }

    @Test func binaryRoundTripIsByteExact() throws {
        defer { transport.close() }
        var bytes = Data((0...255).map { UInt8($0) })
        var generator = SystemRandomNumberGenerator()
        bytes.append(contentsOf: (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let result = try transport.run("cat", stdin: bytes, timeout: .seconds(20))
        #expect(result.stdout == bytes)
    }

    @Test func multibyteUTF8AcrossChunkBoundaries() throws {
        defer { transport.close() }
        // 9 bytes per unit: 3-byte and 4-byte characters straddle every 32 KiB packet edge.
        let unit = "é€😀"
        let result = try transport.run("i=0; while [ $i -lt 20000 ]; do printf '%s' '\(unit)'; i=$((i+1)); done", timeout: .seconds(30))
        #expect(result.stdout.count == 20000 * unit.utf8.count)
        #expect(result.stdoutText == String(repeating: unit, count: 20000))
    }

    @Test func tenMegabytesOnBothStreamsAtOnce() throws {
        defer { transport.close() }
        let size = 10 * 1024 * 1024
        let result = try transport.run(
            "head -c \(size) /dev/zero | tr '\\0' a & head -c \(size) /dev/zero | tr '\\0' b >&2; wait",
            timeout: .seconds(40))
        #expect(result.succeeded)
        #expect(result.stdout.count == size)
        #expect(result.stderr.count == size)
        #expect(result.stdout.allSatisfy { $0 == UInt8(ascii: "a") })
        #expect(result.stderr.allSatisfy { $0 == UInt8(ascii: "b") })
    }

    @Test func commandTimeoutFiresAndSessionStaysUsable() throws {
        defer { transport.close() }
        let start = ContinuousClock.now
        let error = #expect(throws: TransportError.self) {
            try transport.run("sleep 60", timeout: .seconds(1))
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.step == .timeout)
        #expect(error?.host == "test-host")
        #expect(error?.message.contains("1 s") == true)
        // Far below the command's own 60 s, with room for a loaded CI machine.
        #expect(elapsed < .seconds(20))
        let after = try transport.run("echo still-here", timeout: .seconds(10))
        #expect(after.stdoutText == "still-here\n")
    }

    @Test func timeoutFiresWhileOutputKeepsFlowing() throws {
        defer { transport.close() }
        let start = ContinuousClock.now
        let error = #expect(throws: TransportError.self) { try transport.run("yes", timeout: .seconds(1)) }
        #expect(error?.step == .timeout)
        // `yes` never ends: returning at all proves the deadline fired; the bound leaves room for load.
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(try transport.run("echo next", timeout: .seconds(10)).stdoutText == "next\n")
    }

    @Test func killedBySignalReports128PlusN() throws {
        defer { transport.close() }
        let result = try transport.run("kill -TERM $$")
        #expect(result.exitStatus == 128 + 15)
    }

    @Test func oneSessionServesManyCommands() throws {
        defer { transport.close() }
        let before = transport.roundTrips
        var pids = Set<String>()
        for _ in 0..<5 {
            // $PPID is the sshd session process: the same one for every command on one session.
            pids.insert(try transport.run("echo $PPID").stdoutText)
        }
        #expect(transport.roundTrips == before + 5)
        #expect(pids.count == 1)
    }

    @Test func concurrentCallersAreSerialised() throws {
        defer { transport.close() }
        let shared = transport
        let results = Parallel.map(Array(0..<8)) { index in
            (try? shared.run("echo \(index)").stdoutText) ?? "failed"
        }
        #expect(results == (0..<8).map { "\($0)\n" })
    }

    @Test func useAfterCloseIsAnError() throws {
        transport.close()
        #expect(throws: TransportError.self) { try transport.run("true") }
    }
}
