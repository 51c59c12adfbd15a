import Foundation

/// The rollout's way to every host it must reach: the open transports of the hosts in the run,
/// and, opened on first use, hosts outside it (with `--limit web1`, the balancers where web1 is
/// drained and the VRRP peers asked who holds the VIP).
final class HostTransports: @unchecked Sendable {
    private let factory: any TransportFactory
    /// The run's hosts, read at each use: a host a change moved has a new session.
    private let prepared: [String: () -> any Transport]
    private let context: [String: ConnectionSpec]
    private let lock = NSLock()
    private var opened: [String: any Transport] = [:]
    private var failed: Set<String> = []

    init(factory: any TransportFactory, prepared: [String: () -> any Transport], context: [String: ConnectionSpec]) {
        self.factory = factory
        self.prepared = prepared
        self.context = context
    }

    /// The host's transport; nil when it is neither in the run nor reachable.
    subscript(host: String) -> (any Transport)? {
        if let transport = prepared[host] { return transport() }
        return lock.withLock {
            if let transport = opened[host] { return transport }
            guard let spec = context[host], !failed.contains(host) else { return nil }
            guard let transport = try? factory.connect(spec) else {
                failed.insert(host)
                return nil
            }
            opened[host] = transport
            return transport
        }
    }

    /// Closes what this opened (the run's own transports are closed by the engine).
    func closeOpened() {
        lock.withLock {
            opened.values.forEach { $0.close() }
            opened.removeAll()
        }
    }
}
