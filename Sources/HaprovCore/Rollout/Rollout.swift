import Foundation

/// Applies changes batch after batch over a live stack: before a host's service is
/// interrupted its traffic moves away (the VIP to a peer, the backend drained on every
/// balancer in front), afterwards it comes back, and the host must serve again (its health
/// probes, exactly one VIP holder) before the next batch starts.
struct Rollout {
    let shape: StackShape
    let options: RolloutOptions
    let reporter: any Reporter
    /// Every host's transport: balancers and peers are reached through them, in the run or not.
    let transports: HostTransports
    /// Hosts whose service answered before anything changed.
    let serving: Set<String>
    let previews: [String: ChangePreview]
    /// What the first round trip saw of the traffic state, per host in the run.
    let observed: [String: RolloutObservation]
    /// Hosts of the run that held a VIP in the first round trip.
    let holdersAtStart: Set<String>

    /// Applies `changing` hosts with `apply`; returns every host's recap and whether the stack serves.
    func run(_ plan: RolloutPlan, changing: [String], apply: @escaping @Sendable (String) -> HostRecap) -> [String: HostRecap] {
        if !options.allAtOnce { undoLeftovers(except: Set(changing)) }
        var recaps: [String: HostRecap] = [:]
        var failed: [String] = []
        var failedHosts: [String] = []
        for (index, batch) in plan.batches.enumerated() {
            reporter.report(.rollout(.batch(index: index + 1, of: plan.batches.count, hosts: batch)))
            let out = Set(failedHosts)
            let outcomes = Parallel.map(batch) { host in change(host, out: out, apply: apply) }
            for (host, outcome) in zip(batch, outcomes) {
                recaps[host] = outcome.recap
                if let problem = outcome.problem {
                    failed.append("\(host): \(problem)")
                    failedHosts.append(host)
                }
            }
            // As Ansible's max_fail_percentage: stop once the failed share exceeds it (default: any failure).
            let tolerated = options.maxFailPercentage.map { failed.count * 100 / max(1, changing.count) <= $0 } ?? false
            if !failed.isEmpty, !tolerated {
                let untouched = plan.batches.dropFirst(index + 1).flatMap { $0 }
                reporter.report(.rollout(.stopped(reason: failed.joined(separator: "; "), untouched: untouched)))
                return recaps
            }
        }
        if !options.allAtOnce {
            // A VIP still held by several nodes once every peer is changed fails the run.
            for host in preferredHolders(changed: Set(changing), failed: Set(failedHosts)) { recaps[host]?.failed += 1 }
        }
        return recaps
    }

    private struct Outcome: Sendable {
        var recap: HostRecap
        var problem: String?
    }

    /// One host: traffic away, the change, traffic back, health gate.
    /// `out`: hosts an earlier batch left out of service (tolerated by max_fail_percentage).
    private func change(_ host: String, out: Set<String>, apply: @Sendable (String) -> HostRecap) -> Outcome {
        let preview = previews[host] ?? ChangePreview()
        let interrupts = shape.interrupts[host] ?? []
        let interrupting = preview.uncertain || !interrupts.isDisjoint(with: preview.names) || !interrupts.isDisjoint(with: preview.handlers)
        let gentle = !options.allAtOnce && serving.contains(host)
        var handedOver: StackShape.VIPGroup?
        var drained: [StackShape.Front] = []
        if gentle, interrupting, let peer = out.sorted().first(where: { shape.conflict(host, $0) }) {
            // Its peer is still out: interrupting this one too would leave nobody to serve.
            var recap = HostRecap(host: host)
            recap.failed = 1
            return Outcome(recap: recap, problem: "\(peer), which backs it up, is out of service: \(host) was left unchanged and still serves")
        }
        if gentle, interrupting {
            if let group = shape.vipGroup(of: host), holds(group.vip, on: host) {
                guard handover(host, group) else {
                    var recap = HostRecap(host: host)
                    recap.failed = 1
                    return Outcome(recap: recap, problem: "no peer took the VIP \(group.vip), so \(host) was left unchanged and still serves")
                }
                handedOver = group
            }
            drained = drain(host)
        }
        let vipGroup = options.allAtOnce ? nil : shape.vipGroup(of: host)
        var recap = apply(host)
        if recap.failed > 0 || recap.unreachable > 0 {
            let away = [handedOver.map { _ in "the VIP stays on its peer" }, drained.isEmpty ? nil : "it stays drained"].compactMap { $0 }
            return Outcome(recap: recap, problem: "the change failed" + (away.isEmpty ? "" : "; \(away.joined(separator: ", ")) until it is fixed"))
        }
        if !options.allAtOnce {
            if let problem = gate(host) {
                recap.failed += 1
                return Outcome(recap: recap, problem: problem)
            }
        }
        // Fronts an earlier run left this host drained on come back with it.
        drained += leftDrained(host).filter { front in !drained.contains(front) }
        if !drained.isEmpty, let problem = ready(host, drained) {
            recap.failed += 1
            return Outcome(recap: recap, problem: problem)
        }
        if let group = handedOver, let problem = takeBack(host, group) {
            recap.failed += 1
            return Outcome(recap: recap, problem: problem)
        }
        if let group = vipGroup, let problem = vipGate(group, reporter: host) {
            recap.failed += 1
            return Outcome(recap: recap, problem: problem)
        }
        return Outcome(recap: recap, problem: nil)
    }

