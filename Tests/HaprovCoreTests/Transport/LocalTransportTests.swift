import Foundation
import Testing
@testable import HaprovCore

/// The transport of unit tests and `ansible_connection: local`: what every transport promises.
@Suite struct LocalTransportTests {
    @Test func runKeepsExitStatusStdoutStderrAndStdin() throws {
        let transport = LocalTransport()
        let result = try transport.run("cat; echo to-stderr >&2; exit 3", stdin: Data("bytes in\n".utf8), timeout: .seconds(10))
        #expect(result.exitStatus == 3 && !result.succeeded)
        #expect(result.stdoutText == "bytes in\n" && result.stderrText == "to-stderr\n")
        #expect(transport.roundTrips == 1)
    }

    @Test func uploadAndDownloadWithTheMode() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let transport = LocalTransport()
        try transport.upload(Data("secret\n".utf8), to: root + "/f", mode: 0o600)
        #expect(try transport.download(root + "/f") == Data("secret\n".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/f")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: TransportError.self) { try transport.download(root + "/absent") }
    }

    @Test func aClosedTransportRefusesCommands() throws {
        let transport = LocalTransport(hostName: "h1")
        transport.close()
        let error = #expect(throws: TransportError.self) { try transport.run("true", stdin: nil, timeout: nil) }
        #expect(error?.description.contains("connection closed") == true)
    }
}
