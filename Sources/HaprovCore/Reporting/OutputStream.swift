import Foundation

/// Where reporters write; injected so tests capture output.
public protocol TextOutput: Sendable {
    func write(_ text: String)
    var isTerminal: Bool { get }
}

/// Standard output or error of this process.
public struct StandardOutput: TextOutput {
    let handle: FileHandle
    public let isTerminal: Bool

    public static let out = StandardOutput(handle: .standardOutput, isTerminal: isatty(STDOUT_FILENO) == 1)
    public static let err = StandardOutput(handle: .standardError, isTerminal: isatty(STDERR_FILENO) == 1)

    /// Everything haprov prints passes here: secret values never reach the terminal or a pipe.
    public func write(_ text: String) { handle.write(Data(SecretMasking.mask(text).utf8)) }
}

/// Collects output in memory (tests).
public final class CapturedOutput: TextOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    public let isTerminal = false
    public init() {}
    public func write(_ text: String) { lock.withLock { buffer += text } }
    public var text: String { lock.withLock { buffer } }
}

/// ANSI colour, only when writing to a terminal (and NO_COLOR is not set).
public struct Palette: Sendable {
    public let enabled: Bool

    public init(output: TextOutput, environment: [String: String] = ProcessInfo.processInfo.environment) {
        enabled = output.isTerminal && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    public func green(_ s: String) -> String { paint(s, 32) }
    public func yellow(_ s: String) -> String { paint(s, 33) }
    public func red(_ s: String) -> String { paint(s, 31) }
    public func cyan(_ s: String) -> String { paint(s, 36) }
    public func dim(_ s: String) -> String { paint(s, 2) }
    public func bold(_ s: String) -> String { paint(s, 1) }

    private func paint(_ s: String, _ code: Int) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}