    // MARK: VIP

    private func holds(_ vip: String, on host: String) -> Bool {
        guard let transport = transports[host], let result = try? transport.run(TrafficControl.holdsVIP(vip), stdin: nil, timeout: .seconds(10)) else { return false }
        return result.stdoutText.hasPrefix("yes")
    }

    private func holders(_ group: StackShape.VIPGroup) -> [String] {
        let found = Parallel.map(group.hosts) { host in holds(group.vip, on: host) ? host : nil }
        return found.compactMap { $0 }
    }

    /// Lowers the holder's priority until a peer holds the VIP alone (the holder keeps it until
    /// then: no gap); a peer that does not take it within its master-down interval gets it by a
    /// fault of the holder, which steps down at once.
    private func handover(_ host: String, _ group: StackShape.VIPGroup) -> Bool {
        let start = Date()
        let transport = transports[host]
        func write(_ value: Int) -> CommandResult? {
            try? transport?.run(TrafficControl.writeHandover(value, file: group.handoverFile, config: group.configFile, stop: group.stop),
                                stdin: nil, timeout: .seconds(30))
        }
        func moved() -> Bool { let now = holders(group); return now.count == 1 && now[0] != host }
        var how = ""
        let first = group.handoverValue(for: host)
        var done = false
        if write(first)?.exitStatus == 10 {
            how = " (its running config predates the hand-over file: keepalived stopped instead)"
            done = waitUntil(moved)
        } else {
            done = waitUntil(limit: first == -254 ? nil : group.preemptSeconds, moved)
            if !done, first != -254 {
                how = " (by a fault: the peer did not preempt a lower priority)"
                _ = write(-254)
                done = waitUntil(moved)
            }
        }
        let to = holders(group).first ?? "nobody"
        step(host, "handover", (done ? "VIP \(group.vip) handed over to \(to)" : "VIP \(group.vip): no peer took it over") + how, start, done)
        if !done {
            _ = try? transport?.run(TrafficControl.writeHandover(0, file: group.handoverFile), stdin: nil, timeout: .seconds(10))
            // Stopped for nothing: it serves the VIP again rather than leave it nowhere.
            if how.contains("stopped instead"), let start = group.start { _ = try? transport?.run(start, stdin: nil, timeout: .seconds(60)) }
        }
        return done
    }

    /// The host takes part again; where the peers preempt and it is the preferred node, it holds the VIP again.
    private func takeBack(_ host: String, _ group: StackShape.VIPGroup) -> String? {
        let start = Date()
        _ = try? transports[host]?.run(TrafficControl.writeHandover(0, file: group.handoverFile), stdin: nil, timeout: .seconds(10))
        guard !group.nopreempt, group.preferred == host else {
            step(host, "takeback", "back in VRRP; the VIP stays on its peer (nopreempt)", start, true)
            return nil
        }
        let back = waitUntil { holders(group) == [host] }
        step(host, "takeback", back ? "VIP \(group.vip) back on \(host)" : "VIP \(group.vip) did not come back", start, back)
        return back ? nil : "the VIP \(group.vip) did not come back to \(host) within \(Int(options.gateTimeout)) s"
    }

