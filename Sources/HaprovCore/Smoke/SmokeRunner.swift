import Foundation

/// One smoke test's outcome, as a row of the results table.
public struct SmokeResult: Sendable, Codable {
    public var test: String
    public var passed: Bool
    public var observation: String
    /// What was seen, request by request (the seeds paste the same in their write-ups).
    public var evidence: [String]
}

/// Proves a stack works the way the seeds test it by hand: round robin, stats page, failover of
/// a web server and its recovery, VIP failover and failback, the client's address in
/// transparent mode. Every test restores what it stopped, pass or fail.
public struct SmokeRunner {
    public let topology: SmokeTopology
    /// Opens (or returns the already open) transport of an inventory host.
    public let connect: @Sendable (String) throws -> any Transport
    public let log: (String) -> Void

    public init(topology: SmokeTopology, connect: @escaping @Sendable (String) throws -> any Transport, log: @escaping (String) -> Void = { _ in }) {
        self.topology = topology
        self.connect = connect
        self.log = log
    }

    public func run() -> [SmokeResult] {
        var results: [SmokeResult] = []
        func attempt(_ name: String, _ body: () throws -> SmokeResult) {
            log("smoke: \(name)")
            do { results.append(try body()) } catch {
                results.append(SmokeResult(test: name, passed: false, observation: "\(error)", evidence: []))
            }
        }
        let url = "http://\(topology.front)\(topology.frontPort == 80 ? "" : ":\(topology.frontPort)")/"
        // Right after an apply, HAProxy's health checks may not have marked every server up yet.
        waitUntilEveryServerAnswers(url: url, within: 20)
        attempt("Round robin (6 requests)") { try roundRobin(url: url) }
        if let stats = topology.statsURL { attempt("Stats page") { try statsPage(stats) } }
        if topology.transparent { attempt("Client address seen by the backends") { try clientAddress(url: url) } }
        if topology.webServers.count >= 2 {
            attempt("Failover (\(topology.webServers[0].host) stopped)") { try webFailover(url: url) }
            attempt("Recovery (\(topology.webServers[0].host) restarted)") { try webRecovery(url: url) }
        }
        if topology.vip != nil, topology.balancers.count >= 2 {
            attempt("VIP held by exactly one node") { try vipHolder() }
            attempt("VIP failover (load balancer stopped)") { try vipFailover(url: url) }
        }
        return results
    }

    private func waitUntilEveryServerAnswers(url: String, within seconds: Double) {
        let expected = Set(topology.webServers.map(\.answersAs))
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let client = try? connect(topology.client), let answers = try? Probe(client: client, url: url).burst(2 * expected.count) else { return }
            if answers.failures == 0 && Set(answers.servers) == expected { return }
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
        let observation = passed
            ? (topology.expectsAlternation ? "perfect alternation between \(expected.count) servers" : "every server answered")
            : "answers: \(servers.joined(separator: ", ")); failed requests: \(answers.failures)"
        return SmokeResult(test: "Round robin (6 requests)", passed: passed, observation: observation, evidence: answers.map(describe))
    }

    private func statsPage(_ statsURL: String) throws -> SmokeResult {
        let client = try connect(topology.client)
        var auth = ""
        if let user = topology.statsUser, let password = topology.statsPassword { auth = "-u \(Shell.quote(user + ":" + password))" }
        let result = try client.run("curl -s -m 5 \(auth) -w '\\n@@%{http_code}' \(Shell.quote(statsURL))", timeout: .seconds(30))
        let text = result.stdoutText
        let status = text.components(separatedBy: "@@").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        let passed = status == 200 && text.contains("Statistics Report")
        return SmokeResult(test: "Stats page", passed: passed,
                           observation: passed ? "\(statsURL) answers (HTTP 200)" : "\(statsURL) answered HTTP \(status)", evidence: [])
    }

    private func clientAddress(url: String) throws -> SmokeResult {
        let answers = try Probe(client: try connect(topology.client), url: url).burst(4)
        let seen = Set(answers.compactMap(\.seenClient))
        let expected = topology.clientAddress ?? "?"
        let passed = answers.failures == 0 && seen == [expected]
        return SmokeResult(test: "Client address seen by the backends", passed: passed,
                           observation: passed ? "backends see \(expected), the client's own address" : "backends saw \(seen.sorted().joined(separator: ", ")), expected \(expected)",
                           evidence: answers.map(describe))
    }

