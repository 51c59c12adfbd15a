/// `assert`: stops the host with a clear message when a condition on its variables is false,
/// so that a wrong inventory fails before any file is written (e.g. nopreempt without BACKUP).
///
/// Arguments: that (a condition or a list), fail_msg (or msg).
public struct AssertModule: Module {
    public static let name = "assert"
    let conditions: [String]
    let message: String?
    let context: TaskContext

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["that", "fail_msg", "msg", "quiet"])
        conditions = try args.strings("that")
        if conditions.isEmpty { throw ModuleError(argument: "that", message: "assert needs at least one condition") }
        message = try args.string("fail_msg") ?? args.string("msg")
        self.context = context
    }

    public var facts: [FactQuery] { [] }

    public func plan(_ facts: HostFacts) throws -> Plan {
        for condition in conditions {
            let holds: Bool
            do { holds = try context.renderer.evaluate(condition: condition, name: "assert", variables: context.variables) } catch let error as TemplateError {
                // The role's own message says what to set; the error says what is missing.
                throw ModuleError(message: message.map { "\($0) (failed: \(condition): \(error.message))" } ?? "\(condition): \(error.message)")
            }
            if !holds {
                throw ModuleError(message: message.map { "\($0) (failed: \(condition))" } ?? "assertion failed: \(condition)")
            }
        }
        return Plan()
    }
}