    /// Exactly one peer holds the VIP (the preferred node, where the peers preempt and all serve);
    /// where several held it when the run began, no more than then and at least one: a change
    /// cannot be blamed for a split it found (peers whose firewalls drop each other's VRRP hold
    /// it both until the last of them is changed; the final gate then wants one holder).
    private func vipGate(_ group: StackShape.VIPGroup, reporter host: String) -> String? {
        let start = Date()
        let expectPreferred = !group.nopreempt && group.hosts.allSatisfy { serving.contains($0) || $0 == host }
        let before = group.hosts.filter(holdersAtStart.contains)
        let splitBefore = before.count > 1
        var seen: [String] = []
        let ok = waitUntil {
            seen = holders(group)
            if splitBefore, !seen.isEmpty, seen.count <= before.count { return true }
            return seen.count == 1 && (!expectPreferred || seen == [group.preferred ?? seen[0]])
        }
        var detail = seen.isEmpty ? "no node holds the VIP \(group.vip)" : "\(seen.joined(separator: " and ")) hold\(seen.count == 1 ? "s" : "") the VIP \(group.vip)"
        if ok, seen.count > 1 { detail += ", as before this change (their VRRP does not reach each other yet)" }
        step(host, "gate", detail, start, ok)
        return ok ? nil : detail + " after \(Int(options.gateTimeout)) s"
    }

    /// After the last batch, where the peers preempt, the VIP is back on the preferred node
    /// before apply returns (a first install starts both nodes at once; the preferred one takes
    /// the VIP a few adverts later), so that the smoke tests and `check` find the stack settled.
    /// Where the peers do not preempt, exactly one node holds it (a split that a change found
    /// must be gone once every peer is changed). Returns the hosts whose group did not settle.
    private func preferredHolders(changed: Set<String>, failed: Set<String>) -> [String] {
        var unsettled: [String] = []
        for group in shape.vipGroups where !changed.isDisjoint(with: group.hosts) && failed.isDisjoint(with: group.hosts) {
            let start = Date()
            guard !group.nopreempt, let preferred = group.preferred else {
                var seen = holders(group)
                if seen.count == 1 { continue }
                let settled = waitUntil { seen = holders(group); return seen.count == 1 }
                let host = seen.first ?? group.hosts.sorted().first ?? ""
                step(host, "gate", settled ? "\(seen[0]) alone holds the VIP \(group.vip)"
                                           : (seen.isEmpty ? "no node holds the VIP \(group.vip)" : "\(seen.joined(separator: " and ")) hold the VIP \(group.vip)")
                                             + " after \(Int(options.gateTimeout)) s (does VRRP reach every peer? a firewall?)", start, settled)
                if !settled { unsettled.append(host) }
                continue
            }
            if holders(group) == [preferred] { continue }
            let settled = waitUntil { holders(group) == [preferred] }
            step(preferred, "gate", settled ? "\(preferred) holds the VIP \(group.vip), as the inventory says"
                                            : "the VIP \(group.vip) is not back on \(preferred) after \(Int(options.gateTimeout)) s (is its track script failing?)",
                 start, settled)
            // Not back on the preferred node is reported; still held by several fails the run.
            if !settled, holders(group).count > 1 { unsettled.append(preferred) }
        }
        return unsettled
    }

    // MARK: Backends

