import Foundation

extension SecretMasking {
    /// Registers the secret values of every job (role defaults under its variables, templates rendered).
    public static func register(jobs: [HostJob]) {
        let renderer = TemplateRenderer()
        for job in jobs {
            register(secrets(in: job.resolvedVariables(renderer)))
        }
    }
}

/// One host's job: how to reach it, which roles run there, and its variables layer by layer.
public struct HostJob: Sendable {
    public var name: String
    public var connection: ConnectionSpec
    public var roles: [Role]
    public var variables: HostVariables

    public init(name: String, connection: ConnectionSpec, roles: [Role], variables: HostVariables) {
        self.name = name
        self.connection = connection
        self.roles = roles
        self.variables = variables
    }

    /// A job whose variables are given whole (tests, tools).
    public init(name: String, connection: ConnectionSpec, roles: [Role], variables: [String: Value]) {
        self.init(name: name, connection: connection, roles: roles, variables: HostVariables(variables))
    }
}

extension HostJob {
    /// The host's variables as its roles see them: role defaults under the inventory's, with
    /// templated values rendered (facts not yet known stay templates).
    public func resolvedVariables(_ renderer: TemplateRenderer = TemplateRenderer()) -> [String: Value] {
        renderer.resolveVariables(variables.merged(defaults: roles.map(\.defaults)))
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
    /// How changes roll out over a live stack.
    public var rollout = RolloutOptions()
    /// Apply leaves the hosts' sessions open in the summary (the smoke tests reuse them).
    public var keepConnections = false
    /// `--start-at-task`: each host's tasks before the first of this name are left out.
    public var startAtTask: String?
    /// `--step`: asked before each task that would change a host.
    public var step: StepPrompt?

    public init() {}
}

/// How `apply` rolls changes out: by the stack's shape, within the plays' limits.
public struct RolloutOptions: Sendable {
    /// `--serial N`: at most N changing hosts at once, over every play; 0 changes every host at
    /// once with no ordering, drain or hand-over (the behaviour before rollouts, for comparison).
    public var serial: Int?
    /// The plays' own `serial`.
    public var limits: [RolloutPlan.Limit] = []
    public var maxFailPercentage: Int?
    /// Longest wait for a hand-over, a drain or a health gate.
    public var gateTimeout: Double = 30

    public init() {}

    public var allAtOnce: Bool { serial == 0 }
}

/// What a run did: one recap per host, and the host facts it read (who holds which address,
/// for the VIP check, without another connection).
public struct RunSummary: Sendable {
    public var recaps: [HostRecap]
    public var hostFacts: [String: [String: Value]] = [:]
    /// With `EngineOptions.keepConnections`, the hosts' SSH sessions, still open for the smoke
    /// tests that follow; whoever asked closes them.
    public var connections: [String: any Transport] = [:]
    /// Hosts a change moved, and where they answer now (their inventory still has the old address).
    public var addresses: [String: String] = [:]
    /// Check mode: who holds the stack's VIP, from the addresses the hosts reported (nil when
    /// there is no VIP, or not every balancer was selected).
    public var vip: VIPOwnership?
    public var succeeded: Bool { recaps.allSatisfy { $0.failed == 0 && $0.unreachable == 0 } }
    public var changed: Bool { recaps.contains { $0.changed > 0 } }
    /// Nothing differs from the inventory: no task would change, and the VIP is where it should be.
    public var inSync: Bool { !changed && (vip?.isExpected ?? true) }
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

    /// Runs `jobs`; `context` holds the inventory's other hosts (outside `--limit`), which a
    /// rollout reaches to drain a backend or ask who holds a VIP, and never changes.
    public func run(_ jobs: [HostJob], context: [HostJob] = []) -> RunSummary {
        reporter.report(.started(hosts: jobs.map(\.name), check: options.check))
        let summary = options.check ? plan(jobs) : rollOut(jobs, context: context)
        reporter.report(.finished(summary.recaps))
        if let vip = summary.vip { reporter.report(.vip(vip)) }
        return summary
    }

