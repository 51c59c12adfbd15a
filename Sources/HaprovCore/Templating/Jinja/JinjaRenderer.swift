import Foundation

/// Renders parsed templates and evaluates expressions against a host's variables, strictly as
/// Ansible does: using an undefined variable is an error, except through `default` and the
/// `defined`/`undefined` tests.
struct JinjaRenderer {
    private let globals: [String: Value]
    /// Loop variables and `set` names, innermost last.
    private var frames: [[String: Value]] = []
    /// A template that writes more than this is a runaway loop, not a config file.
    private static let maxOutput = 64 << 20

    init(variables: [String: Value]) { self.globals = variables }

    mutating func render(_ nodes: [JinjaNode]) throws -> String {
        var out = ""
        try render(nodes, into: &out)
        return out
    }

    private mutating func render(_ nodes: [JinjaNode], into out: inout String) throws {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .output(let expression, let line):
                out += try at(line) { try value(expression).jinjaText }
            case .branches(let branches, let line):
                // `if` has no scope of its own in Jinja: a `set` inside it is seen after it.
                for branch in branches {
                    if let condition = branch.condition, try !at(line, { try value(condition).jinjaTruth }) { continue }
                    try render(branch.body, into: &out)
                    break
                }
            case .loop(let loop):
                try render(loop, into: &out)
            case .set(let targets, let expression, let line):
                let assigned = try at(line) { try value(expression) }
                try at(line) { try bind(targets, to: assigned) }
            }
            if out.utf8.count > Self.maxOutput { throw JinjaFailure("the template renders more than 64 MiB") }
        }
    }

    private mutating func render(_ loop: JinjaLoop, into out: inout String) throws {
        var items = try at(loop.line) { try value(loop.iterable).jinjaItems() }
        if let condition = loop.condition {
            items = try items.filter { item in
                frames.append([:])
                defer { frames.removeLast() }
                try at(loop.line) { try bind(loop.targets, to: item) }
                return try at(loop.line) { try value(condition).jinjaTruth }
            }
        }
        if items.isEmpty {
            try render(loop.otherwise, into: &out)
            return
        }
        for (index, item) in items.enumerated() {
            frames.append(["loop": .map([
                "index": .int(index + 1), "index0": .int(index),
                "revindex": .int(items.count - index), "revindex0": .int(items.count - index - 1),
                "first": .bool(index == 0), "last": .bool(index == items.count - 1), "length": .int(items.count),
                "previtem": index > 0 ? items[index - 1] : .null,
                "nextitem": index + 1 < items.count ? items[index + 1] : .null,
            ])])
            try at(loop.line) { try bind(loop.targets, to: item) }
            try render(loop.body, into: &out)
            frames.removeLast()
        }
    }

    /// Assigns `for`/`set` names in the innermost frame; `a, b` unpacks a pair.
    private mutating func bind(_ targets: [String], to value: Value) throws {
        if frames.isEmpty { frames.append([:]) }
        if targets.count == 1 {
            frames[frames.count - 1][targets[0]] = value
            return
        }
        guard case .list(let parts) = value, parts.count == targets.count else {
            throw JinjaFailure("cannot unpack \(value.pythonRepr) into \(targets.joined(separator: ", "))")
        }
        for (name, part) in zip(targets, parts) { frames[frames.count - 1][name] = part }
    }

    /// Runs `body`, giving its failure the line of the tag when it has none.
    private func at<T>(_ line: Int, _ body: () throws -> T) throws -> T {
        do { return try body() } catch var failure as JinjaFailure {
            if failure.line == nil { failure.line = line }
            throw failure
        }
    }

    // MARK: expressions

    func value(_ expression: JinjaExpression) throws -> Value {
        try evaluate(expression).required()
    }

    func evaluate(_ expression: JinjaExpression) throws -> JinjaOperand {
        switch expression {
        case .literal(let value):
            return .value(value)
        case .name(let name):
            for frame in frames.reversed() { if let found = frame[name] { return .value(found) } }
            if let found = globals[name] { return .value(found) }
            if name == "forloop" { throw JinjaFailure("'forloop' is Stencil's; write loop.index, loop.first, loop.last as in Ansible") }
            return .undefined("'\(name)' is undefined (define it in the inventory, group_vars, host_vars or the role's defaults)")
        case .attribute(let base, let name):
            return Self.member(of: try evaluate(base), name)
        case .index(let base, let key):
            let container = try evaluate(base)
            let key = try value(key)
            if case .string(let name) = key { return Self.member(of: container, name) }
            guard case .int(let index) = key else { throw JinjaFailure("an index must be a number or a string, not \(key.pythonRepr)") }
            return Self.member(of: container, String(index))
        case .slice(let base, let start, let end):
            let container = try value(base)
            let from = try start.map { try integer(value($0), "a slice bound") }
            let to = try end.map { try integer(value($0), "a slice bound") }
            return .value(try Self.slice(container, from: from, to: to))
        case .list(let items):
            return .value(.list(try items.map { try value($0) }))
        case .dict(let entries):
            var map: [String: Value] = [:]
            for entry in entries {
                let key = try value(entry.key)
                map[key.jinjaText] = try value(entry.value)
            }
            return .value(.map(map))
        case .negate(let inner):
            switch try value(inner) {
            case .int(let i): return .value(.int(0 &- i))
            case .double(let d): return .value(.double(-d))
            case let other: throw JinjaFailure("bad operand type for unary -: '\(other.pythonType)'")
            }
        case .not(let inner):
            return .value(.bool(!(try value(inner).jinjaTruth)))
        case .and(let left, let right):
            let l = try value(left)
            return l.jinjaTruth ? .value(try value(right)) : .value(l)
        case .or(let left, let right):
            let l = try value(left)
            return l.jinjaTruth ? .value(l) : .value(try value(right))
        case .conditional(let then, let condition, let otherwise):
            if try value(condition).jinjaTruth { return try evaluate(then) }
            guard let otherwise else { return .undefined("the 'if' expression has no 'else' and its condition is false") }
            return try evaluate(otherwise)
        case .binary(let op, let left, let right):
            return .value(try JinjaOperators.apply(op, try value(left), try value(right)))
        case .filter(let input, let name, let arguments):
            return .value(try JinjaFilters.apply(name, to: evaluate(input), arguments: arguments.values(self), renderer: self))
        case .test(let input, let name, let arguments, let negated):
            let holds = try JinjaTests.apply(name, to: evaluate(input), arguments: arguments.values(self), renderer: self)
            return .value(.bool(holds != negated))
        case .call(let callee, let arguments):
            let values = try arguments.values(self)
            switch callee {
            case .attribute(let base, let method):
                return .value(try JinjaMethods.call(method, on: value(base), arguments: values))
            case .name("range"):
                return .value(try JinjaMethods.range(values.positional))
            case .name(let function):
                throw JinjaFailure("'\(function)(...)' is not supported by haprov's templates (lookups and functions run nothing here; set the value in the inventory)")
            default:
                throw JinjaFailure("this value cannot be called")
            }
        }
    }

    /// `a.b` or `a["b"]`: a dict's key, a list's or string's index; missing is undefined.
    static func member(of container: JinjaOperand, _ name: String) -> JinjaOperand {
        guard case .value(let base) = container else { return container }
        switch base {
        case .map(let entries):
            if let found = entries[name] { return .value(found) }
            return .undefined("'dict object' has no attribute '\(name)'")
        case .list, .string:
            let sequence: [Value]
            if case .list(let items) = base { sequence = items } else { sequence = (try? base.jinjaItems()) ?? [] }
            guard let index = Int(name) else { return .undefined("'\(base.pythonType) object' has no attribute '\(name)'") }
            let position = index < 0 ? sequence.count + index : index
            guard sequence.indices.contains(position) else { return .undefined("\(base.pythonType) index \(index) out of range") }
            return .value(sequence[position])
        case .null:
            return .undefined("'None' has no attribute '\(name)'")
        default:
            return .undefined("'\(base.pythonType) object' has no attribute '\(name)'")
        }
    }

    static func slice(_ container: Value, from: Int?, to: Int?) throws -> Value {
        func bounds(_ count: Int) -> Range<Int> {
            func clamp(_ i: Int) -> Int { max(0, min(count, i < 0 ? count + i : i)) }
            let lower = from.map(clamp) ?? 0
            let upper = to.map(clamp) ?? count
            return lower..<max(lower, upper)
        }
        switch container {
        case .list(let items): return .list(Array(items[bounds(items.count)]))
        case .string(let s):
            let chars = Array(s)
            return .string(String(chars[bounds(chars.count)]))
        default: throw JinjaFailure("'\(container.pythonType)' object is not subscriptable")
        }
    }

    func integer(_ value: Value, _ what: String) throws -> Int {
        switch value {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: throw JinjaFailure("\(what) must be a number, not \(value.pythonRepr)")
        }
    }
}

/// Arguments once evaluated.
struct JinjaValues {
    var positional: [JinjaOperand]
    var named: [String: Value]

    func required(_ index: Int, _ what: String) throws -> Value {
        guard index < positional.count else { throw JinjaFailure("\(what) is missing") }
        return try positional[index].required()
    }

    func optional(_ index: Int, named name: String) throws -> Value? {
        if let value = named[name] { return value }
        guard index < positional.count else { return nil }
        return try positional[index].required()
    }
}

extension JinjaArguments {
    func values(_ renderer: JinjaRenderer) throws -> JinjaValues {
        var named: [String: Value] = [:]
        for argument in self.named { named[argument.name] = try renderer.value(argument.value) }
        return JinjaValues(positional: try positional.map { try renderer.evaluate($0) }, named: named)
    }
}
