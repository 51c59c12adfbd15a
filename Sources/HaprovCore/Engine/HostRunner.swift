import Foundation

/// Runs one host's tasks: facts of every task in one round trip, plan, apply, handlers.
///
/// Facts are read again only before a task that follows a change, because a change (a package
/// installed, a file written) can alter what later tasks see.
struct HostRunner {
    let job: HostJob
    let factory: any TransportFactory
    let reporter: any Reporter
    let options: EngineOptions
    let renderer = TemplateRenderer()
    var pending: PendingHandlers { PendingHandlers(baselineDirectory: options.baselineDirectory) }

    /// The recap, and the host facts read in the first round trip (empty when unreachable).
    func run() -> (recap: HostRecap, hostFacts: [String: Value]) {
        switch prepare() {
        case .failure(let failure):
            return (failure.recap, [:])
        case .success(let host):
            defer { host.transport.close() }
            let recap = apply(host)
            return (recap, host.hostFacts)
        }
    }

    /// Connects, binds the tasks and gathers every fact in the first round trip (plus
    /// `extraQueries`, e.g. the rollout's health probes). A failure comes back as the recap.
    func prepare(extraQueries: [FactQuery] = []) -> Result<PreparedHost, HostRecapFailure> {
        var recap = HostRecap(host: job.name)
        let transport: any Transport
        do {
            transport = try factory.connect(job.connection)
        } catch {
            recap.unreachable = 1
            var message = "\(error)"
            if let moved = movedAddress() {
                message += "\n  \(job.name) answers at \(moved), the address its network configuration gives it: an earlier apply moved it. "
                    + "Set its ansible_host to \(moved) in the inventory (apply --write-back does this when it moves a host)"
            }
            reporter.report(.unreachable(host: job.name, error: message))
            return .failure(HostRecapFailure(recap: recap))
        }
        do {
            return .success(try gather(on: transport, extraQueries: extraQueries))
        } catch {
            fail(&recap, error)
            recap.roundTrips = transport.roundTrips
            transport.close()
            return .failure(HostRecapFailure(recap: recap))
        }
    }

    /// Where the host's network tasks move it, when that is not its inventory address and the
    /// same host key answers there (known_hosts learnt it when haprov followed the move).
    private func movedAddress() -> String? {
        let variables = job.resolvedVariables(renderer)
        let targets = job.roles.flatMap(\.tasks).filter { $0.module == NetworkConfigModule.name }.compactMap { task -> String? in
            guard let raw = task.args["address"], let address = (try? renderer.renderValue(raw, name: task.location, variables: variables))?.plainString,
                  address != job.connection.address, !address.contains("{{") else { return nil }
            return address
        }
        for address in Set(targets).sorted() {
            var spec = job.connection
            spec.address = address
            spec.connectTimeout = .seconds(3)
            if let transport = try? factory.connect(spec) {
                transport.close()
                return address
            }
        }
        return nil
    }

    /// Runs the prepared host's tasks and handlers; the transport stays open for the caller.
    func apply(_ host: PreparedHost) -> HostRecap {
        var recap = host.recap
        do {
            try execute(host, recap: &recap)
        } catch {
            fail(&recap, error)
        }
        recap.roundTrips = host.earlierRoundTrips + host.transport.roundTrips
        return recap
    }

    /// What the host would change with the facts of the first round trip: the tasks whose plan
    /// is not empty and the handlers they notify. A task that cannot be planned yet (it needs
    /// an earlier change) counts as a change of unknown extent.
    func preview(_ host: PreparedHost) -> ChangePreview {
        var preview = ChangePreview()
        let leftPending = pendingHandlers(host)
        if !leftPending.isEmpty {
            preview.tasks.append("handlers left pending by an earlier run")
            preview.handlers.formUnion(leftPending)
        }
        for task in host.tasks {
            guard (try? task.shouldRun(renderer: renderer)) != false else { continue }
            guard let module = task.module, let plan = try? module.plan(host.facts) else {
                preview.tasks.append(task.label)
                preview.names.insert(task.task.name)
                preview.uncertain = true
                continue
            }
            if !plan.isEmpty {
                preview.tasks.append(task.label)
                preview.names.insert(task.task.name)
                preview.handlers.formUnion(task.task.notify)
            }
        }
        return preview
    }

