import ArgumentParser
import Foundation
import HaprovCore
import HaprovLab
import HaprovSSH

/// `apply` and `test`: the core's smoke session run, its results printed (a table, or one JSON
/// `smoke` event per test) and the reports written.
enum SmokeOutput {
    /// Returns true when every test passed.
    /// `open`: sessions the run that came before left open (apply's), reused instead of new ones.
    static func run(jobs: [HostJob], inventoryPath: String, report: ReportOptions, open: [String: any Transport] = [:],
                    json: Bool = false, output: TextOutput = StandardOutput.out) throws -> Bool {
        // A topology that cannot be built closes the handed-over sessions itself.
        let session = try SmokeSession(jobs: jobs, factory: SSHTransportFactory(), open: open)
        defer { session.close() }
        let topology = session.topology
        let palette = Palette(output: output)
        // JSON: one `smoke` event per test and nothing else on standard output.
        let text: TextOutput = json ? StandardOutput.err : output
        text.write(palette.bold("SMOKE TESTS") + " through \(topology.front), requests from \(topology.client)\n")
        // After an apply, a capture that cannot start is a failed run, not a usage error.
        let capture: FailoverCapture?
        do { capture = try report.capture.map { try FailoverCapture(inventoryPath: inventoryPath, topology: topology, file: $0) } } catch {
            throw CommandFailure("\(error)")
        }
        var beforeTest: (@Sendable (SmokeKind) -> Void)?
        if let capture { beforeTest = { kind in if kind == .vipFailover { capture.start() } } }
        let results = session.run(log: { line in text.write(palette.dim(line) + "\n") }, beforeTest: beforeTest)
        if json {
            let reporter = JSONLinesReporter(output: output)
            results.forEach { reporter.report(.smoke($0)) }
        } else {
            output.write(SmokeReport.table(results, palette: palette))
        }
        let captured = capture?.finish(names: Dictionary(jobs.map { ($0.connection.address, $0.name) }) { first, _ in first }, output: text)
        guard !report.report.isEmpty else { return results.allSatisfy(\.passed) }
        var annex = session.report(inventory: (inventoryPath as NSString).lastPathComponent, results: results)
        annex.capture = captured
        for path in report.report {
            let page = path.lowercased().hasSuffix(".md") ? ReportMarkdown.render(annex, language: report.language)
                : ReportHTML.render(annex, language: report.language)
            do {
                try page.write(toFile: path, atomically: true, encoding: .utf8)
                text.write("report written to \(path)\n")
            } catch {
                throw CommandFailure("cannot write the report to \(path): \(error.localizedDescription)")
            }
        }
        return results.allSatisfy(\.passed)
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
