import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// Runs the smoke tests of an inventory's stack and prints/writes the report.
enum SmokeSession {
    /// Returns true when every test passed.
    /// `open`: sessions the run that came before left open (apply's), reused instead of new ones.
    static func run(jobs: [HostJob], inventoryPath: String, reportPath: String?, open: [String: any Transport] = [:],
                    output: TextOutput = StandardOutput.out) throws -> Bool {
        let topology: SmokeTopology
        do { topology = try self.topology(jobs) } catch {
            Console.error("\(error)")
            throw ExitCode(HaprovExit.failure)
        }
        return runTests(topology, pool: pool(jobs, open: open), inventoryPath: inventoryPath, reportPath: reportPath, output: output)
    }

    static func pool(_ jobs: [HostJob], open: [String: any Transport] = [:]) -> TransportPool {
        TransportPool(factory: SSHTransportFactory(), specs: Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.connection) }), open: open)
    }

    /// The stack as the inventory describes it, with role defaults under host variables.
    static func topology(_ jobs: [HostJob]) throws -> SmokeTopology {
        let renderer = TemplateRenderer()
        var variables: [String: [String: Value]] = [:]
        for job in jobs {
            variables[job.name] = job.resolvedVariables(renderer)
        }
        return try SmokeTopology.from(hosts: jobs.map(\.name), roles: Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.roles) }),
                                      variables: variables, renderer: renderer)
    }

    static func runTests(_ topology: SmokeTopology, pool: TransportPool, inventoryPath: String, reportPath: String?, output: TextOutput) -> Bool {
        defer { pool.closeAll() }
        let palette = Palette(output: output)
        output.write(palette.bold("SMOKE TESTS") + " through \(topology.front), requests from \(topology.client)\n")
        let results = SmokeRunner(topology: topology, connect: pool.transport(for:)) { line in
            output.write(palette.dim(line) + "\n")
        }.run()
        output.write(SmokeReport.table(results, palette: palette))
        if let reportPath {
            let markdown = SmokeReport.markdown(results, inventory: (inventoryPath as NSString).lastPathComponent)
            do { try SecretMasking.mask(markdown).write(toFile: reportPath, atomically: true, encoding: .utf8) } catch {
                Console.error("cannot write the report to \(reportPath): \(error.localizedDescription)")
            }
            output.write("report written to \(reportPath)\n")
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
