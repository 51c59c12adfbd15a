internal import CLibSSH2
import Foundation
import HaprovCore
#if canImport(Glibc)
import Glibc
#endif

/// One libssh2 session over one socket, always in non-blocking mode: every call that says
/// EAGAIN is retried after poll() on the socket, so every wait has a deadline we control.
///
/// Not thread-safe on its own; `SSHTransport` holds a lock around every use.
final class SSHSession {
    /// Inventory name, for errors.
    let host: String
    let raw: OpaquePointer
    let socket: Int32
    /// Set when the session can no longer be trusted (e.g. a command timed out and its channel
    /// could not be closed); the transport then reconnects before the next call.
    var isBroken = false
    private var sftpClient: SFTPClient?
    /// Channels of timed-out commands, waiting for the server's close (see `abandon`).
    var abandonedChannels: [OpaquePointer] = []
    private var freed = false
    /// When the server last sent anything. The session asks for a keepalive reply every
    /// `keepaliveSeconds` while it waits, so a live server is never silent much longer; one
    /// silent for `silenceLimit` is gone (a cable pulled, a host powered off) and the wait ends
    /// there instead of at the command's own deadline, which can be half an hour.
    var lastInbound = Date()
    /// When a wait last ended: a session idle between operations is not a silent server.
    private var lastWait = Date.distantPast
    /// Keepalives only once logged in: a global request in the middle of the key exchange breaks it.
    var keepaliveActive = false
    static let keepaliveSeconds: Int32 = 5
    static let silenceLimit: TimeInterval = 20

    init(host: String, socket: Int32) throws {
        try LibSSH2.ensureInitialized(host: host)
        guard let raw = libssh2_session_init_ex(nil, nil, nil, nil) else {
            Glibc.close(socket)
            throw TransportError(host: host, step: .handshake, message: "libssh2 could not allocate a session", fix: "check free memory")
        }
        self.host = host
        self.raw = raw
        self.socket = socket
        libssh2_session_set_blocking(raw, 0)
    }

    /// Starts keepalives (after login).
    func startKeepalive() {
        guard !keepaliveActive else { return }
        libssh2_keepalive_config(raw, 1, UInt32(Self.keepaliveSeconds))
        keepaliveActive = true
        lastInbound = Date()
    }

    deinit { disconnect() }

    /// Exchanges banners and keys with the server.
    func handshake(deadline: Deadline) throws {
        try check(.handshake, "SSH handshake", deadline: deadline,
                  fix: "check that port speaks SSH (not another service) and that the server offers algorithms libssh2 \(LibSSH2.version) supports") {
            libssh2_session_handshake(raw, socket)
        }
    }

    /// Says goodbye to the server and releases the session and its socket. Safe to call twice.
    func disconnect() {
        guard !freed else { return }
        freed = true
        if let sftpClient { sftpClient.shutdown(); self.sftpClient = nil }
        if !isBroken {
            let grace = Deadline(.seconds(1))
            _ = try? attempt(.exec, "disconnect", deadline: grace) {
                libssh2_session_disconnect_ex(raw, SSH_DISCONNECT_BY_APPLICATION, "haprov done", "")
            }
        }
        // session_free may need a round trip in non-blocking mode; bounded by a short timeout.
        libssh2_session_set_blocking(raw, 1)
        libssh2_session_set_timeout(raw, 1000)
        libssh2_session_free(raw)
        Glibc.close(socket)
    }

    /// The SFTP subsystem, opened on first use and kept for the session's lifetime.
    func sftp() throws -> SFTPClient {
        if let sftpClient { return sftpClient }
        let client = try SFTPClient(session: self)
        sftpClient = client
        return client
    }

    // MARK: - Return codes

    /// libssh2's own description of the last error.
    func lastError() -> (code: Int32, text: String) {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(raw, &message, &length, 0)
        guard let message, length > 0 else { return (code, "libssh2 error \(code)") }
        let bytes = UnsafeRawBufferPointer(start: message, count: Int(length))
        return (code, String(decoding: bytes, as: UTF8.self))
    }

    func failure(_ step: TransportStep, _ what: String, code: Int32, fix: String?) -> TransportError {
        let text = lastError().text
        let detail = text.isEmpty ? "libssh2 error \(code)" : "\(text) (libssh2 error \(code))"
        if Self.isSocketError(code) {
            isBroken = true
            return TransportError(host: host, step: step, message: "\(what) failed: the connection was lost: \(detail)",
                                  fix: "check that \(host) and sshd are still up; haprov reconnects on the next command")
        }
        return TransportError(host: host, step: step, message: "\(what) failed: \(detail)",
                              fix: fix ?? "check the sshd log on \(host) (journalctl -u ssh) for why it refused")
    }

