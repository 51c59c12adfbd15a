import Foundation
@testable import HaprovCore

/// Opens `LocalTransport`s: the engine runs against this machine in a temp directory.
struct LocalFactory: TransportFactory {
    func connect(_ spec: ConnectionSpec) throws -> any Transport { LocalTransport(hostName: spec.name) }
}

/// Collects events for assertions.
final class CollectingReporter: Reporter, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [EngineEvent] = []
    func report(_ event: EngineEvent) { lock.withLock { stored.append(event) } }
    var results: [TaskResult] {
        lock.withLock { stored.compactMap { if case .task(let r) = $0 { return r } else { return nil } } }
    }
}

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "haprov-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
