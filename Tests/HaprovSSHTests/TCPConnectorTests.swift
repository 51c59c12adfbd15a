import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("TCP connect and SSH handshake")
struct TCPConnectorTests {
    @Test func closedPortIsAConnectError() throws {
        let port = try TestSSHD.freePort()
        let spec = ConnectionSpec(name: "closed", address: "127.0.0.1", port: port, knownHostsFiles: [], connectTimeout: .seconds(2))
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .connect)
        #expect(error?.host == "closed")
        #expect(error?.message.contains("refused") == true)
        #expect(error?.fix?.contains("port \(port)") == true)
    }

    @Test func unresolvableNameIsAConnectError() throws {
        // .invalid never resolves (RFC 6761), so no packet leaves the machine.
        let spec = ConnectionSpec(name: "nowhere", address: "haprov-test.invalid", port: 22, knownHostsFiles: [], connectTimeout: .seconds(2))
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .connect)
        #expect(error?.message.contains("haprov-test.invalid") == true)
    }

    @Test func silentServerTimesOutDuringHandshake() throws {
        // A listener that accepts (via the kernel backlog) but never speaks SSH.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(ok)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let spec = ConnectionSpec(name: "silent", address: "127.0.0.1", port: port, knownHostsFiles: [], connectTimeout: .milliseconds(800))
        let start = ContinuousClock.now
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .handshake)
        #expect(error?.message.contains("did not finish") == true)
        #expect(ContinuousClock.now - start < .seconds(3))
    }
}

@Suite("IPv6")
struct IPv6Tests {
    @Test func connectsOverIPv6Loopback() throws {
        guard TestSSHD.canBindIPv6Loopback() else {
            print("haprov test skipped: ::1 is not available")
            return
        }
        let server = try TestSSHD(extraConfig: ["ListenAddress ::1"])
        defer { server.stop() }
        let knownHosts = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-kh") + "/known_hosts"
        let spec = ConnectionSpec(name: "v6", address: "::1", port: server.port, privateKeyFiles: [server.clientKey],
                                  knownHostsFiles: [knownHosts], unknownHostKeyPolicy: .acceptNew, connectTimeout: .seconds(5))
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }
        // SSH_CONNECTION names the client address as the server saw it.
        #expect(try transport.run("echo $SSH_CONNECTION").stdoutText.hasPrefix("::1 "))
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).hasPrefix("[::1]:\(server.port) ssh-ed25519 "))
    }
}