    private func fail(_ recap: inout HostRecap, _ error: Error) {
        if let error = error as? TransportError {
            // The connection died mid-run: the host is unreachable from here on.
            recap.unreachable = 1
            reporter.report(.unreachable(host: job.name, error: error.description))
        } else {
            recap.failed += 1
            reporter.report(.task(TaskResult(host: job.name, role: "-", task: "-", status: .failed, changes: [], diffs: [],
                                             message: "\(error)", isHandler: false, seconds: 0)))
        }
    }

    private func gather(on transport: any Transport, extraQueries: [FactQuery]) throws -> PreparedHost {
        var scopes = ResolvedScopes()
        var tasks = job.roles.flatMap { role in
            BoundTask.bind(role.tasks, role: role, variables: job.variables.merged(defaults: [role.defaults]),
                           renderer: renderer, topLevelTemplates: options.topLevelTemplates, hostName: job.name, scopes: &scopes)
        }.filter(selectedByTags)
        if let start = options.startAtTask {
            tasks = tasks.firstIndex { $0.task.name == start }.map { Array(tasks[$0...]) } ?? []
        }

        // Round trip 1: host facts plus the facts of every task that could already be built and
        // may run (a task whose `when:` is already false needs none).
        let first = [BaseFacts.query, pending.query] + extraQueries + factQueries(tasks)
        let known = FactCache.load(for: job.connection)
        var cache = known
        defer { if cache != known { cache.save() } }
        var facts = try FactGatherer.gather(first, on: transport, cache: &cache)
        let hostFacts = BaseFacts.variables(from: try facts.output(BaseFacts.query))

        // With host facts known, rebuild tasks that needed them; gather what those add.
        for index in tasks.indices {
            tasks[index].learn(hostFacts, kept: Set(job.variables.extra.keys), renderer: renderer, scopes: &scopes)
            if tasks[index].module == nil {
                tasks[index].build(renderer: renderer, topLevelTemplates: options.topLevelTemplates, hostName: job.name)
            }
        }
        let missing = FactGatherer.stillToAsk(factQueries(tasks), after: first)
        if !missing.isEmpty {
            facts.outputs.merge(try FactGatherer.gather(missing, on: transport, cache: &cache).outputs) { _, new in new }
        }
        return PreparedHost(transport: transport, address: job.connection.address, tasks: tasks, facts: facts, hostFacts: hostFacts, recap: HostRecap(host: job.name))
    }

    /// The facts the tasks' modules need, leaving out tasks whose `when:` is known to be false.
    private func factQueries<Tasks: Sequence<BoundTask>>(_ tasks: Tasks) -> [FactQuery] {
        tasks.filter { (try? $0.shouldRun(renderer: renderer)) != false }.compactMap(\.module).flatMap(\.facts)
    }

    private func execute(_ host: PreparedHost, recap: inout HostRecap) throws {
        let tasks = host.tasks
        var facts = host.facts
        defer { host.facts = facts }
        // Handlers an earlier run notified but never ran (it was killed or cut off) run now.
        let leftPending = pendingHandlers(host)
        var notified = leftPending
        if !leftPending.isEmpty {
            let result = TaskResult(host: job.name, role: "-", task: "handlers left pending by an earlier run", status: .changed,
                                    changes: leftPending.sorted().map { "run handler: \($0)" }, diffs: [],
                                    message: "an earlier run changed this host and stopped before its handlers ran", isHandler: false, seconds: 0)
            reporter.report(.task(result))
            tally(result, into: &recap)
        }
        var stale = false
        for index in tasks.indices {
            let outcome = try perform(tasks[index], facts: &facts, stale: &stale, remaining: tasks[index...], on: host)
            tally(outcome, into: &recap)
            if outcome.status == .changed { notified.formUnion(tasks[index].task.notify) }
            if outcome.status == .failed, !tasks[index].task.ignoreErrors { return }
        }
        let handled = try runHandlers(notified, facts: &facts, on: host, recap: &recap, hostFacts: host.hostFacts)
        if handled, !options.check, !notified.isEmpty {
            // Recorded as the tasks' user (root with become): removed as root too.
            let clear = try host.transport.run(pending.clear, stdin: nil, timeout: .seconds(30))
            if !clear.succeeded, let root = try? elevated(host.transport) {
                _ = try root.run(pending.clear, stdin: nil, timeout: .seconds(30))
            }
        }
    }

