import Foundation

/// A module turns a task's arguments into a desired state, names the facts it must read, and
/// plans the commands for the difference. An empty plan means "ok, nothing to change".
///
/// Modules never run commands themselves: the engine gathers facts for every task of a host in
/// one round trip, then applies plans, so check mode is "plan and stop".
public protocol Module: Sendable {
    /// The name tasks use (`apt`, `template`, ...).
    static var name: String { get }
    /// Parses and validates the task's arguments; errors name the argument and the fix.
    init(args: ModuleArgs, context: TaskContext) throws
    /// Facts the plan needs; gathered for all tasks of a host at once.
    var facts: [FactQuery] { get }
    /// The changes that bring the host from `facts` to the desired state.
    func plan(_ facts: HostFacts) throws -> Plan
}

/// What a task knows of where it runs.
public struct TaskContext: Sendable {
    public var hostName: String
    /// Folders searched for `src` files (the role's templates/ and files/, then the top-level Templates/).
    public var searchPaths: [String]
    /// The host's variables (role defaults, inventory, loop item), for templates.
    public var variables: [String: Value]
    public var renderer: TemplateRenderer

    public init(hostName: String, searchPaths: [String] = [], variables: [String: Value] = [:], renderer: TemplateRenderer = TemplateRenderer()) {
        self.hostName = hostName
        self.searchPaths = searchPaths
        self.variables = variables
        self.renderer = renderer
    }

    /// Finds `name` in the search paths (an absolute path is used as is).
    public func locate(_ name: String, argument: String) throws -> String {
        if name.hasPrefix("/") {
            if FileManager.default.fileExists(atPath: name) { return name }
        } else {
            for dir in searchPaths {
                let path = (dir as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        throw ModuleError(argument: argument, message: "file \(name) not found", fix: "looked in: \(searchPaths.joined(separator: ", "))")
    }
}

/// The plan for one task: ordered changes, each applied in one round trip.
public struct Plan: Sendable {
    public var changes: [Change]
    public init(_ changes: [Change] = []) { self.changes = changes }
    public var isEmpty: Bool { changes.isEmpty }
}

/// One change: what it does in words, an optional diff, and the script that applies it.
public struct Change: Sendable, Equatable {
    /// One line a person reads: "install haproxy", "set net.ipv4.ip_forward = 1".
    public var summary: String
    /// Unified diff for files (shown with --diff; secrets masked by the reporter).
    public var diff: String?
    /// POSIX shell script that applies the change; must fail (non-zero) when it did not apply.
    public var script: String
    /// Bytes fed to the script's stdin (file content), so content never sits on a command line.
    public var stdin: Data?
    /// A read-only script run in check mode (e.g. validate a rendered config in a temp path).
    public var checkScript: String?
    /// May run long (apt): the reporter shows progress while it runs.
    public var slow: Bool
    /// What the change modifies, recorded once as the host's baseline for `haprov reset`.
    public var touches: [Touch]
    /// The change moves the host (or may cut haprov off): the engine reconnects and confirms.
    public var reconnect: Reconnect?

    public init(summary: String, diff: String? = nil, script: String, stdin: Data? = nil, checkScript: String? = nil,
                slow: Bool = false, touches: [Touch] = [], reconnect: Reconnect? = nil) {
        self.summary = summary
        self.diff = diff
        self.script = script
        self.stdin = stdin
        self.checkScript = checkScript
        self.slow = slow
        self.touches = touches
        self.reconnect = reconnect
    }

    /// The script with the baseline recording in front, in the same round trip.
    public func scriptRecordingBaseline(in directory: String) -> String {
        touches.isEmpty ? script : Baseline.recordScript(touches, directory: directory) + "\n" + script
    }
}

/// How the engine gets back to a host after a change that moves it: the change's script arms a
/// rollback on the host and returns; the engine closes its session, connects at `address` (the
/// same host key required), and runs `confirm` there before the host's own deadline. Where no
/// confirmation arrives, the host restores its previous configuration by itself; the engine then
/// reconnects at the old address and reads `status`.
public struct Reconnect: Sendable, Equatable {
    /// Where the host answers once the change is applied.
    public var address: String
    /// Seconds the host waits for `confirm` before it rolls back.
    public var timeout: Int
    /// Keeps the change; `$1` is the address haprov reached the host at before, which the host
    /// drops unless the new configuration has it. Exits 0 only when the change was kept.
    public var confirm: String
    /// What the host did (applied, waiting, rolled back, and why), read after a failed reconnect.
    public var status: String

    public init(address: String, timeout: Int, confirm: String, status: String) {
        self.address = address
        self.timeout = timeout
        self.confirm = confirm
        self.status = status
    }
}

/// A bad argument or a failed plan, naming the argument and the fix.
public struct ModuleError: Error, Sendable, CustomStringConvertible {
    public var argument: String?
    public var message: String
    public var fix: String?

    public init(argument: String? = nil, message: String, fix: String? = nil) {
        self.argument = argument
        self.message = message
        self.fix = fix
    }

    public var description: String {
        var text = argument.map { "\($0): \(message)" } ?? message
        if let fix { text += " (\(fix))" }
        return text
    }
}
