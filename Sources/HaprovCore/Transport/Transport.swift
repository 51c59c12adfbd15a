import Foundation

/// What a remote command produced: exit status and both streams, byte-exact.
public struct CommandResult: Sendable, Equatable {
    public var exitStatus: Int32
    public var stdout: Data
    public var stderr: Data

    public init(exitStatus: Int32, stdout: Data = Data(), stderr: Data = Data()) {
        self.exitStatus = exitStatus
        self.stdout = stdout
        self.stderr = stderr
    }

    /// stdout decoded as UTF-8 once the whole stream is in (never chunk by chunk).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var succeeded: Bool { exitStatus == 0 }
}

/// The step of a connection or an operation where something failed; errors name it.
public enum TransportStep: String, Sendable, Codable {
    case connect, handshake
    case hostKey = "host key"
    case auth, exec, sftp, become, timeout, jump
}

/// A failure talking to one host: which host, at which step, what happened and how to fix it.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var step: TransportStep
    public var message: String
    public var fix: String?

    public init(host: String, step: TransportStep, message: String, fix: String? = nil) {
        self.host = host
        self.step = step
        self.message = message
        self.fix = fix
    }

    public var description: String {
        var text = "\(host): \(step.rawValue): \(message)"
        if let fix { text += "\n  fix: \(fix)" }
        return text
    }
}

/// One open connection to one host. Implementations serialise calls: a session is never
/// used by two threads at once, so callers may share a transport between tasks safely.
///
/// All methods block; run hosts in parallel with `Parallel.map`, not on the cooperative pool.
public protocol Transport: AnyObject, Sendable {
    /// The inventory name of the host (used in every error and report).
    var hostName: String { get }

    /// Runs `command` through the remote user's shell. A non-zero exit is a result, not an error;
    /// errors are for transport failures and for `timeout` running out.
    func run(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult

    /// Writes `data` to `path` with `mode` (e.g. 0o644), replacing what is there.
    func upload(_ data: Data, to path: String, mode: Int) throws

    /// Reads the whole file at `path`.
    func download(_ path: String) throws -> Data

    /// Number of command or file round trips made so far (for benchmarks and tests).
    var roundTrips: Int { get }

    /// Closes the connection; later calls fail.
    func close()

    /// The host key the host presented ("algorithm base64"); nil where there is none (local).
    var hostKey: String? { get }
}

extension Transport {
    public var hostKey: String? { nil }

    public func run(_ command: String) throws -> CommandResult {
        try run(command, stdin: nil, timeout: nil)
    }

    public func run(_ command: String, timeout: Duration?) throws -> CommandResult {
        try run(command, stdin: nil, timeout: timeout)
    }
}

/// Opens transports. The SSH implementation lives in HaprovSSH; tests use `LocalTransport`.
public protocol TransportFactory: Sendable {
    func connect(_ spec: ConnectionSpec) throws -> any Transport
}
