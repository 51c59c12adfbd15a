import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("Host key checking against known_hosts")
struct HostKeyVerifierTests {
    let server: TestSSHD

    init() throws { server = try TestSSHD.sharedServer() }

    private func emptyKnownHosts() throws -> String {
        // A directory that does not exist yet: accept-new must create it.
        try TestSSHD.makeTemporaryDirectory(prefix: "haprov-kh") + "/new/.ssh/known_hosts"
    }

    @Test func acceptNewRecordsKeyThenRefusePolicyPasses() throws {
        let knownHosts = try emptyKnownHosts()
        var spec = try server.spec(knownHosts: knownHosts)
        spec.unknownHostKeyPolicy = .acceptNew
        try SSHTransportFactory().connect(spec).close()

        let recorded = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(recorded == server.knownHostsLine + "\n")
        let mode = try FileManager.default.attributesOfItem(atPath: knownHosts)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        spec.unknownHostKeyPolicy = .refuse
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }
        #expect(try transport.run("echo ok").stdoutText == "ok\n")
        // OpenSSH reads what haprov wrote: ssh-keygen finds the entry.
        let found = try LocalProcess.run(["/usr/bin/ssh-keygen", "-F", "[127.0.0.1]:\(server.port)", "-f", knownHosts])
        #expect(found.succeeded)
    }

    /// A host haprov follows to a new address: the key it had is required there, known_hosts
    /// learns the address; another key (another machine on that address) is refused.
    @Test func pinnedKeyFollowsTheHostAndRefusesAnotherMachine() throws {
        let first = try SSHTransportFactory().connect(try server.spec())
        let key = try #require(first.hostKey)
        first.close()
        #expect(key.hasPrefix("ssh-ed25519 "))

        let knownHosts = try emptyKnownHosts()
        var spec = try server.spec(knownHosts: knownHosts)
        spec.pinnedHostKey = key
        let followed = try SSHTransportFactory().connect(spec)
        defer { followed.close() }
        #expect(try followed.run("echo ok").stdoutText == "ok\n")
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8) == server.knownHostsLine + "\n")

        spec.pinnedHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherMachineOtherMachineOtherMachine0000"
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .hostKey)
        #expect(error?.message.contains("another machine answers at this address") == true, "\(String(describing: error))")
    }

    @Test func unknownKeyRefusedWithFingerprintAndFix() throws {
        let spec = try server.spec(knownHosts: try emptyKnownHosts())
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .hostKey)
        #expect(error?.host == "test-host")
        #expect(error?.message.contains(try server.hostKeyFingerprint()) == true)
        #expect(error?.message.contains("ssh-ed25519") == true)
        #expect(error?.fix?.contains("--accept-new-host-keys") == true)
        #expect(error?.fix?.contains("ssh-keyscan -p \(server.port) 127.0.0.1") == true)
    }

    @Test(arguments: [ConnectionSpec.UnknownHostKeyPolicy.refuse, .acceptNew])
    func changedKeyIsAlwaysRefused(policy: ConnectionSpec.UnknownHostKeyPolicy) throws {
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-kh")
        try TestSSHD.keygen(type: "ed25519", path: directory + "/other")
        let otherKey = try String(contentsOfFile: directory + "/other.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = directory + "/known_hosts"
        let original = "[127.0.0.1]:\(server.port) \(otherKey)\n"
        try original.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        var spec = try server.spec(knownHosts: knownHosts)
        spec.unknownHostKeyPolicy = policy

        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .hostKey)
        #expect(error?.message.contains("CHANGED") == true)
        #expect(error?.message.contains("man-in-the-middle") == true)
        #expect(error?.message.contains(try server.hostKeyFingerprint()) == true)
        #expect(error?.fix?.contains("ssh-keygen -R") == true)
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8) == original)
    }

    @Test func entryForAnotherPortIsNotThisHost() throws {
        // Like OpenSSH, a bare "127.0.0.1" entry describes port 22 only: not a changed key here.
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-kh")
        try TestSSHD.keygen(type: "ed25519", path: directory + "/other")
        let otherKey = try String(contentsOfFile: directory + "/other.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = directory + "/known_hosts"
        try "127.0.0.1 \(otherKey)\n[127.0.0.1]:1 \(otherKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(try server.spec(knownHosts: knownHosts)) }
        #expect(error?.step == .hostKey)
        #expect(error?.message.contains("unknown host key") == true)
    }

    @Test func hashedEntriesMatch() throws {
        let knownHosts = try server.trustingKnownHosts()
        let hashed = try LocalProcess.run(["/usr/bin/ssh-keygen", "-H", "-f", knownHosts])
        #expect(hashed.succeeded)
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).hasPrefix("|1|"))
        let transport = try SSHTransportFactory().connect(try server.spec(knownHosts: knownHosts))
        transport.close()
    }

    @Test func laterFileMatchesAndUnparsableLinesAreSkipped() throws {
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-kh")
        let first = directory + "/first"
        let second = directory + "/second"
        try "# comment\nsomething that is not a key line\n".write(toFile: first, atomically: true, encoding: .utf8)
        try "garbage\n\(server.knownHostsLine)\n".write(toFile: second, atomically: true, encoding: .utf8)
        var spec = try server.spec()
        spec.knownHostsFiles = [first, directory + "/missing", second]
        let transport = try SSHTransportFactory().connect(spec)
        transport.close()
    }
}
