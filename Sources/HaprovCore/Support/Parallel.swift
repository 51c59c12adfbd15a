import Foundation

/// Runs blocking work (SSH round trips) for many hosts at once on dedicated threads.
///
/// Swift's cooperative pool has one thread per core (two here), so blocking calls there would
/// serialise hosts; each item gets its own thread instead, at most `width` at a time.
public enum Parallel {
    public static func map<T: Sendable, R: Sendable>(
        _ items: [T], width: Int? = nil, _ body: @escaping @Sendable (T) -> R
    ) -> [R] {
        if items.isEmpty { return [] }
        let limit = max(1, min(width ?? items.count, items.count))
        let results = ResultBox<R>(count: items.count)
        let slots = DispatchSemaphore(value: limit)
        let group = DispatchGroup()
        for (index, item) in items.enumerated() {
            slots.wait()
            group.enter()
            let thread = Thread {
                results.set(index, body(item))
                slots.signal()
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return results.values()
    }
}

private final class ResultBox<R>: @unchecked Sendable {
    private var storage: [R?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: R) { lock.withLock { storage[index] = value } }
    func values() -> [R] { lock.withLock { storage.map { $0! } } }
}
