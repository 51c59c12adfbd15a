import Foundation

/// Proves a stack works the way the seeds test it by hand: round robin, stats page, failover of
/// a web server and its recovery, VIP failover and failback, the client's address in
/// transparent mode. Every test restores what it stopped, pass or fail.
public struct SmokeRunner: Sendable {
    public let topology: SmokeTopology
    /// Opens (or returns the already open) transport of an inventory host.
    public let connect: @Sendable (String) throws -> any Transport
    public let log: @Sendable (String) -> Void
    /// Called as each test starts (a packet capture around the VIP failover).
    public var beforeTest: @Sendable (SmokeKind) -> Void = { _ in }

    public init(topology: SmokeTopology, connect: @escaping @Sendable (String) throws -> any Transport, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.topology = topology
        self.connect = connect
        self.log = log
    }

    public func run() -> [SmokeResult] {
        var results: [SmokeResult] = []
        func attempt(_ kind: SmokeKind, subject: String? = nil, _ body: () throws -> SmokeResult) {
            log("smoke: " + Phrasebook(.en).testName(kind, subject: subject))
            beforeTest(kind)
            let start = Date()
            var result: SmokeResult
            do { result = try body() } catch {
                result = SmokeResult(kind: kind, subject: subject, passed: false, note: Note("error", ["\(error)"]))
            }
            result.seconds = Date().timeIntervalSince(start)
            results.append(result)
        }
        let url = "http://\(topology.front)\(topology.frontPort == 80 ? "" : ":\(topology.frontPort)")/"
        // Right after an apply, HAProxy's health checks may not have marked every server up yet.
        waitUntilEveryServerAnswers(url: url, within: 20)
        attempt(.roundRobin) { try roundRobin(url: url) }
        if let stats = topology.statsURL { attempt(.statsPage) { try statsPage(stats) } }
        if topology.transparent { attempt(.clientAddress) { try clientAddress(url: url) } }
        // The roles' own probes, before the failover tests stop anything.
        for probe in topology.probes { attempt(.probe, subject: probe.title) { try roleProbe(probe) } }
        if topology.webServers.count >= 2 {
            let victim = topology.webServers[0].host
            attempt(.webFailover, subject: victim) { try webFailover(url: url) }
            attempt(.webRecovery, subject: victim) { try webRecovery(url: url) }
        }
        if topology.vip != nil, topology.balancers.count >= 2 {
            attempt(.vipHolder) { try vipHolder() }
            attempt(.vipFailover) { try vipFailover(url: url) }
        }
        return results
    }