    /// Pending handler names that some role of this host has.
    private func pendingHandlers(_ host: PreparedHost) -> Set<String> {
        let names = pending.names(in: host.facts)
        let known = Set(job.roles.flatMap { $0.handlers.flatMap { [$0.name] + $0.listen } })
        return names.intersection(known)
    }

    /// Runs the notified handlers; false when one failed.
    private func runHandlers(_ notified: Set<String>, facts: inout HostFacts, on host: PreparedHost,
                             recap: inout HostRecap, hostFacts: [String: Value]) throws -> Bool {
        guard !notified.isEmpty else { return true }
        var handlers: [BoundTask] = []
        var scopes = ResolvedScopes()
        for role in job.roles {
            let chosen = role.handlers.filter { notified.contains($0.name) || !notified.isDisjoint(with: $0.listen) }
            let variables = job.variables.with(facts: hostFacts).merged(defaults: [role.defaults])
            handlers += BoundTask.bind(chosen, role: role, variables: variables, renderer: renderer,
                                       topLevelTemplates: options.topLevelTemplates, hostName: job.name, isHandler: true, scopes: &scopes)
        }
        var stale = true
        for index in handlers.indices {
            let outcome = try perform(handlers[index], facts: &facts, stale: &stale, remaining: handlers[index...], on: host)
            tally(outcome, into: &recap)
            if outcome.status == .failed { return false }
        }
        return true
    }

