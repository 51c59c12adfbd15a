import Foundation

/// Runs commands on this machine through /bin/sh: the transport for unit tests and for
/// `ansible_connection: local` hosts.
public final class LocalTransport: Transport, @unchecked Sendable {
    public let hostName: String
    private let lock = NSLock()
    private var count = 0
    private var closed = false

    public init(hostName: String = "localhost") {
        self.hostName = hostName
    }

    public var roundTrips: Int { lock.withLock { count } }

    public func run(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult {
        try lock.withLock {
            guard !closed else { throw TransportError(host: hostName, step: .exec, message: "connection closed") }
            count += 1
            return try LocalProcess.run(["/bin/sh", "-c", command], stdin: stdin, timeout: timeout, host: hostName)
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

/// Runs a local process with both pipes drained concurrently, so large output never stalls.
public enum LocalProcess {
    public static func run(
        _ arguments: [String], stdin: Data? = nil, timeout: Duration? = nil,
        environment: [String: String]? = nil, host: String = "localhost"
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        if let environment { process.environment = environment }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        do { try process.run() } catch {
            throw TransportError(host: host, step: .exec, message: "cannot start \(arguments[0]): \(error.localizedDescription)")
        }
        let out = DataCollector(outPipe.fileHandleForReading)
        let err = DataCollector(errPipe.fileHandleForReading)
        if let stdin {
            let writer = inPipe.fileHandleForWriting
            Thread { writer.write(stdin); try? writer.close() }.start()
        }
        var timedOut = false
        if let timeout {
            let deadline = DispatchTime.now() + .nanoseconds(Int(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            let done = DispatchSemaphore(value: 0)
            process.terminationHandler = { _ in done.signal() }
            if process.isRunning, done.wait(timeout: deadline) == .timedOut {
                timedOut = true
                process.terminate()
            }
        }
        process.waitUntilExit()
        let result = CommandResult(exitStatus: process.terminationStatus, stdout: out.finish(), stderr: err.finish())
        if timedOut {
            throw TransportError(host: host, step: .timeout, message: "command did not finish within \(timeout!): \(arguments.joined(separator: " "))")
        }
        return result
    }
}

private final class DataCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }
    func finish() -> Data {
        done.wait()
        return data
    }
}
