internal import CLibSSH2
import Foundation
import HaprovCore
#if canImport(Glibc)
import Glibc
#endif

/// Logs in with whatever the spec allows, in OpenSSH's order: agent, key files, password.
/// It never prompts unless stdin is a terminal, so runs in CI fail fast instead of hanging.
struct Authenticator {
    let spec: ConnectionSpec
    let environment: [String: String]

    private var user: String { spec.user }

    func authenticate(_ session: SSHSession) throws {
        let offered = try methods(session)
        guard let offered else { return }  // "none" was accepted
        var tried: [String] = []
        var notes: [String] = []

        if spec.useAgent {
            if offered.contains("publickey") {
                if try agent(session, tried: &tried) { return }
            } else {
                tried.append("agent (skipped: server does not offer publickey)")
            }
        }
        for path in spec.privateKeyFiles.map(expandTilde) {
            guard offered.contains("publickey") else {
                tried.append("key \(path) (skipped: server does not offer publickey)")
                break
            }
            if try keyFile(path, session, tried: &tried, notes: &notes) { return }
        }
        if let secret = spec.password {
            // PAM-only servers (PasswordAuthentication no) ask for the password through
            // keyboard-interactive instead.
            let methods = ["password", "keyboard-interactive"].filter(offered.contains)
            if methods.isEmpty { tried.append("password (skipped: server offers neither password nor keyboard-interactive)") }
            for method in methods where try password(secret, method: method, session, tried: &tried) { return }
        }

        if tried.isEmpty { tried.append("nothing: no agent, key file or password is configured") }
        var message = "\(user)@\(spec.address) could not log in. Server offers: \(offered.joined(separator: ",")). Tried: \(tried.joined(separator: "; "))."
        if !notes.isEmpty { message += " " + notes.joined(separator: " ") }
        let fix: String
        if notes.contains(where: { $0.contains("ed25519") }) {
            fix = "create an ed25519 key (ssh-keygen -t ed25519), authorise it on \(spec.name) (ssh-copy-id -i KEY.pub -p \(spec.port) \(user)@\(spec.address)) and point ansible_ssh_private_key_file at it"
        } else {
            fix = "authorise your public key for \(user) on \(spec.name) (ssh-copy-id -i KEY.pub -p \(spec.port) \(user)@\(spec.address)), or set ansible_ssh_private_key_file / ansible_password / use an ssh-agent"
        }
        throw TransportError(host: spec.name, step: .auth, message: message, fix: fix)
    }

    /// The methods the server offers for this user, or nil when it accepted "none".
    private func methods(_ session: SSHSession) throws -> [String]? {
        let deadline = Deadline(spec.connectTimeout)
        let count = UInt32(user.utf8.count)
        while true {
            if let list = libssh2_userauth_list(session.raw, user, count) {
                return String(cString: list).split(separator: ",").map(String.init)
            }
            if libssh2_userauth_authenticated(session.raw) != 0 { return nil }
            let code = libssh2_session_last_errno(session.raw)
            guard code == LibSSH2.eagain else {
                throw session.failure(.auth, "asking which login methods \(user) may use", code: code,
                                      fix: "check that sshd on \(spec.name) accepts logins for \(user)")
            }
            try session.waitSocket(.auth, "asking for login methods", deadline: deadline)
        }
    }

