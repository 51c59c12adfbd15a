import Foundation
import HaprovCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway OpenSSH server on 127.0.0.1 with its own host key, config and authorised keys,
/// all in a temporary directory that goes away with it.
final class TestSSHD: @unchecked Sendable {
    let directory: String
    private(set) var port = 0
    /// Client ed25519 key authorised for every user (root and the test user).
    let clientKey: String
    private var process: Spawned?

    /// One server shared by tests that only need "an sshd"; stopped when the test process exits.
    static let shared: Result<TestSSHD, any Error> = Result { try TestSSHD() }

    static func sharedServer() throws -> TestSSHD { try shared.get() }

    init(extraConfig: [String] = []) throws {
        directory = try Self.makeTemporaryDirectory(prefix: "haprov-sshd")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try Self.keygen(type: "ed25519", path: directory + "/host_ed25519")
        clientKey = directory + "/client_ed25519"
        try Self.keygen(type: "ed25519", path: clientKey)
        try authorize(publicKey: clientKey + ".pub", for: "root")
        try authorize(publicKey: clientKey + ".pub", for: TestUser.name)
        Self.registry.add(self)
        // A port found free can be taken by a parallel test before sshd binds it; then sshd
        // exits and another port is tried. Only sshd's own "listening" line counts as ready,
        // never a successful connect (that could be someone else's server).
        var attempts: [String] = []
        for _ in 0..<5 {
            port = try Self.freePort()
            try writeConfig(extraConfig)
            try? FileManager.default.removeItem(atPath: directory + "/sshd.log")
            let spawned = try Spawned(["/usr/sbin/sshd", "-D", "-e", "-f", directory + "/sshd_config"], logPath: directory + "/sshd.log")
            process = spawned
            if try waitUntilListening(spawned) { return }
            attempts.append(log)
        }
        throw TestFailure("sshd did not start: \(attempts.joined(separator: "\n---\n"))")
    }

    private func writeConfig(_ extraConfig: [String]) throws {
        // sshd keeps the first value of a keyword, so the test's own lines go first.
        let config = extraConfig + [
            "Port \(port)",
            "ListenAddress 127.0.0.1",
            "HostKey \(directory)/host_ed25519",
            "AuthorizedKeysFile \(directory)/authorized_keys_%u",
            "PidFile \(directory)/sshd.pid",
            "StrictModes no",
            "UsePAM no",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin yes",
            "MaxStartups 100",
            "MaxSessions 100",
            "AllowTcpForwarding yes",
            "Subsystem sftp internal-sftp",
            "LogLevel VERBOSE",
        ]
        try (config.joined(separator: "\n") + "\n").write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
    }

    deinit { stop() }

