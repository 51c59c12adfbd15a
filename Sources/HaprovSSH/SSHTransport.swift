import Foundation
import HaprovCore

/// Opens SSH transports over libssh2, as the become user when the spec asks (see `Become`).
public struct SSHTransportFactory: TransportFactory {
    /// Where passphrases, passwords and SSH_AUTH_SOCK are looked up (injected so tests and
    /// parallel callers need not change the process environment).
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Connects, checks the host key and logs in; the returned transport keeps the session open.
    public func connect(_ spec: ConnectionSpec) throws -> any Transport {
        let transport = try SSHTransport(spec: spec, environment: environment)
        do { return try Become.transport(transport, spec: spec, environment: environment) } catch {
            transport.close()
            throw error
        }
    }
}

/// One SSH connection to one host, reused for every command and transfer.
///
/// Calls are serialised by a lock, so a transport can be shared between threads. If a
/// session breaks (e.g. a timed-out command whose channel the server never closed), the
/// next call opens a new one.
public final class SSHTransport: Transport, @unchecked Sendable {
    public let hostName: String
    private var spec: ConnectionSpec
    private let environment: [String: String]
    private let lock = NSLock()
    private let counterLock = NSLock()
    private var connection: SSHConnection?
    private var closed = false
    private var count = 0

    /// Connects now, so connection problems surface before any task runs.
    public init(spec: ConnectionSpec, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        hostName = spec.name
        self.spec = spec
        self.environment = environment
        let first = try SSHConnection.open(spec, environment: environment)
        connection = first
        // A session opened again later (after a broken one) must reach the same machine.
        self.spec.pinnedHostKey = first.hostKey
    }

    deinit { connection?.close() }

    public var roundTrips: Int { counterLock.withLock { count } }

    public var hostKey: String? { lock.withLock { spec.pinnedHostKey } }

    public func run(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult {
        try withSession { try $0.exec(command, stdin: stdin, timeout: timeout) }
    }

    public func upload(_ data: Data, to path: String, mode: Int) throws {
        try withSession { try $0.sftp().upload(data, to: path, mode: mode) }
    }

    public func download(_ path: String) throws -> Data {
        try withSession { try $0.sftp().download(path) }
    }

    public func close() {
        lock.withLock {
            closed = true
            connection?.close()
            connection = nil
        }
    }

    private func withSession<R>(_ body: (SSHSession) throws -> R) throws -> R {
        try lock.withLock {
            guard !closed else {
                throw TransportError(host: hostName, step: .exec, message: "the connection was closed", fix: "this is a bug in haprov: a transport was used after close()")
            }
            let current: SSHConnection
            if let connection, !connection.session.isBroken {
                current = connection
            } else {
                connection?.close()
                connection = nil
                current = try SSHConnection.open(spec, environment: environment)
                connection = current
            }
            counterLock.withLock { count += 1 }
            return try body(current.session)
        }
    }
}

/// A logged-in session plus the tunnel it may run through.
final class SSHConnection {
    let session: SSHSession
    /// The host key the server presented ("algorithm base64").
    let hostKey: String
    private let tunnel: JumpTunnel?
    private let bastion: SSHConnection?

    private init(session: SSHSession, hostKey: String, tunnel: JumpTunnel?, bastion: SSHConnection?) {
        self.session = session
        self.hostKey = hostKey
        self.tunnel = tunnel
        self.bastion = bastion
    }

    static func open(_ spec: ConnectionSpec, environment: [String: String]) throws -> SSHConnection {
        var tunnel: JumpTunnel?
        var bastionConnection: SSHConnection?
        let socket: Int32
        if let jump = spec.jump {
            do {
                bastionConnection = try open(jump.spec, environment: environment)
            } catch let error as TransportError {
                throw TransportError(host: spec.name, step: .jump,
                                     message: "cannot log in to bastion \(jump.spec.name) (\(error.step.rawValue)): \(error.message)",
                                     fix: error.fix)
            }
            guard let bastion = bastionConnection else {
                throw TransportError(host: spec.name, step: .jump, message: "no session to bastion \(jump.spec.name)", fix: "check the jump host settings in the inventory")
            }
            let opened = try JumpTunnel(bastion: bastion.session, address: spec.address, port: spec.port, target: spec.name, timeout: spec.connectTimeout)
            tunnel = opened
            socket = opened.socket
        } else {
            socket = try TCPConnector.connect(host: spec.name, address: spec.address, port: spec.port, timeout: spec.connectTimeout)
        }
        let session = try SSHSession(host: spec.name, socket: socket)
        let hostKey: String
        do {
            try session.handshake(deadline: Deadline(spec.connectTimeout))
            hostKey = try HostKeyVerifier(spec: spec).verify(session)
            try Authenticator(spec: spec, environment: environment).authenticate(session)
        } catch {
            session.disconnect()
            tunnel?.close()
            throw error
        }
        return SSHConnection(session: session, hostKey: hostKey, tunnel: tunnel, bastion: bastionConnection)
    }

    func close() {
        session.disconnect()
        tunnel?.close()
    }
}
