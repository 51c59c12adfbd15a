import Foundation

/// Parsed templates and expressions by their text: a run renders the same few templates (a
/// role's variables, task arguments, `when:` conditions) for every host and every scope, and
/// parsing them again each time was a sixth of `haprov check`'s own CPU. Failures are kept too
/// (parsing is deterministic); the cache is bounded so a long-lived process cannot grow it forever.
final class JinjaCache: @unchecked Sendable {
    static let shared = JinjaCache()
    static let limit = 20_000

    private let lock = NSLock()
    private var templates: [String: Result<[JinjaNode], JinjaFailure>] = [:]
    private var expressions: [String: Result<JinjaExpression, JinjaFailure>] = [:]

    func template(_ source: String, parse: (String) throws -> [JinjaNode]) throws -> [JinjaNode] {
        if let known = lock.withLock({ templates[source] }) { return try known.get() }
        let result: Result<[JinjaNode], JinjaFailure>
        do { result = .success(try parse(source)) } catch let failure as JinjaFailure { result = .failure(failure) }
        lock.withLock {
            if templates.count >= Self.limit { templates.removeAll() }
            templates[source] = result
        }
        return try result.get()
    }

    func expression(_ source: String, line: Int?, parse: (String, Int?) throws -> JinjaExpression) throws -> JinjaExpression {
        let key = "\(line ?? 0)\u{0}\(source)"
        if let known = lock.withLock({ expressions[key] }) { return try known.get() }
        let result: Result<JinjaExpression, JinjaFailure>
        do { result = .success(try parse(source, line)) } catch let failure as JinjaFailure { result = .failure(failure) }
        lock.withLock {
            if expressions.count >= Self.limit { expressions.removeAll() }
            expressions[key] = result
        }
        return try result.get()
    }
}
