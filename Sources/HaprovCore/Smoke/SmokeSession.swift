import Foundation

/// The smoke tests of a run's stack, on the run's own SSH sessions: `apply` hands over the
/// sessions it kept open, `test` opens one per host on first use. The caller reports the
/// results and writes the reports; this owns the tests and the sessions.
public final class SmokeSession: @unchecked Sendable {
    public let jobs: [HostJob]
    public let topology: SmokeTopology
    private let pool: TransportPool

    /// The stack's topology from the jobs' roles (a problem in a role's smoke.yml is thrown).
    public init(jobs: [HostJob], factory: any TransportFactory, open: [String: any Transport] = [:]) throws {
        self.jobs = jobs
        self.pool = TransportPool(factory: factory, specs: Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.connection) }), open: open)
        do { topology = try SmokeTopology.from(jobs: jobs) } catch {
            pool.closeAll()
            throw error
        }
    }

    /// Runs every test in order; `log` gets each step as it happens, `beforeTest` each test's
    /// kind before it starts (a capture starts there).
    public func run(log: @escaping @Sendable (String) -> Void, beforeTest: (@Sendable (SmokeKind) -> Void)? = nil) -> [SmokeResult] {
        var runner = SmokeRunner(topology: topology, connect: pool.transport(for:), log: log)
        if let beforeTest { runner.beforeTest = beforeTest }
        return runner.run()
    }

    /// What the reports show (configs, addresses, the results), read over the same sessions.
    public func report(inventory: String, results: [SmokeResult]) -> StackReport {
        StackReport.collect(inventory: inventory, jobs: jobs, topology: topology, results: results, connect: pool.transport(for:))
    }

    public func close() { pool.closeAll() }
}

/// One open transport per host, opened on first use and shared (each serialises its calls).
final class TransportPool: @unchecked Sendable {
    private let factory: any TransportFactory
    private let specs: [String: ConnectionSpec]
    private let lock = NSLock()
    private var open: [String: any Transport] = [:]

    init(factory: any TransportFactory, specs: [String: ConnectionSpec], open: [String: any Transport] = [:]) {
        self.factory = factory
        self.specs = specs
        self.open = open
    }

    func transport(for host: String) throws -> any Transport {
        if let existing = lock.withLock({ open[host] }) { return existing }
        guard let spec = specs[host] else { throw SmokeError("\(host) is not in the selected hosts") }
        let transport = try factory.connect(spec)
        lock.withLock { open[host] = transport }
        return transport
    }

    func closeAll() {
        lock.withLock {
            open.values.forEach { $0.close() }
            open.removeAll()
        }
    }
}
