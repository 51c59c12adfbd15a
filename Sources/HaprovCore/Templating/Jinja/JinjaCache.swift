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
        try cached(source, in: \.templates) { try parse(source) }
    }

    func expression(_ source: String, line: Int?, parse: (String, Int?) throws -> JinjaExpression) throws -> JinjaExpression {
        try cached("\(line ?? 0)\u{0}\(source)", in: \.expressions) { try parse(source, line) }
    }

    /// The result kept under `key` in one of the two tables, parsed (outside the lock) when new.
    private func cached<T>(_ key: String, in table: ReferenceWritableKeyPath<JinjaCache, [String: Result<T, JinjaFailure>]>,
                           parse: () throws -> T) throws -> T {
        if let known = lock.withLock({ self[keyPath: table][key] }) { return try known.get() }
        let result: Result<T, JinjaFailure>
        do { result = .success(try parse()) } catch let failure as JinjaFailure { result = .failure(failure) }
        lock.withLock {
            if self[keyPath: table].count >= Self.limit { self[keyPath: table].removeAll() }
            self[keyPath: table][key] = result
        }
        return try result.get()
    }
}