    /// Check mode: every host at once, nothing changes.
    private func plan(_ jobs: [HostJob]) -> RunSummary {
        let runs = Parallel.map(jobs, width: options.forks) { job in
            HostRunner(job: job, factory: factory, reporter: reporter, options: options).run()
        }
        var summary = RunSummary(recaps: runs.map(\.recap), hostFacts: Dictionary(uniqueKeysWithValues: zip(jobs.map(\.name), runs.map(\.hostFacts))))
        summary.vip = Self.vipOwnership(jobs, hostFacts: summary.hostFacts)
        return summary
    }

    /// The VIP must be held by one node, the MASTER (unless nopreempt): read from the addresses
    /// each host reported in its one round trip. Only when every balancer was selected: with a
    /// limit the answer would be partial.
    static func vipOwnership(_ jobs: [HostJob], hostFacts: [String: [String: Value]]) -> VIPOwnership? {
        guard let topology = try? SmokeTopology.from(jobs: jobs, probes: false), topology.vip != nil else { return nil }
        let addresses = hostFacts.mapValues { facts -> [String] in
            guard case .list(let items)? = facts["ansible_all_ipv4_addresses"] else { return [] }
            return items.compactMap { if case .string(let address) = $0 { address } else { nil } }
        }
        return VIPOwnership.from(topology, addresses: addresses)
    }