    private func waitUntilEveryServerAnswers(url: String, within seconds: Double) {
        let expected = Set(topology.webServers.map(\.answersAs))
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            // A probe that cannot run yet is one more reason to wait, not to stop waiting (the
            // round-robin test then saw only the servers HAProxy had marked up so far).
            if let client = try? connect(topology.client), let answers = try? Probe(client: client, url: url).burst(2 * expected.count),
               answers.failures == 0 && Set(answers.servers) == expected { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    private func roundRobin(url: String) throws -> SmokeResult {
        let answers = try Probe(client: try connect(topology.client), url: url).burst(6)
        let servers = answers.servers
        let expected = Set(topology.webServers.map(\.answersAs))
        let alternates = zip(servers, servers.dropFirst()).allSatisfy { $0 != $1 }
        let allSeen = Set(servers) == expected
        let passed = answers.failures == 0 && allSeen && (!topology.expectsAlternation || alternates)
        let note = passed ? (topology.expectsAlternation ? Note("rr.alternation", ["\(expected.count)"]) : Note("rr.all"))
            : Note("rr.bad", [servers.joined(separator: ", "), "\(answers.failures)"])
        return SmokeResult(kind: .roundRobin, passed: passed, note: note, evidence: answers.map(describe))
    }

    private func statsPage(_ statsURL: String) throws -> SmokeResult {
        let client = try connect(topology.client)
        var auth = ""
        if let user = topology.statsUser, let password = topology.statsPassword { auth = "-u \(Shell.quote(user + ":" + password))" }
        let result = try client.run("curl -s -m 5 \(auth) -w '\\n@@%{http_code}' \(Shell.quote(statsURL))", timeout: .seconds(30))
        let text = result.stdoutText
        let status = text.components(separatedBy: "@@").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        let passed = status == 200 && text.contains("Statistics Report")
        return SmokeResult(kind: .statsPage, passed: passed, note: passed ? Note("stats.ok", [statsURL]) : Note("stats.bad", [statsURL, "\(status)"]))
    }

    private func clientAddress(url: String) throws -> SmokeResult {
        let answers = try Probe(client: try connect(topology.client), url: url).burst(4)
        let seen = Set(answers.compactMap(\.seenClient))
        let expected = topology.clientAddress ?? "?"
        let passed = answers.failures == 0 && seen == [expected]
        return SmokeResult(kind: .clientAddress, passed: passed,
                           note: passed ? Note("client.ok", [expected]) : Note("client.bad", [seen.sorted().joined(separator: ", "), expected]),
                           evidence: answers.map(describe))
    }

    private func webFailover(url: String) throws -> SmokeResult {
        let victim = topology.webServers[0]
        let others = Set(topology.webServers.dropFirst().map(\.answersAs))
        let web = try connect(victim.host)
        let client = Probe(client: try connect(topology.client), url: url)
        // Requests every 0.1 s from 2 s before the stop until 8 s after (health checks: ~2 s).
        let fault = Moments()
        let answers = try concurrently(probe: client, seconds: 10) {
            Thread.sleep(forTimeInterval: 2)
            fault.mark("fault", "")
            let stop = try web.run(victim.stopCommand, timeout: .seconds(60))
            guard stop.succeeded else { throw SmokeError("cannot stop the app on \(victim.host): \(stop.stderrText)") }
        }
        let faultAt = fault.first("fault") ?? 0
        let afterFault = answers.filter { $0.millis >= faultAt }
        let converged = afterFault.lastIndex { !($0.ok && others.contains($0.server)) }.map { $0 + 1 } ?? 0
        let convergedAt = converged < afterFault.count ? afterFault[converged].millis : nil
        if let convergedAt { fault.mark("left", victim.host, at: convergedAt) }
        let after = try client.burst(4)
        let passed = after.failures == 0 && after.allSatisfy { others.contains($0.server) }
        let note = passed
            ? Note("failover.ok", [others.sorted().joined(separator: ", "), convergedAt.map { String(format: "%.1f", Double($0 - faultAt) / 1000) } ?? "?", "\(afterFault.failures)"])
            : Note("failover.bad", [victim.host, after.map(describe).joined(separator: "; ")])
        return SmokeResult(kind: .webFailover, subject: victim.host, passed: passed, note: note, evidence: after.map(describe),
                           timeline: Self.timeline(answers, fault))
    }

    private func webRecovery(url: String) throws -> SmokeResult {
        let victim = topology.webServers[0]
        let web = try connect(victim.host)
        let client = Probe(client: try connect(topology.client), url: url)
        let moments = Moments()
        let waiting = try concurrently(probe: client, seconds: 9) {
            Thread.sleep(forTimeInterval: 1)
            moments.mark("restore", "")
            let start = try web.run(victim.startCommand, timeout: .seconds(60))
            guard start.succeeded else { throw SmokeError("cannot start the app on \(victim.host): \(start.stderrText)") }
        }
        let restoredAt = moments.first("restore") ?? 0
        let back = waiting.first { $0.server == victim.answersAs && $0.millis >= restoredAt }
        if let back { moments.mark("rejoined", victim.host, at: back.millis) }
        let answers = try client.burst(6)
        let servers = answers.servers
        let passed = back != nil && answers.failures == 0 && Set(servers) == Set(topology.webServers.map(\.answersAs))
        let seconds = back.map { Double($0.millis - restoredAt) / 1000 }
        return SmokeResult(kind: .webRecovery, subject: victim.host, passed: passed,
                           note: passed ? Note("recovery.ok", [victim.answersAs, String(format: "%.1f", seconds ?? 0)]) : Note("recovery.bad", [servers.joined(separator: ", ")]),
                           evidence: answers.map(describe), timeline: Self.timeline(waiting, moments))
    }

    private func roleProbe(_ probe: RoleProbe) throws -> SmokeResult {
        let result = try connect(probe.runsOn).run(probe.command, timeout: .seconds(Int(probe.timeoutSeconds.rounded(.up)) + 10))
        let seen = RoleProbe.summary(result.stdoutText + result.stderrText)
        let lines = result.stdoutText.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("@@") }
        return SmokeResult(kind: .probe, subject: probe.title, passed: result.succeeded,
                           note: Note(result.succeeded ? "probe.ok" : "probe.bad", [probe.runsOn, seen]), evidence: Array(lines.suffix(3)))
    }

    /// Which balancers hold the VIP now.
    private func holders() throws -> [String] {
        guard let vip = topology.vip else { return [] }
        return try topology.balancers.compactMap { balancer in
            let result = try connect(balancer.host).run(TrafficControl.holdsVIP(vip), timeout: .seconds(30))
            return result.stdoutText.hasPrefix("yes") ? balancer.host : nil
        }
    }

    private func vipHolder() throws -> SmokeResult {
        guard let ownership = try VIPOwnership.observe(topology, connect: connect) else { throw SmokeError("no VIP to check") }
        return SmokeResult(kind: .vipHolder, passed: ownership.isExpected, note: ownership.note)
    }

    private func vipFailover(url: String) throws -> SmokeResult {
        guard let holder = try holders().first, let node = topology.balancers.first(where: { $0.host == holder }) else {
            throw SmokeError("no node holds the VIP")
        }
        let clientTransport = try connect(topology.client)
        let nodeTransport = try connect(node.host)
        let moments = Moments()
        // Requests run on the client for 20 s while the service stops on the holder (at 2 s) and
        // starts again (at 11 s); who holds the VIP is watched meanwhile.
        let answers = try concurrently(probe: Probe(client: clientTransport, url: url), seconds: 20) {
            Thread.sleep(forTimeInterval: 2)
            moments.mark("fault", node.host)
            _ = try nodeTransport.run("systemctl stop \(node.service)", timeout: .seconds(60))
            let newHolders = try self.watchHolders(from: [node.host], until: { $0.count == 1 && $0[0] != node.host }, seconds: 8, moments: moments)
            moments.keep("moved", newHolders)
            Thread.sleep(until: Date(timeIntervalSince1970: Double(moments.first("fault") ?? 0) / 1000 + 9))
            moments.mark("restore", node.host)
            _ = try nodeTransport.run("systemctl start \(node.service)", timeout: .seconds(60))
            let expected = self.topology.nopreempt ? newHolders : [node.host]
            moments.keep("final", try self.watchHolders(from: newHolders, until: { $0 == expected }, seconds: 7, moments: moments))
        }
        let newHolders = moments.kept("moved"), finalHolders = moments.kept("final")
        let restoreAt = moments.first("restore") ?? Int.max
        let failover = answers.filter { $0.millis < restoreAt }
        let failback = answers.filter { $0.millis >= restoreAt }
        let evidence = ["after stopping \(node.service) on \(node.host): VIP on \(newHolders.joined(separator: ", "))",
                        "after starting \(node.service) on \(node.host) again: VIP on \(finalHolders.joined(separator: ", "))"]
        let moved = newHolders.count == 1 && newHolders[0] != node.host
        let expectedBack = topology.nopreempt ? newHolders : [node.host]
        let failbackOK = finalHolders == expectedBack
        let passed = moved && failover.failures <= 30 && failbackOK && failback.longestOutage < 5
        let key = topology.nopreempt ? (failbackOK ? "vipfailover.stays" : "vipfailover.movedBack") : (failbackOK ? "vipfailover.back" : "vipfailover.notBack")
        let note = Note(key, [node.host, newHolders.first ?? "-", String(format: "%.1f", failover.longestOutage), "\(failover.failures)",
                              String(format: "%.1f", failback.longestOutage), "\(failback.failures)"])
        return SmokeResult(kind: .vipFailover, subject: node.host, passed: passed, note: note, evidence: evidence,
                           timeline: Self.timeline(answers, moments))
    }

    /// Polls who holds the VIP until `done` holds or `seconds` pass; marks each new holder.
    private func watchHolders(from before: [String], until done: ([String]) -> Bool, seconds: Double, moments: Moments) throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var last = before
        while true {
            let now = try holders()
            if now != last, now.count == 1 { moments.mark("vipMoved", now[0]) }
            last = now
            if done(now) || Date() >= deadline { return now }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// The chart of a failover test: every request and the marked moments, in seconds from the
    /// first request (the client's clock and this machine's agree on a lab; on real machines
    /// NTP keeps them within a few milliseconds).
    static func timeline(_ answers: [Probe.Answer], _ moments: Moments) -> Timeline? {
        guard let origin = answers.first?.millis else { return nil }
        func at(_ millis: Int) -> Double { Double(millis - origin) / 1000 }
        return Timeline(samples: answers.map { Timeline.Sample(at: at($0.millis), ok: $0.ok, server: $0.server) },
                        marks: moments.all.map { Timeline.Mark(at: at($0.millis), key: $0.key, value: $0.value) })
    }

    /// Probes for `seconds` on the client while `action` runs on another host.
    private func concurrently(probe: Probe, seconds: Int, action: @escaping @Sendable () throws -> Void) throws -> [Probe.Answer] {
        let box = ActionOutcome()
        let thread = Thread {
            do { try action() } catch { box.set(error) }
            box.finish()
        }
        thread.start()
        let answers = try probe.during(seconds: seconds, interval: 0.1)
        box.wait()
        if let error = box.error { throw error }
        return answers
    }

    private func describe(_ answer: Probe.Answer) -> String {
        answer.ok ? answer.server + (answer.seenClient.map { " (client \($0))" } ?? "") : "failed (HTTP \(answer.status))"
    }
}

/// Moments of a failover test, in milliseconds since the epoch, from any thread.
final class Moments: @unchecked Sendable {
    private let lock = NSLock()
    private var marks: [(key: String, value: String, millis: Int)] = []
    private var lists: [String: [String]] = [:]

    /// What a test's action thread saw (who holds the VIP), for the test to read once it is over.
    func keep(_ key: String, _ list: [String]) { lock.withLock { lists[key] = list } }
    func kept(_ key: String) -> [String] { lock.withLock { lists[key] ?? [] } }

    func mark(_ key: String, _ value: String, at millis: Int = Int(Date().timeIntervalSince1970 * 1000)) {
        lock.withLock { marks.append((key, value, millis)) }
    }

    func first(_ key: String) -> Int? { lock.withLock { marks.first { $0.key == key }?.millis } }
    var all: [(key: String, value: String, millis: Int)] { lock.withLock { marks.sorted { $0.millis < $1.millis } } }
}

private final class ActionOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var stored: Error?
    func set(_ error: Error) { lock.withLock { stored = error } }
    var error: Error? { lock.withLock { stored } }
    func finish() { done.signal() }
    func wait() { done.wait() }
}
