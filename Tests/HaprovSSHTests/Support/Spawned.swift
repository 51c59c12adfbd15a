import Foundation

/// A long-running child (sshd, ssh-agent) started with posix_spawn.
///
/// Foundation's Process detects exit through a socket the child inherits; daemons such as
/// sshd close every inherited descriptor at start-up, which Foundation takes for an exit and
/// then blocks in waitpid on its run-loop thread, stalling every later Process.
final class Spawned: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var reaped = false

    init(_ arguments: [String], logPath: String? = nil, environment: [String: String]? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let output = logPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        // Test threads block signals; a child inheriting that mask would ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGPIPE, SIGCHLD, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, arguments[0], &actions, &attributes, argv, env)
        guard rc == 0 else { throw TestFailure("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        pid = child
    }

    var isRunning: Bool {
        lock.withLock {
            guard !reaped else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
            return !reaped
        }
    }

    /// Sends SIGTERM and reaps the child. Safe to call twice.
    func stop() {
        lock.withLock {
            guard !reaped else { return }
            reaped = true
            kill(pid, SIGTERM)
            var status: Int32 = 0
            for _ in 0..<300 {
                if waitpid(pid, &status, WNOHANG) != 0 { return }
                usleep(10_000)
            }
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
        }
    }

    deinit { stop() }
}
