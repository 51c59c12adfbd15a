import ArgumentParser
import Foundation
import HaprovCore
import HaprovLab
import HaprovSSH

/// Runs the smoke tests of an inventory's stack and prints/writes the report.
enum SmokeSession {
    /// Returns true when every test passed.
    /// `open`: sessions the run that came before left open (apply's), reused instead of new ones.
    static func run(jobs: [HostJob], inventoryPath: String, report: ReportOptions, open: [String: any Transport] = [:],
                    json: Bool = false, output: TextOutput = StandardOutput.out) throws -> Bool {
        let topology = try SmokeTopology.from(jobs: jobs)
        return runTests(topology, jobs: jobs, pool: pool(jobs, open: open), inventoryPath: inventoryPath, report: report, json: json, output: output)
    }

    static func pool(_ jobs: [HostJob], open: [String: any Transport] = [:]) -> TransportPool {
        TransportPool(factory: SSHTransportFactory(), specs: Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.connection) }), open: open)
    }


    static func runTests(_ topology: SmokeTopology, jobs: [HostJob], pool: TransportPool, inventoryPath: String, report: ReportOptions,
                         json: Bool = false, output: TextOutput) -> Bool {
        defer { pool.closeAll() }
        let palette = Palette(output: output)
        // JSON: one `smoke` event per test and nothing else on standard output.
        let text: TextOutput = json ? StandardOutput.err : output
        text.write(palette.bold("SMOKE TESTS") + " through \(topology.front), requests from \(topology.client)\n")
        var runner = SmokeRunner(topology: topology, connect: pool.transport(for:)) { line in
            text.write(palette.dim(line) + "\n")
        }
        let capture: FailoverCapture?
        do { capture = try report.capture.map { try FailoverCapture(inventoryPath: inventoryPath, topology: topology, file: $0) } } catch {
            Console.error("\(error)")
            return false
        }
        if let capture { runner.beforeTest = { kind in if kind == .vipFailover { capture.start() } } }
        let results = runner.run()
        if json {
            let reporter = JSONLinesReporter(output: output)
            results.forEach { reporter.report(.smoke($0)) }
        } else {
            output.write(SmokeReport.table(results, palette: palette))
        }
        let captured = capture?.finish(names: Dictionary(jobs.map { ($0.connection.address, $0.name) }) { first, _ in first }, output: text)
        guard !report.report.isEmpty else { return results.allSatisfy(\.passed) }
        var annex = StackReport.collect(inventory: (inventoryPath as NSString).lastPathComponent, jobs: jobs, topology: topology,
                                        results: results, connect: pool.transport(for:))
        annex.capture = captured
        for path in report.report {
            let page = path.lowercased().hasSuffix(".md") ? ReportMarkdown.render(annex, language: report.language)
                : ReportHTML.render(annex, language: report.language)
            do {
                try page.write(toFile: path, atomically: true, encoding: .utf8)
                text.write("report written to \(path)\n")
            } catch {
                Console.error("cannot write the report to \(path): \(error.localizedDescription)")
                return false
            }
        }
        return results.allSatisfy(\.passed)
    }
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

/// `--capture`: tcpdump in a load balancer's network namespace while the VIP fails over.
final class FailoverCapture: @unchecked Sendable {
    let lab: Lab
    let host: String
    let file: String
    let vip: String?
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    private var failure: String?

    init(inventoryPath: String, topology: SmokeTopology, file: String) throws {
        guard let host = topology.balancers.last?.host, topology.vip != nil else {
            throw ValidationError("--capture: this stack has no VIP failover to capture (it needs two keepalived load balancers)")
        }
        do { lab = Lab(config: try LabConfig.load(inventoryPath: inventoryPath)) } catch {
            throw ValidationError("--capture needs a lab inventory (all.vars.haprov_lab): \(error)")
        }
        self.host = host
        self.file = file
        self.vip = topology.vip
    }

    /// Starts capturing for the length of the VIP failover test (20 s) and a little more.
    func start() {
        started = true
        Thread { [self] in
            do { try lab.capture(on: host, filter: "ip proto 112 or arp", seconds: 24, to: file) } catch { failure = "\(error)" }
            done.signal()
        }.start()
    }

    /// Waits for the capture, then reads it back: the report's notes, nil when nothing was captured.
    func finish(names: [String: String], output: TextOutput) -> (host: String, file: String, notes: [Note])? {
        guard started else {
            output.write("--capture: the VIP failover test did not run, nothing captured\n")
            return nil
        }
        done.wait()
        if let failure {
            Console.error("--capture: \(failure)")
            return nil
        }
        let text = (try? LocalProcess.run(["/bin/sh", "-c", "tcpdump -n -tt -r \(Shell.quote(file)) 2>/dev/null"]))?.stdoutText ?? ""
        output.write("packets of the VIP failover (on \(host)) written to \(file)\n")
        return (host, file, CaptureSummary.notes(text, names: names, vip: vip))
    }
}
