/// The parts of a template in Ansible's Jinja dialect: expressions, and the nodes a template is
/// made of. Parsed once by `JinjaParser`, rendered by `JinjaRenderer`.
indirect enum JinjaExpression: Sendable {
    case literal(Value)
    case name(String)
    /// `a.b`, also `a.0`.
    case attribute(JinjaExpression, String)
    /// `a[b]`.
    case index(JinjaExpression, JinjaExpression)
    /// `a[start:end]`.
    case slice(JinjaExpression, JinjaExpression?, JinjaExpression?)
    case list([JinjaExpression])
    case dict([(key: JinjaExpression, value: JinjaExpression)])
    case negate(JinjaExpression)
    case not(JinjaExpression)
    /// Arithmetic (`+ - * / // % **`), `~`, comparisons, `in` and `not in`.
    case binary(String, JinjaExpression, JinjaExpression)
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    /// `then if condition else otherwise`.
    case conditional(then: JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
    /// `input | name(arguments)`.
    case filter(JinjaExpression, name: String, arguments: JinjaArguments)
    /// `input is [not] name(arguments)`.
    case test(JinjaExpression, name: String, arguments: JinjaArguments, negated: Bool)
    /// `callee(arguments)`: a method of a value (`d.items()`) or `range(...)`.
    case call(JinjaExpression, JinjaArguments)
}

struct JinjaArguments: Sendable {
    var positional: [JinjaExpression] = []
    var named: [(name: String, value: JinjaExpression)] = []
}

/// One node of a parsed template; `line` is where its tag starts, for errors.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression, line: Int)
    /// `if`/`elif`/`else`: the branches in order, `nil` condition for `else`.
    case branches([(condition: JinjaExpression?, body: [JinjaNode])], line: Int)
    case loop(JinjaLoop)
    case set(targets: [String], value: JinjaExpression, line: Int)
}

struct JinjaLoop: Sendable {
    var targets: [String]
    var iterable: JinjaExpression
    /// `{% for x in xs if condition %}`.
    var condition: JinjaExpression?
    var body: [JinjaNode]
    /// `{% else %}`: rendered when nothing was iterated.
    var otherwise: [JinjaNode]
    var line: Int
}

/// A template that cannot be parsed or rendered, before the template's name is known.
struct JinjaFailure: Error {
    var message: String
    var line: Int?

    init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }
}