    /// Stops the server and removes its directory. Safe to call twice.
    func stop() {
        process?.stop()
        if ProcessInfo.processInfo.environment["HAPROV_KEEP_TEST_FILES"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// The known_hosts line OpenSSH would write for this server.
    var knownHostsLine: String {
        let publicKey = (try? String(contentsOfFile: directory + "/host_ed25519.pub", encoding: .utf8)) ?? ""
        let fields = publicKey.split(separator: " ").prefix(2).joined(separator: " ")
        return "[127.0.0.1]:\(port) \(fields)"
    }

    /// The host key fingerprint as `ssh-keygen -l` prints it ("SHA256:...").
    func hostKeyFingerprint() throws -> String {
        let result = try LocalProcess.run(["/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", directory + "/host_ed25519.pub"])
        let fields = result.stdoutText.split(separator: " ")
        guard fields.count > 1 else { throw TestFailure("ssh-keygen -l printed \(result.stdoutText)") }
        return String(fields[1])
    }

    /// A known_hosts file (in a fresh temporary directory) that trusts this server.
    func trustingKnownHosts() throws -> String {
        let path = try Self.makeTemporaryDirectory(prefix: "haprov-kh") + "/known_hosts"
        try (knownHostsLine + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A spec that logs in as `user` with the authorised ed25519 key and trusts the host key.
    func spec(name: String = "test-host", user: String = "root", keys: [String]? = nil, knownHosts: String? = nil) throws -> ConnectionSpec {
        ConnectionSpec(
            name: name, address: "127.0.0.1", port: port, user: user,
            privateKeyFiles: keys ?? [clientKey],
            knownHostsFiles: [try knownHosts ?? trustingKnownHosts()],
            connectTimeout: .seconds(5))
    }

    func authorize(publicKey: String, for user: String) throws {
        let key = try String(contentsOfFile: publicKey, encoding: .utf8)
        let path = directory + "/authorized_keys_\(user)"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try (existing + key).write(toFile: path, atomically: true, encoding: .utf8)
    }

    var log: String { (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? "" }

    /// True once sshd says it listens on every configured address; false if it exited.
    private func waitUntilListening(_ spawned: Spawned) throws -> Bool {
        let expected = (try String(contentsOfFile: directory + "/sshd_config", encoding: .utf8))
            .split(separator: "\n").filter { $0.hasPrefix("ListenAddress ") }.count
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if log.components(separatedBy: "Server listening on").count - 1 >= expected { return true }
            guard spawned.isRunning else { return false }
            usleep(10_000)
        }
        throw TestFailure("sshd did not listen on port \(port) within 10 s: \(log)")
    }

    // MARK: - Helpers shared by the tests

    static func keygen(type: String, path: String, passphrase: String = "") throws {
        var arguments = ["/usr/bin/ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "haprov-test", "-f", path]
        if type == "rsa" { arguments += ["-b", "2048"] }
        let result = try LocalProcess.run(arguments)
        guard result.succeeded else { throw TestFailure("ssh-keygen failed: \(result.stderrText)") }
    }

    static func makeTemporaryDirectory(prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        registry.addDirectory(path)
        return path
    }

    /// A port nobody listens on right now (bound then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw TestFailure("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canBindIPv6Loopback() -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
        }
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    // MARK: - Cleanup at exit, so no sshd outlives the test run

    static let registry = Registry()

    final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var servers: [TestSSHD] = []
        private var directories: [String] = []
        private var hooked = false

        func add(_ server: TestSSHD) {
            lock.withLock {
                servers.append(server)
                if !hooked {
                    hooked = true
                    atexit { TestSSHD.registry.cleanUp() }
                }
            }
        }

        func addDirectory(_ path: String) { lock.withLock { directories.append(path) } }

        func cleanUp() {
            let (servers, directories) = lock.withLock { (self.servers, self.directories) }
            for server in servers { server.stop() }
            guard ProcessInfo.processInfo.environment["HAPROV_KEEP_TEST_FILES"] == nil else { return }
            for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The throwaway login user for password, sudo and become tests (created when running as root).
enum TestUser {
    static let name = "haprovtest"
    static let password = "haprov-Test-pw-1"

    /// nil when the user is ready; otherwise why it cannot be.
    static let unavailableReason: String? = prepare()

    private static func prepare() -> String? {
        guard getuid() == 0 else { return "tests are not running as root, so the \(name) user cannot be created" }
        do {
            if try !LocalProcess.run(["/usr/bin/id", name]).succeeded {
                let added = try LocalProcess.run(["/usr/sbin/useradd", "-m", "-s", "/bin/sh", name])
                guard added.succeeded else { return "useradd failed: \(added.stderrText)" }
            }
            let set = try LocalProcess.run(["/usr/sbin/chpasswd"], stdin: Data("\(name):\(password)\n".utf8))
            guard set.succeeded else { return "chpasswd failed: \(set.stderrText)" }
            return nil
        } catch {
            return "cannot prepare \(name): \(error)"
        }
    }

    /// Skips (or fails under CI=true) a test that needs the user.
    static func require() -> Bool {
        guard let reason = unavailableReason else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("cannot run: \(reason)")
        } else {
            print("haprov test skipped: \(reason)")
        }
        return false
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
