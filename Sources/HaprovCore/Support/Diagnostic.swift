/// A problem with its place: file:line:column (or the task, template, flag it is about), what
/// is wrong, and the fix when there is one. Every loader (inventory, plays, roles, argument
/// specs, connection variables, vault) reports through it, and a failed task's message is one.
public struct Diagnostic: Sendable, CustomStringConvertible {
    public var location: String
    public var message: String
    public var fix: String?

    public init(location: String, message: String, fix: String? = nil) {
        self.location = location
        self.message = message
        self.fix = fix
    }

    public var description: String { "\(location): \(message)" + (fix.map { " (\($0))" } ?? "") }

    /// Any error as a diagnostic: errors that know their own place keep it (a template's
    /// file:line), the others are placed at `location` (the task that raised them).
    public static func from(_ error: any Error, at location: String) -> Diagnostic {
        switch error {
        case let error as TemplateError:
            return Diagnostic(location: error.template + (error.line.map { ":\($0)" } ?? ""), message: error.message)
        case let error as ModuleError:
            return Diagnostic(location: location, message: error.argument.map { "\($0): \(error.message)" } ?? error.message, fix: error.fix)
        case let error as LoadError where error.problems.count == 1:
            return error.problems[0]
        default:
            return Diagnostic(location: location, message: "\(error)")
        }
    }
}

/// Every problem found before any host is reached, all at once, each with its place.
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public var problems: [Diagnostic]
    public init(problems: [Diagnostic]) { self.problems = problems }
    /// One problem on its line; several under a count, one per line.
    public var description: String {
        problems.count == 1 ? problems[0].description : "\(problems.count) problems:\n" + problems.map { "  " + $0.description }.joined(separator: "\n")
    }
}