    private func agent(_ session: SSHSession, tried: inout [String]) throws -> Bool {
        guard let agent = libssh2_agent_init(session.raw) else {
            tried.append("agent (libssh2 could not allocate it)")
            return false
        }
        defer {
            libssh2_agent_disconnect(agent)
            libssh2_agent_free(agent)
        }
        let socketPath = environment["SSH_AUTH_SOCK"]
        if let socketPath { libssh2_agent_set_identity_path(agent, socketPath) }
        guard libssh2_agent_connect(agent) == 0 else {
            tried.append("agent (cannot connect to \(socketPath ?? "SSH_AUTH_SOCK, which is not set"))")
            return false
        }
        guard libssh2_agent_list_identities(agent) == 0 else {
            tried.append("agent (cannot list its keys)")
            return false
        }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        var refused: [String] = []
        while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
            previous = current
            let comment = current.pointee.comment.map { String(cString: $0) } ?? "key"
            let rc = try session.attempt(.auth, "agent login", deadline: Deadline(spec.connectTimeout)) {
                libssh2_agent_userauth(agent, user, current)
            }
            if rc == 0 { return true }
            refused.append(comment)
        }
        tried.append(refused.isEmpty ? "agent (it holds no keys)" : "agent (refused: \(refused.joined(separator: ", ")))")
        return false
    }

    private func keyFile(_ path: String, _ session: SSHSession, tried: inout [String], notes: inout [String]) throws -> Bool {
        guard let key = PrivateKeyFile(path: path) else {
            tried.append("key \(path) (cannot read it)")
            return false
        }
        var passphrase = ""
        if key.encrypted {
            if let name = spec.passphraseEnvironment, let value = environment[name] {
                passphrase = value
            } else if isatty(STDIN_FILENO) == 1, let typed = getpass("Passphrase for \(path): ") {
                passphrase = String(cString: typed)
            } else {
                tried.append("key \(path) (skipped: it needs a passphrase and stdin is not a terminal)")
                notes.append("Set the passphrase in an environment variable named by haprov_key_passphrase_env\(spec.passphraseEnvironment.map { " (\($0) is not set)" } ?? "").")
                return false
            }
        }
        let rc = try session.attempt(.auth, "key login", deadline: Deadline(spec.connectTimeout)) {
            libssh2_userauth_publickey_fromfile_ex(session.raw, user, UInt32(user.utf8.count), nil, path, passphrase)
        }
        if rc == 0 { return true }
        if rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT {
            throw session.failure(.auth, "key login", code: rc, fix: "check the network path to \(spec.name)")
        }
        let reason = rc == LIBSSH2_ERROR_FILE ? "cannot load it: \(session.lastError().text)" : "refused"
        tried.append("\(key.algorithm.name) key \(path) (\(reason))")
        if key.algorithm == .rsa {
            notes.append("\(path) is an RSA key: libssh2 \(LibSSH2.version) can only sign with ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default; use an ed25519 key instead (ssh-keygen -t ed25519).")
        }
        return false
    }

    private func password(_ secret: ConnectionSpec.Secret, method: String, _ session: SSHSession, tried: inout [String]) throws -> Bool {
        let value: String
        do {
            value = try secret.resolve(environment: environment)
        } catch let error as SecretError {
            throw TransportError(host: spec.name, step: .auth, message: "cannot read the password for \(user): \(error.message)", fix: error.fix)
        }
        let rc: Int32
        if method == "password" {
            let bytes = Array(value.utf8)
            rc = try session.attempt(.auth, "password login", deadline: Deadline(spec.connectTimeout)) {
                bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) {
                        libssh2_userauth_password_ex(session.raw, user, UInt32(user.utf8.count), $0.baseAddress, UInt32($0.count), nil)
                    }
                }
            }
        } else {
            rc = try keyboardInteractive(value, session)
        }
        if rc == 0 { return true }
        tried.append(rc == LIBSSH2_ERROR_PASSWORD_EXPIRED ? "\(method) (password expired)" : "\(method) (password refused)")
        return false
    }

    /// Answers every keyboard-interactive prompt with the password. libssh2 hands the
    /// callback only the session's abstract pointer, so the password travels through it.
    private func keyboardInteractive(_ value: String, _ session: SSHSession) throws -> Int32 {
        let answer = KeyboardInteractiveAnswer(value)
        guard let abstract = libssh2_session_abstract(session.raw) else { return -1 }
        let previous = abstract.pointee
        abstract.pointee = Unmanaged.passUnretained(answer).toOpaque()
        defer { abstract.pointee = previous }
        return try withExtendedLifetime(answer) {
            try session.attempt(.auth, "keyboard-interactive login", deadline: Deadline(spec.connectTimeout)) {
                libssh2_userauth_keyboard_interactive_ex(session.raw, user, UInt32(user.utf8.count), keyboardInteractiveCallback)
            }
        }
    }
}

/// The password a keyboard-interactive callback answers with.
private final class KeyboardInteractiveAnswer {
    let text: String
    init(_ text: String) { self.text = text }
}

/// libssh2 frees each response with free(), so answers are strdup'd.
private let keyboardInteractiveCallback: @convention(c) (
    UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32, Int32,
    UnsafePointer<LIBSSH2_USERAUTH_KBDINT_PROMPT>?, UnsafeMutablePointer<LIBSSH2_USERAUTH_KBDINT_RESPONSE>?,
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Void = { _, _, _, _, count, _, responses, abstract in
    guard let responses, let raw = abstract?.pointee, count > 0 else { return }
    let answer = Unmanaged<KeyboardInteractiveAnswer>.fromOpaque(raw).takeUnretainedValue()
    for index in 0..<Int(count) {
        guard let copy = strdup(answer.text) else { continue }
        responses[index].text = copy
        responses[index].length = UInt32(strlen(copy))
    }
}