    /// Apply: every host prepared at once (connection, facts, health probes in one round trip);
    /// hosts with nothing to change finish at once, the others roll out by the stack's shape.
    private func rollOut(_ jobs: [HostJob], context: [HostJob]) -> RunSummary {
        let inRun = Set(jobs.map(\.name))
        let others = context.filter { !inRun.contains($0.name) }
        let shape = Self.shape(of: jobs + others)
        if !shape.problems.isEmpty {
            for problem in shape.problems {
                reporter.report(.task(TaskResult(host: problem.split(separator: ":").first.map(String.init) ?? "-", role: "rollout", task: "health probes",
                                                 status: .failed, changes: [], diffs: [], message: problem, isHandler: false, seconds: 0)))
            }
            return RunSummary(recaps: jobs.map { var r = HostRecap(host: $0.name); r.failed = 1; return r })
        }
        let runners = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, HostRunner(job: $0, factory: factory, reporter: reporter, options: options)) })
        let prepared = Parallel.map(jobs, width: options.forks) { job in
            runners[job.name]!.prepare(extraQueries: Self.rolloutQueries(job.name, shape: shape))
        }
        var recaps: [String: HostRecap] = [:]
        var hosts: [String: PreparedHost] = [:]
        for (job, result) in zip(jobs, prepared) {
            switch result {
            case .success(let host): hosts[job.name] = host
            case .failure(let failure): recaps[job.name] = failure.recap
            }
        }
        let ready = hosts
        let keep = options.keepConnections
        defer { if !keep { ready.values.forEach { $0.transport.close() } } }
        let names = jobs.map(\.name).filter { hosts[$0] != nil }
        let previews = Dictionary(uniqueKeysWithValues: names.map { ($0, runners[$0]!.preview(hosts[$0]!)) })
        let holders = Set(names.filter { name in
            guard let group = shape.vipGroup(of: name), case .list(let items)? = hosts[name]?.hostFacts["ansible_all_ipv4_addresses"] else { return false }
            return items.contains(.string(group.vip))
        })
        let changing = names.filter { previews[$0]?.changes == true }
        let unchanged = names.filter { previews[$0]?.changes != true }
        let observed = ready.mapValues { host in
            RolloutObservation(stat: host.facts.outputs[Self.statKey].flatMap { $0.exitStatus == 0 ? $0.text : nil },
                               handover: host.facts.outputs[Self.handoverKey].flatMap { Int($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) })
        }
        let leftovers = observed.values.contains { ($0.handover ?? 0) != 0 || ($0.stat.map { $0.contains(",DRAIN,") || $0.contains(",MAINT") } ?? false) }
        // Which hosts serve now: their roles' health probes, asked only when something will change
        // or an earlier run left traffic away (a no-change run keeps its single round trip).
        let serving: Set<String> = (changing.isEmpty && !leftovers) || options.rollout.allAtOnce ? [] : Set(Parallel.map(names) { name -> String? in
            let probes = (shape.probes[name] ?? []).enumerated().map(Self.probeQuery)
            guard !probes.isEmpty else { return name }
            guard let host = ready[name], let facts = try? FactGatherer.gather(probes, on: host.transport) else { return nil }
            return probes.allSatisfy { facts.outputs[$0.key]?.exitStatus == 0 } ? name : nil
        }.compactMap { $0 })
        let plan = options.rollout.allAtOnce ? RolloutPlan(batches: changing.isEmpty ? [] : [changing])
            : RolloutPlan.make(changing: changing, serving: serving, holders: holders, shape: shape,
                               limits: options.rollout.serial.map { [RolloutPlan.Limit(hosts: Set(changing), limit: $0)] } ?? options.rollout.limits)
        if !plan.batches.isEmpty {
            reporter.report(.rollout(.plan(batches: plan.batches, groups: options.rollout.allAtOnce ? [] : shape.groups, unchanged: unchanged)))
        }
        // Nothing to change: these hosts only confirm their state, all at once.
        let quiet = Parallel.map(unchanged, width: options.forks) { runners[$0]!.apply(ready[$0]!) }
        for (name, recap) in zip(unchanged, quiet) { recaps[name] = recap }
        let transports = HostTransports(factory: factory, prepared: ready.mapValues { host in { host.transport } },
                                        context: Dictionary(uniqueKeysWithValues: others.map { ($0.name, $0.connection) }))
        defer { transports.closeOpened() }
        let rollout = Rollout(shape: shape, options: options.rollout, reporter: reporter, transports: transports,
                              serving: serving, previews: previews, observed: observed, holdersAtStart: holders)
        let applied = rollout.run(plan, changing: changing) { name in runners[name]!.apply(ready[name]!) }
        recaps.merge(applied) { _, new in new }
        for name in changing where recaps[name] == nil {
            // Left untouched by a stopped rollout: its tasks never ran.
            var recap = HostRecap(host: name)
            recap.skipped = hosts[name]?.tasks.count ?? 0
            recaps[name] = recap
        }
        return RunSummary(recaps: jobs.map { recaps[$0.name] ?? HostRecap(host: $0.name) },
                          hostFacts: hosts.mapValues(\.hostFacts), connections: keep ? ready.mapValues(\.transport) : [:],
                          addresses: Dictionary(uniqueKeysWithValues: jobs.compactMap { job in
                              hosts[job.name].flatMap { $0.address == job.connection.address ? nil : (job.name, $0.address) } }))
    }

    /// The stack's shape from the jobs' roles and variables (role defaults under host variables).
    static func shape(of jobs: [HostJob]) -> StackShape {
        let renderer = TemplateRenderer()
        var variables: [String: [String: Value]] = [:]
        for job in jobs {
            variables[job.name] = job.resolvedVariables(renderer)
        }
        return StackShape.from(hosts: jobs.map(\.name), roles: Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.roles) }),
                               variables: variables, renderer: renderer)
    }

    static let statKey = "rollout:haproxy-stat"
    static let handoverKey = "rollout:vip-handover"

    /// What the rollout reads in the first round trip: where an earlier run that stopped may have
    /// left traffic away (servers drained on a balancer, a VIP handed over).
    static func rolloutQueries(_ host: String, shape: StackShape) -> [FactQuery] {
        var queries: [FactQuery] = []
        if let socket = shape.fronts.values.joined().first(where: { $0.balancer == host && $0.drain == .haproxy })?.socket {
            queries.append(FactQuery(key: statKey, command: TrafficControl.haproxyStatIfMarked(socket: socket), ownShell: false))
        }
        if let group = shape.vipGroup(of: host) {
            queries.append(FactQuery(key: handoverKey, command: TrafficControl.readHandover(file: group.handoverFile), ownShell: false))
        }
        return queries
    }

    /// Keyed by position too: two roles' gates of the same name on one host both run.
    static func probeQuery(_ index: Int, _ probe: StackShape.Probe) -> FactQuery {
        FactQuery(key: "health:\(index):\(probe.name)", command: probe.command)
    }
}