    /// Runs `body` until it stops returning EAGAIN and returns its final code, whatever it is.
    /// Only running out of time throws.
    @discardableResult
    func attempt<Code: BinaryInteger>(
        _ step: TransportStep, _ what: String, deadline: Deadline?, _ body: () -> Code
    ) throws -> Code {
        while true {
            let rc = body()
            if rc != Code(LibSSH2.eagain) { return rc }
            try waitSocket(step, what, deadline: deadline)
        }
    }

    /// Like `attempt`, but a negative code is an error: the one place return codes are checked.
    @discardableResult
    func check<Code: BinaryInteger>(
        _ step: TransportStep, _ what: String, deadline: Deadline?, fix: String?, _ body: () -> Code
    ) throws -> Code {
        let rc = try attempt(step, what, deadline: deadline, body)
        if rc < 0 { throw failure(step, what, code: Int32(truncatingIfNeeded: rc), fix: fix) }
        return rc
    }

    /// For libssh2 calls that return a pointer, and NULL with last_errno EAGAIN meaning "again".
    func checkPointer<T>(
        _ step: TransportStep, _ what: String, deadline: Deadline?, fix: String?, _ body: () -> T?
    ) throws -> T {
        while true {
            if let value = body() { return value }
            let code = libssh2_session_last_errno(raw)
            guard code == LibSSH2.eagain else { throw failure(step, what, code: code, fix: fix) }
            try waitSocket(step, what, deadline: deadline)
        }
    }

    /// Waits until the socket is ready in the direction libssh2 is blocked on, or the deadline.
    func waitSocket(_ step: TransportStep, _ what: String, deadline: Deadline?) throws {
        let directions = libssh2_session_block_directions(raw)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        // No direction recorded: data may already be queued inside libssh2, so only nap briefly.
        var cap: Int32 = events == 0 ? 10 : 1000
        if events == 0 { events = Int16(POLLIN) }
        if let deadline {
            if deadline.expired { throw timeout(step, what, deadline) }
            cap = min(cap, deadline.remainingMilliseconds)
        }
        if Date().timeIntervalSince(lastWait) > 2 { lastInbound = Date() }
        defer { lastWait = Date() }
        if keepaliveActive {
            var next: Int32 = 0
            _ = libssh2_keepalive_send(raw, &next)
        }
        var pfd = pollfd(fd: socket, events: events, revents: 0)
        let ready = poll(&pfd, 1, cap)
        if ready < 0 && errno != EINTR {
            isBroken = true
            throw TransportError(host: host, step: step, message: "\(what): poll failed: \(String(cString: strerror(errno)))",
                                 fix: "check the connection to \(host); haprov reconnects on the next command")
        }
        if ready > 0, pfd.revents & Int16(POLLIN) != 0 { lastInbound = Date() }
        if ready == 0, keepaliveActive, Date().timeIntervalSince(lastInbound) > Self.silenceLimit {
            isBroken = true
            throw TransportError(host: host, step: .exec, message: "\(what): \(host) has not answered for \(Int(Self.silenceLimit)) s (keepalives unanswered): the connection is lost",
                                 fix: "check that \(host) is up and reachable; haprov reconnects on the next command")
        }
        if ready == 0, let deadline, deadline.expired { throw timeout(step, what, deadline) }
    }

    /// Throws the timeout error once `deadline` has passed; for loops that keep making
    /// progress (a command streaming output forever) and so never reach `waitSocket`.
    func checkDeadline(_ step: TransportStep, _ what: String, _ deadline: Deadline?) throws {
        if let deadline, deadline.expired { throw timeout(step, what, deadline) }
    }

    private func timeout(_ step: TransportStep, _ what: String, _ deadline: Deadline) -> TransportError {
        let fix: String
        switch step {
        case .timeout, .exec, .sftp:
            fix = "raise the task's timeout, or check why the command hangs on \(host)"
        default:
            fix = "check that \(host) is reachable and its sshd responds (e.g. ssh -v), or raise the connect timeout"
        }
        // Running out of a command's time budget is a timeout whichever call was waiting.
        let reported: TransportStep = step == .exec || step == .sftp ? .timeout : step
        return TransportError(host: host, step: reported, message: "\(what) did not finish within \(deadline.budgetDescription)", fix: fix)
    }

    private static func isSocketError(_ code: Int32) -> Bool {
        code == LIBSSH2_ERROR_SOCKET_SEND || code == LIBSSH2_ERROR_SOCKET_RECV || code == LIBSSH2_ERROR_SOCKET_DISCONNECT
            || code == LIBSSH2_ERROR_SOCKET_TIMEOUT || code == LIBSSH2_ERROR_TIMEOUT || code == LIBSSH2_ERROR_BANNER_RECV
            || code == LIBSSH2_ERROR_KEX_FAILURE || code == LIBSSH2_ERROR_DECRYPT
    }
}