    /// Drains the host on every balancer in front of it and waits until its sessions end.
    private func drain(_ host: String) -> [StackShape.Front] {
        var drained: [StackShape.Front] = []
        for front in shape.fronts[host] ?? [] {
            guard let balancer = transports[front.balancer] else {
                step(host, "drain", "\(front.balancer) cannot be reached: not drained there", Date(), false)
                continue
            }
            let start = Date()
            switch front.drain {
            case .haproxy:
                guard let socket = front.socket else { continue }
                let set = try? balancer.run(TrafficControl.haproxySetState(socket: socket, server: front.server, state: "drain"), stdin: nil, timeout: .seconds(10))
                guard set?.succeeded == true else {
                    step(host, "drain", "on \(front.balancer): \(set?.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) ?? "no answer")", start, false)
                    continue
                }
                var draining = false
                let idle = waitUntil(limit: 10) {
                    guard let stat = try? balancer.run(TrafficControl.haproxyStat(socket: socket), stdin: nil, timeout: .seconds(10)), stat.succeeded else { return false }
                    let rows = TrafficControl.parseStat(stat.stdoutText, server: front.server)
                    draining = !rows.isEmpty && rows.allSatisfy { $0.status.hasPrefix("DRAIN") || $0.status.hasPrefix("MAINT") || $0.status.hasPrefix("DOWN") }
                    return draining && rows.allSatisfy { $0.sessions == 0 }
                }
                guard draining else {
                    // A balancer that does not run HAProxy (yet) sends it nothing anyway.
                    step(host, "drain", "\(front.server) is not in the running HAProxy on \(front.balancer): nothing to drain there", start, true)
                    continue
                }
                step(host, "drain", "\(front.server) drained on \(front.balancer)" + (idle ? "" : " (sessions still open after 10 s)"), start, true)
            case .apache:
                guard let name = front.balancerName, let member = front.memberURL else { continue }
                let set = try? balancer.run(TrafficControl.apacheSetMember(balancer: name, member: member, disabled: true), stdin: nil, timeout: .seconds(10))
                guard set?.succeeded == true else {
                    step(host, "drain", "on \(front.balancer): \(set?.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) ?? "no answer")", start, false)
                    continue
                }
                var found = false
                let idle = waitUntil(limit: 10) {
                    guard let page = try? balancer.run(TrafficControl.apacheStatus(balancer: name), stdin: nil, timeout: .seconds(10)),
                          let row = TrafficControl.parseApacheMember(page.stdoutText, member: member) else { return true }
                    found = row.disabled
                    return row.busy == 0
                }
                guard found else {
                    // Disabled by the request but not seen so: enabled again afterwards all the same.
                    drained.append(front)
                    step(host, "drain", "\(member) may not be disabled in \(name) on \(front.balancer): balancer-manager does not show it", start, false)
                    continue
                }
                step(host, "drain", "\(member) disabled in \(name) on \(front.balancer)" + (idle ? "" : " (requests still busy after 10 s)"), start, true)
            }
            drained.append(front)
        }
        return drained
    }

    /// Puts the host back on every balancer it was drained on, and waits until each sees it up.
    private func ready(_ host: String, _ fronts: [StackShape.Front]) -> String? {
        for front in fronts {
            guard let balancer = transports[front.balancer] else { continue }
            let start = Date()
            switch front.drain {
            case .haproxy:
                guard let socket = front.socket else { continue }
                _ = try? balancer.run(TrafficControl.haproxySetState(socket: socket, server: front.server, state: "ready"), stdin: nil, timeout: .seconds(10))
                let up = waitUntil {
                    guard let stat = try? balancer.run(TrafficControl.haproxyStat(socket: socket), stdin: nil, timeout: .seconds(10)), stat.succeeded else { return false }
                    let rows = TrafficControl.parseStat(stat.stdoutText, server: front.server)
                    return !rows.isEmpty && rows.allSatisfy { $0.status.hasPrefix("UP") || $0.status == "no check" }
                }
                step(host, "ready", "\(front.server) " + (up ? "up again" : "not up") + " on \(front.balancer)", start, up)
                if !up { return "\(front.server) did not come back up on \(front.balancer) within \(Int(options.gateTimeout)) s" }
            case .apache:
                guard let name = front.balancerName, let member = front.memberURL else { continue }
                let set = try? balancer.run(TrafficControl.apacheSetMember(balancer: name, member: member, disabled: false), stdin: nil, timeout: .seconds(10))
                let ok = set?.succeeded == true
                step(host, "ready", "\(member) enabled in \(name) on \(front.balancer)", start, ok)
                if !ok { return "\(member) could not be enabled again on \(front.balancer)" }
            }
        }
        return nil
    }

