import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("Jump host (direct-tcpip through a bastion)")
struct JumpTunnelTests {
    @Test func commandsAndFilesThroughBastion() throws {
        let target = try TestSSHD.sharedServer()
        // The bastion may only forward to the target: proof the tunnel really goes through it.
        let bastion = try TestSSHD(extraConfig: ["PermitOpen 127.0.0.1:\(target.port)"])
        defer { bastion.stop() }

        var spec = try target.spec(name: "behind-bastion")
        spec.jump = JumpHost(try bastion.spec(name: "bastion"))
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }

        let result = try transport.run("echo through; echo err >&2; exit 4")
        #expect(result.exitStatus == 4)
        #expect(result.stdoutText == "through\n")
        #expect(result.stderrText == "err\n")

        // Bulk data both ways through the pump.
        var generator = SystemRandomNumberGenerator()
        let payload = Data((0..<2_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(try transport.run("cat", stdin: payload, timeout: .seconds(30)).stdout == payload)
        let path = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-jump") + "/file"
        try transport.upload(payload, to: path, mode: 0o600)
        #expect(try transport.download(path) == payload)
        #expect(bastion.log.contains("direct-tcpip") || bastion.log.contains("Accepted publickey"))
    }

    @Test func bastionRefusingTheTunnelIsAJumpError() throws {
        let target = try TestSSHD.sharedServer()
        let bastion = try TestSSHD(extraConfig: ["PermitOpen 127.0.0.1:1"])
        defer { bastion.stop() }
        var spec = try target.spec(name: "behind-bastion")
        spec.jump = JumpHost(try bastion.spec(name: "bastion"))
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .jump)
        #expect(error?.host == "behind-bastion")
        #expect(error?.message.contains("bastion") == true)
        #expect(error?.fix?.contains("PermitOpen") == true)
    }

    @Test func bastionLoginFailureNamesTheBastion() throws {
        let target = try TestSSHD.sharedServer()
        var bastionSpec = try target.spec(name: "bastion")
        bastionSpec.knownHostsFiles = [try TestSSHD.makeTemporaryDirectory(prefix: "haprov-kh") + "/empty"]
        var spec = try target.spec(name: "behind-bastion")
        spec.jump = JumpHost(bastionSpec)
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .jump)
        #expect(error?.message.contains("bastion bastion (host key)") == true)
    }
}
