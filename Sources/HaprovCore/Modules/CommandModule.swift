/// `command` / `shell`: runs a command unless its guard says it is done already
/// (`creates`, `removes`, `unless`). In check mode it is reported as "would run", never
/// silently skipped.
///
/// Arguments: cmd (or the free-form text), creates, removes, unless, chdir.
public struct CommandModule: Module {
    public static let name = "command"
    let command: String
    let creates: String?
    let removes: String?
    let unless: String?
    let chdir: String?

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["cmd", "_raw", "creates", "removes", "unless", "chdir"])
        guard let command = try args.string("cmd") ?? args.string("_raw"), !command.isEmpty else {
            throw ModuleError(argument: "cmd", message: "command needs cmd")
        }
        self.command = command
        creates = try args.string("creates")
        removes = try args.string("removes")
        unless = try args.string("unless")
        chdir = try args.string("chdir")
    }

    /// Guards run where the command runs: `chdir` applies to them too (relative paths, and
    /// commands like `docker compose ps` that read the folder).
    var inFolder: String { chdir.map { "cd \(Shell.quote($0)) && " } ?? "" }
    var createsQuery: FactQuery? { creates.map { Facts.succeeds(inFolder + "test -e \(Shell.quote($0))") } }
    var removesQuery: FactQuery? { removes.map { Facts.succeeds(inFolder + "test -e \(Shell.quote($0))") } }
    /// In braces, so that `a || b` in the guard stays one condition after the `cd ... &&`.
    var unlessQuery: FactQuery? { unless.map { Facts.succeeds(chdir == nil ? $0 : inFolder + "{ \($0); }") } }

    public var facts: [FactQuery] { [createsQuery, removesQuery, unlessQuery].compactMap { $0 } }

    public func plan(_ facts: HostFacts) throws -> Plan {
        if let createsQuery, try facts.output(createsQuery).text == "yes" { return Plan() }
        if let removesQuery, try facts.output(removesQuery).text == "no" { return Plan() }
        if let unlessQuery, try facts.output(unlessQuery).text == "yes" { return Plan() }
        let script = inFolder + command
        return Plan([Change(summary: "run: \(command)", script: script)])
    }
}

/// `shell`: the same as `command` (both run through /bin/sh here).
public struct ShellModule: Module {
    public static let name = "shell"
    let inner: CommandModule
    public init(args: ModuleArgs, context: TaskContext) throws { inner = try CommandModule(args: args, context: context) }
    public var facts: [FactQuery] { inner.facts }
    public func plan(_ facts: HostFacts) throws -> Plan { try inner.plan(facts) }
}
