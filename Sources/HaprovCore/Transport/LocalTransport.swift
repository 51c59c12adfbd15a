import Foundation

/// Runs commands on this machine through /bin/sh (or another shell, for tests of what a
/// login shell changes): the transport for unit tests and for `ansible_connection: local` hosts.
public final class LocalTransport: Transport, @unchecked Sendable {
    public let hostName: String
    private let shell: String
    private let lock = NSLock()
    private var count = 0
    private var closed = false

    public init(hostName: String = "localhost", shell: String = "/bin/sh") {
        self.hostName = hostName
        self.shell = shell
    }

    public var roundTrips: Int { lock.withLock { count } }

    public func run(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult {
        try lock.withLock {
            guard !closed else { throw TransportError(host: hostName, step: .exec, message: "connection closed") }
            count += 1
            return try LocalProcess.run([shell, "-c", command], stdin: stdin, timeout: timeout, host: hostName)
        }
    }

    public func upload(_ data: Data, to path: String, mode: Int) throws {
        try lock.withLock {
            count += 1
            let url = URL(fileURLWithPath: path)
            do {
                try data.write(to: url)
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            } catch {
                throw TransportError(host: hostName, step: .sftp, message: "cannot write \(path): \(error.localizedDescription)")
            }
        }
    }

    public func download(_ path: String) throws -> Data {
        try lock.withLock {
            count += 1
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TransportError(host: hostName, step: .sftp, message: "cannot read \(path)")
            }
            return data
        }
    }

    public func close() { lock.withLock { closed = true } }
}
