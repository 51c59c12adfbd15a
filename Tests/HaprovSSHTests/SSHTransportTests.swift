import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("SSH transport factory and become")
struct SSHTransportTests {
    let server: TestSSHD

    init() throws { server = try TestSSHD.sharedServer() }

    @Test func noBecomeWhenUsersMatch() throws {
        var spec = try server.spec()
        spec.become = true
        spec.becomeUser = "root"
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }
        #expect(transport is SSHTransport)
    }

    @Test func becomeRootThroughSudo() throws {
        guard TestUser.require(), try Self.sudoReady() else { return }
        var spec = try server.spec(user: TestUser.name)
        spec.become = true
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }
        #expect(transport is BecomeTransport)
        #expect(try transport.run("id -un").stdoutText == "root\n")
        // Files land owned by root with the requested mode, via the login user's staging copy.
        let path = "/root/haprov-become-\(UUID().uuidString.prefix(8))"
        try transport.upload(Data("as root\n".utf8), to: path, mode: 0o600)
        #expect(try transport.run("stat -c '%U %a' \(path); rm -f \(path)").stdoutText == "root 600\n")
    }

    @Test func becomeWithoutSudoRightsIsABecomeError() throws {
        guard TestUser.require(), try Self.sudoReady() else { return }
        var spec = try server.spec(user: TestUser.name)
        spec.become = true
        spec.becomeUser = "nobody"
        spec.becomePassword = .literal("not-the-password")
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }
        // NOPASSWD is only for root; as "nobody" sudo wants a password and gets a wrong one.
        let error = #expect(throws: TransportError.self) { try transport.run("id -un", timeout: .seconds(20)) }
        #expect(error?.step == .become)
    }

    /// Installs sudo if needed (root only) and gives the test user NOPASSWD rights to root.
    static func sudoReady() throws -> Bool {
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/sudo") {
            guard getuid() == 0 else {
                if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("sudo is not installed and tests are not root") }
                return false
            }
            let install = try LocalProcess.run(["/usr/bin/apt-get", "install", "-y", "-qq", "sudo"],
                                               environment: ["DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
            guard install.succeeded else {
                Issue.record("cannot install sudo: \(install.stderrText)")
                return false
            }
        }
        let rule = "\(TestUser.name) ALL=(root) NOPASSWD: ALL\n"
        try rule.write(toFile: "/etc/sudoers.d/haprovtest", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o440], ofItemAtPath: "/etc/sudoers.d/haprovtest")
        return true
    }
}

@Suite("Lost connections")
struct SSHTransportReconnectTests {
    @Test func lostSessionIsReportedThenReopened() throws {
        let server = try TestSSHD.sharedServer()
        let transport = try SSHTransportFactory().connect(try server.spec())
        defer { transport.close() }
        // $PPID is this connection's sshd session process, which the test's own sshd started.
        let sessionPid = try transport.run("echo $PPID").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(Int32(sessionPid) != nil)
        try #require(kill(try #require(Int32(sessionPid)), SIGKILL) == 0)

        let error = #expect(throws: TransportError.self) { try transport.run("true", timeout: .seconds(5)) }
        #expect(error?.message.contains("connection was lost") == true)
        #expect(error?.host == "test-host")
        let after = try transport.run("echo $PPID", timeout: .seconds(5)).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!after.isEmpty)
        #expect(after != sessionPid)
    }
}
