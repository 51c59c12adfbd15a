import Foundation

/// A host a change moved (a new address, gateway or DNS): where haprov reaches it now.
public struct AddressMove: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// haprov reconnected at the new address and the host kept the change.
        case kept
        /// The new address never answered: the host put its old configuration back by itself.
        case rolledBack = "rolled_back"
        /// Neither address answers.
        case lost
    }

    public var host: String
    public var from: String
    public var to: String
    public var outcome: Outcome
    /// From the change to the session at the new address (kept), or back at the old one.
    public var seconds: Double
    /// The host's own account (rolled back), or the last connection error.
    public var detail: String
}

extension HostRunner {
    /// After a change that may move the host: connects at the new address (the same host key
    /// required) and confirms before the host's deadline; otherwise waits for the host's own
    /// rollback and comes back at the old address. Returns why the task failed, nil when kept.
    func follow(_ host: PreparedHost, to reconnect: Reconnect, task: BoundTask) throws -> String? {
        let start = Date()
        let from = host.address
        let to = reconnect.address
        let pin = host.transport.hostKey
        host.retire(host.transport)
        func report(_ outcome: AddressMove.Outcome, _ detail: String) {
            reporter.report(.moved(AddressMove(host: job.name, from: from, to: to, outcome: outcome,
                                               seconds: Date().timeIntervalSince(start), detail: detail)))
        }
        // The host gives up a second before its timeout; confirm a second before that.
        let deadline = start.addingTimeInterval(Double(reconnect.timeout) - 2)
        var lastError = "no answer"
        var hostRolledBack = false
        var tries = 0
        while Date() < deadline, !hostRolledBack {
            tries += 1
            switch connect(to, pin: pin, until: deadline) {
            case .success(let transport):
                let confirmed = try identity(for: task, base: transport)
                    .run("set -- \(Shell.quote(from))\n" + reconnect.confirm, stdin: nil, timeout: .seconds(20))
                if confirmed.succeeded {
                    host.transport = transport
                    host.address = to
                    report(.kept, "same host key")
                    return nil
                }
                // The host gave up first (an in-place change answers at the same address).
                lastError = Self.text(confirmed)
                host.retire(transport)
                hostRolledBack = true
            case .failure(let error):
                lastError = error.message
                // A configuration that did not come up is rolled back at once: look at the old
                // address now and then rather than waiting out the whole timeout.
                if from != to, tries % 4 == 0, case .success(let old) = connect(from, pin: pin, until: deadline) {
                    let status = try? identity(for: task, base: old).run(reconnect.status, stdin: nil, timeout: .seconds(10))
                    if let status, Self.text(status).hasPrefix("rolled back") {
                        host.transport = old
                        report(.rolledBack, Self.text(status))
                        return Self.rolledBack(from: from, to: to, status: Self.text(status), reconnectError: lastError)
                    }
                    host.retire(old)
                }
                Thread.sleep(forTimeInterval: 0.3)
            }
        }
        // The host rolls back by itself once its deadline passes; give it time to come up again.
        // Knocking at the old address before then only waits out ARP timeouts.
        if !hostRolledBack { Thread.sleep(until: start.addingTimeInterval(Double(reconnect.timeout) - 1)) }
        let backBy = Date().addingTimeInterval(Double(reconnect.timeout) + 30)
        while Date() < backBy {
            if case .success(let old) = connect(from, pin: pin, until: backBy) {
                let status = (try? identity(for: task, base: old).run(reconnect.status, stdin: nil, timeout: .seconds(10))).map(Self.text) ?? "unknown"
                if status.hasPrefix("rolled back") || from == to {
                    host.transport = old
                    report(.rolledBack, status)
                    return Self.rolledBack(from: from, to: to, status: status, reconnectError: lastError)
                }
                host.retire(old)
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
        report(.lost, lastError)
        throw TransportError(host: job.name, step: .connect,
                             message: "lost after a network change: it answers neither at \(to) (new) nor at \(from) (before): \(lastError)",
                             fix: "open \(job.name)'s console: `cat \(NetworkGuard.directory)/status \(NetworkGuard.directory)/log` says what the host did; `ip -4 addr` shows where it is")
    }

    private static func rolledBack(from: String, to: String, status: String, reconnectError: String) -> String {
        let whereTo = from == to ? "after the change at \(to)" : "at \(to)"
        return """
            haprov could not reconnect \(whereTo) (\(reconnectError)); the host rolled back by itself and answers at \(from) again. \
            Host says: \(status)
            """
    }

    private func connect(_ address: String, pin: String?, until deadline: Date) -> Result<any Transport, TransportError> {
        var spec = job.connection
        spec.address = address
        spec.pinnedHostKey = pin
        let left = max(1, min(3, deadline.timeIntervalSinceNow))
        spec.connectTimeout = .milliseconds(Int(left * 1000))
        do {
            return .success(try factory.connect(spec))
        } catch let error as TransportError {
            return .failure(error)
        } catch {
            return .failure(TransportError(host: job.name, step: .connect, message: "\(error)"))
        }
    }

    private static func text(_ result: CommandResult) -> String {
        (result.stdoutText + result.stderrText).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
