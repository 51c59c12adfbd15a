import Foundation

/// One host's job: how to reach it, which roles run there, and its inventory variables.
public struct HostJob: Sendable {
    public var name: String
    public var connection: ConnectionSpec
    public var roles: [Role]
    public var variables: [String: Value]

    public init(name: String, connection: ConnectionSpec, roles: [Role], variables: [String: Value]) {
        self.name = name
        self.connection = connection
        self.roles = roles
        self.variables = variables
    }
}

/// How a run behaves: check mode, tags, parallelism.
public struct EngineOptions: Sendable {
    /// Plan only: change nothing, report what would change.
    public var check = false
    /// Only tasks with one of these tags (a role's name counts as a tag of its tasks).
    public var tags: Set<String> = []
    public var skipTags: Set<String> = []
    /// Hosts at once; nil means all.
    public var forks: Int?
    /// Where `template` looks after a role's own folders.
    public var topLevelTemplates: String?
    public var commandTimeout: Duration = .seconds(1800)
    /// Where each host keeps what haprov changed, for `haprov reset`.
    public var baselineDirectory = Baseline.defaultDirectory

    public init() {}
}

/// What a run did: one recap per host, and the host facts it read (who holds which address,
/// for the VIP check, without another connection).
public struct RunSummary: Sendable {
    public var recaps: [HostRecap]
    public var hostFacts: [String: [String: Value]] = [:]
    public var succeeded: Bool { recaps.allSatisfy { $0.failed == 0 && $0.unreachable == 0 } }
    public var changed: Bool { recaps.contains { $0.changed > 0 } }
}

/// Brings hosts to the state their roles describe, in parallel; one failed host never stops others.
public struct Engine: Sendable {
    public let factory: any TransportFactory
    public let reporter: any Reporter
    public let options: EngineOptions

    public init(factory: any TransportFactory, reporter: any Reporter, options: EngineOptions) {
        self.factory = factory
        self.reporter = reporter
        self.options = options
    }

    public func run(_ jobs: [HostJob]) -> RunSummary {
        reporter.report(.started(hosts: jobs.map(\.name), check: options.check))
        let runs = Parallel.map(jobs, width: options.forks) { job in
            HostRunner(job: job, factory: factory, reporter: reporter, options: options).run()
        }
        let recaps = runs.map(\.recap)
        reporter.report(.finished(recaps))
        return RunSummary(recaps: recaps, hostFacts: Dictionary(uniqueKeysWithValues: zip(jobs.map(\.name), runs.map(\.hostFacts))))
    }
}
