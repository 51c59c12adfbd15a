internal import CLibSSH2
import Foundation
import HaprovCore

/// The SFTP subsystem of one session, opened once and reused for every transfer.
final class SFTPClient {
    private unowned let session: SSHSession
    private let raw: OpaquePointer

    init(session: SSHSession) throws {
        self.session = session
        raw = try session.checkPointer(.sftp, "starting the SFTP subsystem", deadline: Deadline(.seconds(30)),
                                       fix: "enable it in sshd_config on \(session.host): Subsystem sftp /usr/lib/openssh/sftp-server") {
            libssh2_sftp_init(session.raw)
        }
    }

    func shutdown() {
        _ = try? session.attempt(.sftp, "closing SFTP", deadline: Deadline(.seconds(1))) { libssh2_sftp_shutdown(raw) }
    }

    /// Writes `data` to `path` and then sets `mode` explicitly, since the mode given at open
    /// is filtered by the server's umask and ignored for a file that already exists.
    func upload(_ data: Data, to path: String, mode: Int) throws {
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        let handle = try open(path, flags: flags, mode: mode, purpose: "writing")
        var closed = false
        defer { if !closed { close(handle) } }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = try session.attempt(.sftp, "writing \(path)", deadline: nil) {
                    libssh2_sftp_write(handle, raw.baseAddress?.advanced(by: offset).assumingMemoryBound(to: CChar.self), raw.count - offset)
                }
                guard written > 0 else { throw failure("cannot write \(path)", code: Int32(truncatingIfNeeded: written), path: path) }
                offset += written
            }
        }
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        attributes.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
        attributes.permissions = UInt(mode)
        let rc = try session.attempt(.sftp, "setting the mode of \(path)", deadline: nil) { libssh2_sftp_fstat_ex(handle, &attributes, 1) }
        guard rc == 0 else { throw failure("cannot set mode \(String(mode, radix: 8)) on \(path)", code: rc, path: path) }
        closed = true
        let closeCode = try session.attempt(.sftp, "closing \(path)", deadline: nil) { libssh2_sftp_close_handle(handle) }
        guard closeCode == 0 else { throw failure("cannot finish writing \(path)", code: closeCode, path: path) }
    }

    func download(_ path: String) throws -> Data {
        let handle = try open(path, flags: UInt(LIBSSH2_FXF_READ), mode: 0, purpose: "reading")
        defer { close(handle) }
        var result = Data()
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        while true {
            let count = try session.attempt(.sftp, "reading \(path)", deadline: nil) {
                buffer.withUnsafeMutableBufferPointer { libssh2_sftp_read(handle, $0.baseAddress, $0.count) }
            }
            if count == 0 { return result }
            guard count > 0 else { throw failure("cannot read \(path)", code: Int32(truncatingIfNeeded: count), path: path) }
            buffer.withUnsafeBytes { result.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    private func open(_ path: String, flags: UInt, mode: Int, purpose: String) throws -> OpaquePointer {
        let bytes = Array(path.utf8)
        while true {
            let handle = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    libssh2_sftp_open_ex(raw, $0.baseAddress, UInt32($0.count), flags, mode, LIBSSH2_SFTP_OPENFILE)
                }
            }
            if let handle { return handle }
            let code = libssh2_session_last_errno(session.raw)
            guard code == LibSSH2.eagain else { throw failure("cannot open \(path) for \(purpose)", code: code, path: path) }
            try session.waitSocket(.sftp, "opening \(path)", deadline: nil)
        }
    }

    private func close(_ handle: OpaquePointer) {
        _ = try? session.attempt(.sftp, "closing a file", deadline: Deadline(.seconds(5))) { libssh2_sftp_close_handle(handle) }
    }

    /// An error naming the path and, for SFTP protocol failures, the server's status text.
    private func failure(_ what: String, code: Int32, path: String) -> TransportError {
        if code == LIBSSH2_ERROR_SFTP_PROTOCOL {
            let status = libssh2_sftp_last_error(raw)
            let text = Self.statusText[status] ?? "SFTP status \(status)"
            let fix: String
            switch status {
            case 2, 10: fix = "check that \(path) (or its directory) exists on \(session.host)"
            case 3: fix = "check the permissions of \(path) for the login user, or use become"
            case 14, 15: fix = "free some space on \(session.host)"
            default: fix = "check \(path) on \(session.host)"
            }
            return TransportError(host: session.host, step: .sftp, message: "\(what): \(text)", fix: fix)
        }
        return session.failure(.sftp, what, code: code, fix: "check the connection to \(session.host)")
    }

    static let statusText: [UInt: String] = [
        1: "end of file", 2: "no such file", 3: "permission denied", 4: "failure", 5: "bad message",
        6: "no connection", 7: "connection lost", 8: "operation unsupported", 9: "invalid handle",
        10: "no such path", 11: "file already exists", 12: "write protected", 13: "no media",
        14: "no space on filesystem", 15: "quota exceeded", 16: "unknown principal", 17: "lock conflict",
        18: "directory not empty", 19: "not a directory", 20: "invalid filename", 21: "link loop",
    ]
}
