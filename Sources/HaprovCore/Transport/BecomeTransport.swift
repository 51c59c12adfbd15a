import Foundation

/// Runs everything as another user through sudo, over any transport (Ansible's `become`).
///
/// The password, when there is one, goes to sudo's stdin ahead of the command's own input,
/// never onto a command line. Without one, `sudo -n` fails fast instead of hanging on a prompt.
public final class BecomeTransport: Transport, @unchecked Sendable {
    public var hostKey: String? { inner.hostKey }
    public let inner: any Transport
    public let user: String
    private let password: String?

    public init(_ inner: any Transport, user: String = "root", password: String? = nil) {
        self.inner = inner
        self.user = user
        self.password = password
    }

    public var hostName: String { inner.hostName }
    public var roundTrips: Int { inner.roundTrips }
    public func close() { inner.close() }

    /// The command line that runs `command` as `user`.
    public func wrap(_ command: String) -> String {
        let sudo = password == nil ? "sudo -n" : "sudo -S -p ''"
        // sudo clears the environment: the SSH peer's address (haprov as the host sees it) is
        // handed over as HAPROV_SSH_CONNECTION for the facts that keep the route back to haprov.
        return "\(sudo) -H -u \(Shell.quote(user)) -- env \"HAPROV_SSH_CONNECTION=$SSH_CONNECTION\" /bin/sh -c \(Shell.quote(command))"
    }

    public func run(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult {
        var input: Data? = stdin
        if let password {
            input = Data((password + "\n").utf8) + (stdin ?? Data())
        }
        let result = try inner.run(wrap(command), stdin: input, timeout: timeout)
        let err = result.stderrText
        if result.exitStatus == 1, err.contains("sudo:"),
           err.contains("password is required") || err.contains("incorrect password") || err.contains("not in the sudoers") {
            throw TransportError(
                host: hostName, step: .become,
                message: "sudo refused to run as \(user): \(err.trimmingCharacters(in: .whitespacesAndNewlines))",
                fix: "set ansible_become_password (or HAPROV_BECOME_PASSWORD) or give the login user NOPASSWD sudo")
        }
        return result
    }

    public func upload(_ data: Data, to path: String, mode: Int) throws {
        // Land the bytes as the login user, then move them into place as the target user.
        let staging = "/tmp/.haprov-upload-\(UUID().uuidString)"
        try inner.upload(data, to: staging, mode: 0o600)
        let octal = String(mode, radix: 8)
        let result = try run("install -m \(octal) \(Shell.quote(staging)) \(Shell.quote(path)); status=$?; rm -f \(Shell.quote(staging)); exit $status", stdin: nil, timeout: nil)
        guard result.succeeded else {
            throw TransportError(host: hostName, step: .sftp, message: "cannot install \(path) as \(user): \(result.stderrText)")
        }
    }

    public func download(_ path: String) throws -> Data {
        let result = try run("cat \(Shell.quote(path))", stdin: nil, timeout: nil)
        guard result.succeeded else {
            throw TransportError(host: hostName, step: .sftp, message: "cannot read \(path) as \(user): \(result.stderrText)")
        }
        return result.stdout
    }
}