    /// Plans one task and, unless in check mode, applies the plan. Reports the result.
    private func perform(_ task: BoundTask, facts: inout HostFacts, stale: inout Bool,
                         remaining: ArraySlice<BoundTask>, on host: PreparedHost) throws -> TaskResult {
        let start = Date()
        var result = TaskResult(host: job.name, role: task.role.name, task: task.label, status: .ok, changes: [], diffs: [],
                                message: nil, isHandler: task.isHandler, seconds: 0)
        func finish(_ status: TaskStatus, _ message: String? = nil) -> TaskResult {
            result.status = status
            result.message = message
            result.seconds = Date().timeIntervalSince(start)
            reporter.report(.task(result))
            return result
        }
        do {
            guard try task.shouldRun(renderer: renderer) else { return finish(.skipped, "condition false: \(task.task.when.joined(separator: " and "))") }
        } catch {
            return finish(.failed, "when: \(error)")
        }
        guard let module = task.module else {
            return finish(.failed, task.pendingError.map { Diagnostic.from($0, at: task.task.location).description } ?? "\(task.task.location): cannot build task")
        }
        if stale {
            // Something changed earlier: read again the facts of this and every later task.
            let queries = factQueries(remaining)
            facts.outputs.merge(try FactGatherer.gather(queries, on: host.transport).outputs) { _, new in new }
            stale = false
        }
        let plan: Plan
        do { plan = try module.plan(facts) } catch {
            return finish(.failed, Diagnostic.from(error, at: task.task.location).description)
        }
        if plan.isEmpty {
            // In check mode a handler is reported as what it would do, like any other change.
            return finish(.ok)
        }
        result.changes = plan.changes.map(\.summary)
        result.diffs = plan.changes.compactMap(\.diff)
        let target: any Transport
        do { target = try identity(for: task, base: host.transport) } catch {
            return finish(.failed, "become: \(error)")
        }
        if options.check {
            for change in plan.changes {
                guard let checkScript = change.checkScript else { continue }
                let run = try target.run(checkScript, stdin: change.stdin, timeout: options.commandTimeout)
                if !run.succeeded { return finish(.failed, run.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            return finish(.changed)
        }
        if let step = options.step, !step.confirm(host: job.name, task: task.isHandler ? "handler \(task.label)" : "\(task.role.name) | \(task.label)",
                                                  changes: result.changes) {
            return finish(.skipped, "not performed (--step)")
        }
        for change in plan.changes {
            let run = try runReportingProgress(change, label: task.label, on: target,
                                               notifying: task.isHandler ? [] : task.task.notify)
            if !run.succeeded {
                stale = true
                let detail = [run.stderrText, run.stdoutText].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
                return finish(.failed, "\(change.summary) failed (exit \(run.exitStatus))" + (detail.isEmpty ? "" : ":\n" + detail.joined(separator: "\n")))
            }
            if let reconnect = change.reconnect {
                stale = true
                if let failure = try follow(host, to: reconnect, task: task) { return finish(.failed, failure) }
            }
        }
        stale = true
        return finish(.changed)
    }

    /// The transport with the task's `become` applied on top of the host's.
    /// The host's transport with become on, when the login user is not the become user.
    func elevated(_ base: any Transport) throws -> any Transport {
        try Become.transport(base, spec: job.connection, wanted: true)
    }

    /// The transport for a task: its own `become:` over the host's (see `Become`).
    func identity(for task: BoundTask, base: any Transport) throws -> any Transport {
        task.task.become == nil ? base : try Become.transport(base, spec: job.connection, wanted: task.task.become)
    }

    private func runReportingProgress(_ change: Change, label: String, on transport: any Transport, notifying: [String]) throws -> CommandResult {
        let base = change.scriptRecordingBaseline(in: options.baselineDirectory)
        let script = notifying.isEmpty ? base : pending.record(notifying) + "\n" + base
        guard change.slow else { return try transport.run(script, stdin: change.stdin, timeout: options.commandTimeout) }
        let done = DispatchSemaphore(value: 0)
        let host = job.name
        let reporter = self.reporter
        let ticker = Thread {
            var seconds = 0
            while done.wait(timeout: .now() + 10) == .timedOut {
                seconds += 10
                reporter.report(.progress(host: host, task: label, seconds: seconds))
            }
        }
        ticker.start()
        defer { done.signal() }
        return try transport.run(script, stdin: change.stdin, timeout: options.commandTimeout)
    }

    private func selectedByTags(_ task: BoundTask) -> Bool {
        let tags = Set(task.task.tags + [task.role.name])
        if !options.tags.isEmpty, tags.isDisjoint(with: options.tags) { return false }
        return tags.isDisjoint(with: options.skipTags)
    }

    private func tally(_ result: TaskResult, into recap: inout HostRecap) {
        switch result.status {
        case .ok: recap.ok += 1
        case .changed: recap.changed += 1; recap.ok += 1
        case .failed: recap.failed += 1
        case .skipped: recap.skipped += 1
        }
    }
}

/// A connected host with its tasks bound and its first facts read, between `prepare` and `apply`.
final class PreparedHost: @unchecked Sendable {
    /// The open session; replaced when a change moves the host to a new address.
    var transport: any Transport
    /// Where the host answers now (its inventory address until a change moves it).
    var address: String
    /// Round trips of sessions closed since (a host that moved had one before the move).
    var earlierRoundTrips = 0

    /// Closes a session the host no longer uses, keeping its round trips in the count.
    func retire(_ session: any Transport) {
        earlierRoundTrips += session.roundTrips
        session.close()
    }
    let tasks: [BoundTask]
    var facts: HostFacts
    let hostFacts: [String: Value]
    let recap: HostRecap

    init(transport: any Transport, address: String, tasks: [BoundTask], facts: HostFacts, hostFacts: [String: Value], recap: HostRecap) {
        self.transport = transport
        self.address = address
        self.tasks = tasks
        self.facts = facts
        self.hostFacts = hostFacts
        self.recap = recap
    }
}

/// A host that could not be prepared (unreachable, facts unreadable): its recap says why.
struct HostRecapFailure: Error {
    var recap: HostRecap
}

/// What a host is about to change, known before the first change anywhere.
public struct ChangePreview: Sendable, Equatable {
    /// Tasks whose plan is not empty (labels).
    public var tasks: [String] = []
    /// Their names as written in the role (without loop items).
    public var names: Set<String> = []
    /// Handlers those tasks notify.
    public var handlers: Set<String> = []
    /// Some task could not be planned before an earlier change: assume the worst.
    public var uncertain = false
    public var changes: Bool { !tasks.isEmpty }
    public init() {}
}
