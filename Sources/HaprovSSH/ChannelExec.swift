internal import CLibSSH2
import Foundation
import HaprovCore

extension SSHSession {
    /// Runs one command on a fresh channel: stdin is sent while stdout and stderr are drained
    /// in the same loop, so neither stream can fill its window and stall the other.
    func exec(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult {
        reapAbandonedChannels()
        startKeepalive()
        lastInbound = Date()
        let deadline = timeout.map(Deadline.init)
        let step: TransportStep = deadline == nil ? .exec : .timeout
        let what = "command `\(Self.abbreviate(command))`"
        let channel = try checkPointer(.exec, "opening a channel for \(what)", deadline: deadline,
                                       fix: "check MaxSessions in sshd_config on \(host)") {
            libssh2_channel_open_ex(raw, "session", 7, Self.windowSize, Self.packetSize, nil, 0)
        }
        var closedCleanly = false
        defer {
            if closedCleanly {
                _ = try? attempt(.exec, "freeing a channel", deadline: Deadline(.seconds(2))) { libssh2_channel_free(channel) }
            } else {
                abandon(channel)
            }
        }

        let commandBytes = Array(command.utf8)
        try check(.exec, "starting \(what)", deadline: deadline, fix: "check that \(host) allows command execution for this user") {
            commandBytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    libssh2_channel_process_startup(channel, "exec", 4, $0.baseAddress, UInt32($0.count))
                }
            }
        }

        let input = stdin ?? Data()
        var stdout = Data()
        var stderr = Data()
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        var sent = 0
        var eofSent = false
        while true {
            var progress = false
            for stream: Int32 in [0, SSH_EXTENDED_DATA_STDERR] {
                while true {
                    let count = buffer.withUnsafeMutableBufferPointer {
                        libssh2_channel_read_ex(channel, stream, $0.baseAddress, $0.count)
                    }
                    if count > 0 {
                        buffer.withUnsafeBytes { raw in
                            let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                            if stream == 0 { stdout.append(contentsOf: chunk) } else { stderr.append(contentsOf: chunk) }
                        }
                        progress = true
                        continue
                    }
                    if count == 0 || count == Int(LibSSH2.eagain) { break }
                    throw failure(.exec, "reading the output of \(what)", code: Int32(truncatingIfNeeded: count), fix: "check the connection to \(host)")
                }
            }
            if !eofSent {
                if sent < input.count {
                    let written = input.withUnsafeBytes { raw in
                        libssh2_channel_write_ex(channel, 0, raw.baseAddress?.advanced(by: sent).assumingMemoryBound(to: CChar.self), input.count - sent)
                    }
                    if written > 0 {
                        sent += written
                        progress = true
                    } else if written != Int(LibSSH2.eagain) {
                        // The command closed its stdin early (e.g. `true`); the rest is not wanted.
                        sent = input.count
                    }
                }
                if sent >= input.count {
                    let rc = libssh2_channel_send_eof(channel)
                    if rc != LibSSH2.eagain {
                        eofSent = true
                        progress = true
                    }
                }
            }
            // channel_eof stays 0 while data for this channel is still queued in libssh2.
            if libssh2_channel_eof(channel) != 0 { break }
            if progress {
                try checkDeadline(step, what, deadline)
            } else {
                try waitSocket(step, what, deadline: deadline)
            }
        }

        try check(.exec, "closing the channel of \(what)", deadline: deadline, fix: nil) { libssh2_channel_close(channel) }
        try check(.exec, "waiting for \(what) to exit", deadline: deadline, fix: nil) { libssh2_channel_wait_closed(channel) }
        closedCleanly = true

        var status = libssh2_channel_get_exit_status(channel)
        if let signal = exitSignal(channel) {
            if let number = Self.signalNumbers[signal] {
                status = 128 + number
            } else {
                throw TransportError(host: host, step: .exec, message: "\(what) was killed by signal \(signal)",
                                     fix: "check the system log on \(host) for what sent the signal (OOM killer, timeout, admin)")
            }
        }
        return CommandResult(exitStatus: status, stdout: stdout, stderr: stderr)
    }

    /// After a timeout or an error mid-command: ask the server to close the channel, but do
    /// not wait. The server answers only when the remote command ends (OpenSSH keeps the channel
    /// until its child exits), so the channel is freed later and the session stays usable now.
    private func abandon(_ channel: OpaquePointer) {
        let rc = libssh2_channel_close(channel)
        if rc == 0 || rc == LibSSH2.eagain {
            abandonedChannels.append(channel)
        } else {
            // Closing failed outright: the connection itself is in doubt.
            isBroken = true
        }
    }

    /// Frees abandoned channels whose close the server has confirmed since.
    func reapAbandonedChannels() {
        abandonedChannels.removeAll { libssh2_channel_free($0) != LibSSH2.eagain }
    }

    private func exitSignal(_ channel: OpaquePointer) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        var nameLength = 0
        var message: UnsafeMutablePointer<CChar>?
        var messageLength = 0
        var language: UnsafeMutablePointer<CChar>?
        var languageLength = 0
        guard libssh2_channel_get_exit_signal(channel, &name, &nameLength, &message, &messageLength, &language, &languageLength) == 0 else {
            return nil
        }
        defer {
            for pointer in [name, message, language] { if let pointer { libssh2_free(raw, pointer) } }
        }
        guard let name, nameLength > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: name, count: nameLength), as: UTF8.self)
    }

    private static func abbreviate(_ command: String) -> String {
        let line = command.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? command
        return line.count > 60 ? line.prefix(57) + "..." : line
    }

    // A larger window than libssh2's 2 MB default keeps bulk output flowing on long links.
    static let windowSize: UInt32 = 4 * 1024 * 1024
    static let packetSize: UInt32 = 32 * 1024

    /// RFC 4254 signal names (without "SIG") and their Linux numbers, for the shell's 128+n.
    static let signalNumbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
    ]
}
