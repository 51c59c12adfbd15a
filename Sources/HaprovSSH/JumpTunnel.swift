internal import CLibSSH2
import Foundation
import HaprovCore
#if canImport(Glibc)
import Glibc
#endif

/// A direct-tcpip channel through a bastion, exposed as a local socket (like ProxyJump).
///
/// libssh2 needs a file descriptor for the target's session, so one end of a socketpair is
/// handed to it and a pump thread copies bytes between the other end and the channel. The
/// bastion session belongs to the pump thread alone.
final class JumpTunnel: @unchecked Sendable {
    /// The socket the target session runs over.
    let socket: Int32
    private let pumpEnd: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let bastion: SSHSession
    private let channel: OpaquePointer
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopping = false

    /// Connects to the bastion and opens a channel from it to `address`:`port`.
    init(bastion: SSHSession, address: String, port: Int, target: String, timeout: Duration) throws {
        let channel: OpaquePointer
        do {
            channel = try bastion.checkPointer(.jump, "opening a tunnel from bastion \(bastion.host) to \(address):\(port)",
                                               deadline: Deadline(timeout),
                                               fix: "check that the bastion allows TCP forwarding (AllowTcpForwarding, PermitOpen) and can reach \(address):\(port)") {
                libssh2_channel_direct_tcpip_ex(bastion.raw, address, Int32(port), "127.0.0.1", 22)
            }
        } catch var error as TransportError {
            // Errors are reported for the target host; the message names the bastion.
            error.host = target
            error.step = .jump
            throw error
        }
        var pair: [Int32] = [-1, -1]
        var wake: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0,
              socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &wake) == 0
        else {
            _ = try? bastion.attempt(.jump, "freeing the tunnel", deadline: Deadline(.seconds(1))) { libssh2_channel_free(channel) }
            throw TransportError(host: target, step: .jump, message: "cannot create a local socket pair for the tunnel: \(String(cString: strerror(errno)))",
                                 fix: "check the open-file limit (ulimit -n) of haprov")
        }
        self.channel = channel
        self.bastion = bastion
        socket = pair[0]
        pumpEnd = pair[1]
        wakeRead = wake[0]
        wakeWrite = wake[1]
        _ = fcntl(pumpEnd, F_SETFL, fcntl(pumpEnd, F_GETFL) | O_NONBLOCK)
        let thread = Thread { [self] in
            pump()
            finished.signal()
        }
        thread.name = "haprov-jump-\(target)"
        thread.start()
    }

    /// Stops the pump and disconnects from the bastion.
    func close() {
        let alreadyStopping = lock.withLock {
            defer { stopping = true }
            return stopping
        }
        guard !alreadyStopping else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        finished.wait()
        _ = try? bastion.attempt(.jump, "closing the tunnel", deadline: Deadline(.seconds(1))) { libssh2_channel_free(channel) }
        bastion.disconnect()
        Glibc.close(pumpEnd)
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    deinit { close() }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func pump() {
        var toSocket: [UInt8] = []
        var toChannel: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var localEOF = false
        var remoteEOF = false
        while !isStopping {
            var progress = false
            if toSocket.isEmpty && !remoteEOF {
                let count = buffer.withUnsafeMutableBufferPointer { raw in
                    raw.withMemoryRebound(to: CChar.self) { libssh2_channel_read_ex(channel, 0, $0.baseAddress, $0.count) }
                }
                if count > 0 {
                    toSocket.append(contentsOf: buffer[0..<count])
                    progress = true
                } else if count < 0 && count != Int(LibSSH2.eagain) {
                    remoteEOF = true
                } else if libssh2_channel_eof(channel) != 0 {
                    remoteEOF = true
                }
            }
            if !toSocket.isEmpty {
                let written = toSocket.withUnsafeBytes { write(pumpEnd, $0.baseAddress, $0.count) }
                if written > 0 {
                    toSocket.removeFirst(written)
                    progress = true
                } else if written < 0 && errno != EAGAIN && errno != EINTR {
                    return
                }
            }
            if remoteEOF && toSocket.isEmpty {
                // The target side closed: let the target session see end of file.
                shutdown(pumpEnd, Int32(SHUT_WR))
            }
            if toChannel.isEmpty && !localEOF {
                let count = buffer.withUnsafeMutableBytes { read(pumpEnd, $0.baseAddress, $0.count) }
                if count > 0 {
                    toChannel.append(contentsOf: buffer[0..<count])
                    progress = true
                } else if count == 0 {
                    localEOF = true
                    _ = libssh2_channel_send_eof(channel)
                } else if errno != EAGAIN && errno != EINTR {
                    localEOF = true
                }
            }
            if !toChannel.isEmpty {
                let written = toChannel.withUnsafeBytes { raw in
                    libssh2_channel_write_ex(channel, 0, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if written > 0 {
                    toChannel.removeFirst(written)
                    progress = true
                } else if written != Int(LibSSH2.eagain) {
                    return
                }
            }
            if localEOF && remoteEOF && toSocket.isEmpty && toChannel.isEmpty { return }
            if !progress { wait(wantSocketRead: toChannel.isEmpty && !localEOF, wantSocketWrite: !toSocket.isEmpty) }
        }
    }

    private func wait(wantSocketRead: Bool, wantSocketWrite: Bool) {
        let directions = libssh2_session_block_directions(bastion.raw)
        var sshEvents = Int16(POLLIN)
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { sshEvents |= Int16(POLLOUT) }
        var localEvents: Int16 = 0
        if wantSocketRead { localEvents |= Int16(POLLIN) }
        if wantSocketWrite { localEvents |= Int16(POLLOUT) }
        var fds = [
            pollfd(fd: bastion.socket, events: sshEvents, revents: 0),
            pollfd(fd: pumpEnd, events: localEvents, revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        // The timeout only bounds a missed wake-up; every readiness change ends the poll early.
        _ = poll(&fds, nfds_t(fds.count), 200)
    }
}