    private func webFailover(url: String) throws -> SmokeResult {
        let victim = topology.webServers[0]
        let others = Set(topology.webServers.dropFirst().map(\.answersAs))
        let web = try connect(victim.host)
        let stop = try web.run(victim.stopCommand, timeout: .seconds(60))
        guard stop.succeeded else { throw SmokeError("cannot stop the app on \(victim.host): \(stop.stderrText)") }
        let client = Probe(client: try connect(topology.client), url: url)
        // Requests every 0.2 s until four in a row come from the others (health checks: ~2 s).
        let answers = try client.during(seconds: 8, interval: 0.2)
        let converged = answers.lastIndex { !($0.ok && others.contains($0.server)) }.map { $0 + 1 } ?? 0
        let convergeSeconds = converged < answers.count ? Double(answers[converged].millis - (answers.first?.millis ?? 0)) / 1000 : .infinity
        let after = try client.burst(4)
        let passed = after.failures == 0 && after.allSatisfy { others.contains($0.server) }
        return SmokeResult(test: "Failover (\(victim.host) stopped)", passed: passed,
                           observation: passed
                               ? String(format: "every answer from %@ after %.1f s; %d failed request(s) meanwhile", others.sorted().joined(separator: ", "), convergeSeconds, answers.failures)
                               : "answers after stopping \(victim.host): \(after.map(describe).joined(separator: "; "))",
                           evidence: after.map(describe))
    }

    private func webRecovery(url: String) throws -> SmokeResult {
        let victim = topology.webServers[0]
        let web = try connect(victim.host)
        let start = try web.run(victim.startCommand, timeout: .seconds(60))
        guard start.succeeded else { throw SmokeError("cannot start the app on \(victim.host): \(start.stderrText)") }
        let client = Probe(client: try connect(topology.client), url: url)
        let waiting = try client.during(seconds: 8, interval: 0.2)
        let back = waiting.first { $0.server == victim.answersAs }
        let answers = try client.burst(6)
        let servers = answers.servers
        let passed = back != nil && answers.failures == 0 && Set(servers) == Set(topology.webServers.map(\.answersAs))
        let seconds = back.map { Double($0.millis - (waiting.first?.millis ?? 0)) / 1000 }
        return SmokeResult(test: "Recovery (\(victim.host) restarted)", passed: passed,
                           observation: passed ? String(format: "%@ back in rotation after %.1f s", victim.answersAs, seconds ?? 0)
                                               : "answers: \(servers.joined(separator: ", "))",
                           evidence: answers.map(describe))
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
        return SmokeResult(test: "VIP held by exactly one node", passed: ownership.isExpected, observation: ownership.description, evidence: [])
    }

    private func vipFailover(url: String) throws -> SmokeResult {
        guard let holder = try holders().first, let node = topology.balancers.first(where: { $0.host == holder }) else {
            throw SmokeError("no node holds the VIP")
        }
        let clientTransport = try connect(topology.client)
        let nodeTransport = try connect(node.host)
        // Requests run on the client while the service stops on the holder.
        let failover = try concurrently(probe: Probe(client: clientTransport, url: url), seconds: 10) {
            Thread.sleep(forTimeInterval: 2)
            _ = try nodeTransport.run("systemctl stop \(node.service)", timeout: .seconds(60))
        }
        let newHolders = try holders()
        var evidence = ["after stopping \(node.service) on \(node.host): VIP on \(newHolders.joined(separator: ", "))"]
        let moved = newHolders.count == 1 && newHolders[0] != node.host
        // Failback: start it again; with preemption the VIP returns, with nopreempt it stays.
        let failback = try concurrently(probe: Probe(client: clientTransport, url: url), seconds: 10) {
            _ = try nodeTransport.run("systemctl start \(node.service)", timeout: .seconds(60))
        }
        let finalHolders = try holders()
        evidence.append("after starting \(node.service) on \(node.host) again: VIP on \(finalHolders.joined(separator: ", "))")
        let expectedBack = topology.nopreempt ? newHolders : [node.host]
        let failbackOK = finalHolders == expectedBack
        let passed = moved && failover.failures <= 30 && failbackOK && failback.longestOutage < 5
        let observation = String(
            format: "VIP moved %@ → %@; %.1f s without service, %d failed request(s); failback: %@ (%.1f s without service, %d failed)",
            node.host, newHolders.first ?? "nowhere", failover.longestOutage, failover.failures,
            topology.nopreempt ? (failbackOK ? "none, as nopreempt wants" : "VIP moved although nopreempt") : (failbackOK ? "VIP back on \(node.host)" : "VIP did not come back"),
            failback.longestOutage, failback.failures)
        return SmokeResult(test: "VIP failover (load balancer stopped)", passed: passed, observation: observation, evidence: evidence)
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

private final class ActionOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var stored: Error?
    func set(_ error: Error) { lock.withLock { stored = error } }
    var error: Error? { lock.withLock { stored } }
    func finish() { done.signal() }
    func wait() { done.wait() }
}
