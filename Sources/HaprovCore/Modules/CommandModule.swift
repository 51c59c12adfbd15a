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

    var guards: [FactQuery] {
        var queries: [FactQuery] = []
        if let creates { queries.append(Facts.succeeds("test -e \(Shell.quote(creates))")) }
        if let removes { queries.append(Facts.succeeds("test -e \(Shell.quote(removes))")) }
        if let unless { queries.append(Facts.succeeds(unless)) }
        return queries
    }

    public var facts: [FactQuery] { guards }

    public func plan(_ facts: HostFacts) throws -> Plan {
        if let creates, try facts.output(Facts.succeeds("test -e \(Shell.quote(creates))")).text == "yes" { return Plan() }
        if let removes, try facts.output(Facts.succeeds("test -e \(Shell.quote(removes))")).text == "no" { return Plan() }
        if let unless, try facts.output(Facts.succeeds(unless)).text == "yes" { return Plan() }
        let script = (chdir.map { "cd \(Shell.quote($0)) && " } ?? "") + command
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
