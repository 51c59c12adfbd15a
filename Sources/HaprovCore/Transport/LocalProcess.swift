import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a local program with posix_spawn: stdout and stderr drained together with poll (large
/// output never stalls), stdin fed as it is read, a deadline, and no descriptor of ours leaked
/// into the child. Foundation's Process is not used: run from several threads, it lost track of
/// exited children, and a daemon started by the child kept it waiting forever.
public enum LocalProcess {
    private static let spawnLock = NSLock()

    public static func run(
        _ arguments: [String], stdin: Data? = nil, timeout: Duration? = nil,
        environment: [String: String]? = nil, host: String = "localhost"
    ) throws -> CommandResult {
        func failure(_ message: String) -> TransportError { TransportError(host: host, step: .exec, message: message) }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        // Pipes are made close-on-exec under the lock every spawn takes, so a child spawned by
        // another thread never inherits them (and never keeps another command waiting).
        spawnLock.lock()
        let piped = pipe(&outPipe) == 0 && pipe(&errPipe) == 0 && pipe(&inPipe) == 0
        for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        guard piped else {
            spawnLock.unlock()
            for fd in outPipe + errPipe + inPipe where fd >= 0 { close(fd) }
            throw failure("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // The child starts its own process group, so a deadline can stop everything it started.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no signal blocked and every signal at its default action: the
        // calling thread (a Dispatch or test worker) may block most of them, and a daemon
        // started from here would inherit that and never die of SIGTERM.
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)

        let environmentLines = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        var spawned: Int32 = 0
        // ETXTBSY: a program just written (a vault password script) is still open for writing
        // in a child another thread started meanwhile, which inherited the descriptor until
        // its own exec; that lasts only as long as such a child runs, so wait a little.
        for attempt in 0..<40 {
            spawned = withCStrings(arguments) { argv in
                withCStrings(environmentLines) { envp in posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp) }
            }
            guard spawned == ETXTBSY, attempt < 39 else { break }
            usleep(25_000)
        }
        spawnLock.unlock()
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw failure("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }

        let deadline = timeout.map { ContinuousClock.now + $0 }
        var collected = [Data(), Data()]
        var readers: [Int32] = [outPipe[0], errPipe[0]]
        var writer: Int32 = inPipe[1]
        var pending = stdin ?? Data()
        if stdin == nil { close(writer); writer = -1 } else { _ = fcntl(writer, F_SETFL, O_NONBLOCK) }
        var status: Int32 = 0
        var exited = false
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)

        while true {
            var fds = readers.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
            if fds.isEmpty { break }
            // Once the child is gone, only what it already wrote is read: a daemon it left
            // behind may hold the pipes open for ever.
            var wait: Int32 = exited ? 0 : 50
            if let deadline, !exited {
                let left = deadline - ContinuousClock.now
                if left <= .zero { timedOut = true; break }
                wait = min(wait, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                if exited { break }
                if waitpid(pid, &status, WNOHANG) == pid { exited = true }
                continue
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == writer {
                    let written = pending.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                    if written > 0 { pending.removeFirst(written) }
                    if written < 0 && errno != EAGAIN || pending.isEmpty { close(writer); writer = -1 }
                    continue
                }
                let index = entry.fd == readers[0] ? 0 : 1
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 { collected[index].append(contentsOf: buffer[0..<count]) }
                else if count == 0 || errno != EINTR && errno != EAGAIN { close(entry.fd); readers[index] = -1 }
            }
        }
        for fd in readers + [writer] where fd >= 0 { close(fd) }
        if timedOut { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
        if !exited { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        if timedOut {
            throw TransportError(host: host, step: .timeout, message: "command did not finish within \(timeout!): \(arguments.joined(separator: " "))")
        }
        // Exit status, or 128 + signal like a shell reports it.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(exitStatus: code, stdout: collected[0], stderr: collected[1])
    }

    /// A NULL-terminated array of C strings, alive for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