    /// Traffic an earlier run left away (it stopped on a failure, or haprov was killed): a
    /// serving backend still drained on a balancer is put back, so that it cannot stay out while
    /// its peer is drained in turn; a node still handing its VIP over takes part again. Read
    /// from the first round trip: nothing to undo costs no round trip.
    private func undoLeftovers(except changing: Set<String>) {
        var work: [@Sendable () -> Void] = []
        for host in shape.fronts.keys.sorted() where serving.contains(host) && !changing.contains(host) {
            for front in shape.fronts[host] ?? [] where front.drain == .haproxy {
                guard let socket = front.socket, let stat = observed[front.balancer]?.stat,
                      TrafficControl.parseStat(stat, server: front.server).contains(where: { $0.status == "DRAIN" || $0.status.hasPrefix("MAINT") })
                else { continue }
                work.append({
                    let start = Date()
                    let set = try? transports[front.balancer]?.run(TrafficControl.haproxySetState(socket: socket, server: front.server, state: "ready"), stdin: nil, timeout: .seconds(10))
                    step(host, "ready", "\(front.server) was left drained on \(front.balancer) by an earlier run; it serves, so it is back", start, set?.succeeded == true)
                })
            }
        }
        for group in shape.vipGroups {
            // Only a node that serves again: a broken one must not take the VIP back.
            for host in group.hosts where (observed[host]?.handover ?? 0) != 0 && serving.contains(host) {
                work.append({
                    let start = Date()
                    let set = try? transports[host]?.run(TrafficControl.writeHandover(0, file: group.handoverFile), stdin: nil, timeout: .seconds(10))
                    step(host, "takeback", "a hand-over of the VIP \(group.vip) left by an earlier run is undone", start, set?.succeeded == true)
                })
            }
        }
        let jobs = work
        _ = Parallel.map(Array(jobs.indices)) { jobs[$0]() }
    }

    /// The fronts the first round trip showed this host drained or in maintenance on.
    private func leftDrained(_ host: String) -> [StackShape.Front] {
        (shape.fronts[host] ?? []).filter { front in
            guard front.drain == .haproxy, let stat = observed[front.balancer]?.stat else { return false }
            return TrafficControl.parseStat(stat, server: front.server).contains { $0.status == "DRAIN" || $0.status.hasPrefix("MAINT") }
        }
    }

    // MARK: Health

    /// The host's own probes pass, within their timeouts.
    private func gate(_ host: String) -> String? {
        guard let transport = transports[host] else { return nil }
        for probe in shape.probes[host] ?? [] {
            let start = Date()
            var last = ""
            let ok = waitUntil(limit: probe.timeoutSeconds) {
                guard let result = try? transport.run(probe.command, stdin: nil, timeout: .seconds(10)) else { return false }
                last = (result.stderrText + result.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
                return result.succeeded
            }
            step(host, "gate", probe.name + (ok ? "" : ": no" + (last.isEmpty ? "" : " (\(last))")), start, ok)
            if !ok { return "\(probe.name): not after \(Int(probe.timeoutSeconds)) s" }
        }
        return nil
    }

    // MARK: Support

    private func waitUntil(limit: Double? = nil, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(limit ?? options.gateTimeout)
        while true {
            if condition() { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    private func step(_ host: String, _ action: String, _ detail: String, _ start: Date, _ ok: Bool) {
        reporter.report(.rollout(.step(RolloutStep(host: host, action: action, detail: detail, seconds: Date().timeIntervalSince(start), ok: ok))))
    }
}

/// The traffic state a host showed in the first round trip.
struct RolloutObservation: Sendable {
    /// HAProxy's `show stat` (balancers).
    var stat: String?
    /// The VIP hand-over value (VRRP peers); 0 when none is in progress.
    var handover: Int?
}
