import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("Login methods")
struct AuthenticatorTests {
    let server: TestSSHD

    init() throws { server = try TestSSHD.sharedServer() }

    @Test func ed25519KeyFile() throws {
        let transport = try SSHTransportFactory().connect(try server.spec())
        defer { transport.close() }
        #expect(try transport.run("id -un").stdoutText == "root\n")
    }

    @Test func encryptedKeyWithPassphraseFromEnvironment() throws {
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-key")
        let key = directory + "/id_ed25519"
        try TestSSHD.keygen(type: "ed25519", path: key, passphrase: "sekrit words")
        try server.authorize(publicKey: key + ".pub", for: "root")
        var spec = try server.spec(keys: [key])
        spec.passphraseEnvironment = "HAPROV_TEST_PASSPHRASE"

        let transport = try SSHTransportFactory(environment: ["HAPROV_TEST_PASSPHRASE": "sekrit words"]).connect(spec)
        transport.close()

        // Without the variable and without a terminal: no prompt, a clear error instead.
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory(environment: [:]).connect(spec) }
        #expect(error?.step == .auth)
        #expect(error?.message.contains("passphrase") == true)
        #expect(error?.message.contains("HAPROV_TEST_PASSPHRASE") == true)
    }

    @Test func agent() throws {
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-agent")
        let socket = directory + "/agent.sock"
        let agent = try Spawned(["/usr/bin/ssh-agent", "-D", "-a", socket])
        defer { agent.stop() }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { usleep(10_000) }
        let added = try LocalProcess.run(["/usr/bin/ssh-add", server.clientKey], environment: ["SSH_AUTH_SOCK": socket])
        #expect(added.succeeded, "ssh-add: \(added.stderrText)")

        var spec = try server.spec(keys: [])
        spec.useAgent = true
        let transport = try SSHTransportFactory(environment: ["SSH_AUTH_SOCK": socket]).connect(spec)
        defer { transport.close() }
        #expect(try transport.run("id -un").stdoutText == "root\n")

        // An agent that is not there is reported as such.
        let error = #expect(throws: TransportError.self) {
            try SSHTransportFactory(environment: ["SSH_AUTH_SOCK": directory + "/nothing.sock"]).connect(spec)
        }
        #expect(error?.step == .auth)
        #expect(error?.message.contains("agent") == true)
    }

    @Test func password() throws {
        guard TestUser.require() else { return }
        var spec = try server.spec(user: TestUser.name, keys: [])
        spec.password = .environment("HAPROV_TEST_PASSWORD")
        let transport = try SSHTransportFactory(environment: ["HAPROV_TEST_PASSWORD": TestUser.password]).connect(spec)
        defer { transport.close() }
        #expect(try transport.run("id -un").stdoutText == "\(TestUser.name)\n")

        spec.password = .literal("wrong password")
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .auth)
        #expect(error?.message.contains("password (password refused)") == true)
    }

    @Test func missingPasswordVariableIsAnAuthError() throws {
        var spec = try server.spec(keys: [])
        spec.password = .environment("HAPROV_TEST_NO_SUCH_VARIABLE")
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory(environment: [:]).connect(spec) }
        #expect(error?.step == .auth)
        #expect(error?.fix?.contains("HAPROV_TEST_NO_SUCH_VARIABLE") == true)
    }

    @Test func wrongKeyNamesUserMethodsAndFix() throws {
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-key")
        let key = directory + "/id_ed25519"
        try TestSSHD.keygen(type: "ed25519", path: key)
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(try server.spec(keys: [key])) }
        #expect(error?.step == .auth)
        #expect(error?.host == "test-host")
        #expect(error?.message.contains("root@127.0.0.1") == true)
        #expect(error?.message.contains(key) == true)
        #expect(error?.message.contains("publickey") == true)
        #expect(error?.fix?.contains("ssh-copy-id") == true)
    }

    @Test func rsaKeyWorksOrExplainsLibssh2Limit() throws {
        let directory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-key")
        let key = directory + "/id_rsa"
        try TestSSHD.keygen(type: "rsa", path: key)
        try server.authorize(publicKey: key + ".pub", for: "root")
        do {
            let transport = try SSHTransportFactory().connect(try server.spec(keys: [key]))
            defer { transport.close() }
            #expect(try transport.run("id -un").stdoutText == "root\n")
        } catch let error as TransportError {
            #expect(error.step == .auth)
            #expect(error.message.contains("RSA"))
            #expect(error.message.contains("ed25519"))
            #expect(error.fix?.contains("ssh-keygen -t ed25519") == true)
        }
    }
}

@Suite("Keyboard-interactive (PAM) password login")
struct KeyboardInteractiveTests {
    @Test func passwordThroughPAMPrompt() throws {
        guard TestUser.require() else { return }
        let server = try TestSSHD(extraConfig: ["UsePAM yes", "PasswordAuthentication no", "KbdInteractiveAuthentication yes"])
        defer { server.stop() }
        var spec = try server.spec(user: TestUser.name, keys: [])
        spec.password = .literal(TestUser.password)
        let transport = try SSHTransportFactory().connect(spec)
        defer { transport.close() }
        #expect(try transport.run("id -un").stdoutText == "\(TestUser.name)\n")

        spec.password = .literal("wrong password")
        let error = #expect(throws: TransportError.self) { try SSHTransportFactory().connect(spec) }
        #expect(error?.step == .auth)
        #expect(error?.message.contains("keyboard-interactive (password refused)") == true)
    }
}
