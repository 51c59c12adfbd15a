import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// `haprov ping INVENTORY`: connect to every selected host in parallel and report each.
struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Connect to every host in parallel (SSH handshake, host key, login, one command).")

    @OptionGroup var options: InventoryOptions

    func run() throws {
        let (inventory, hosts) = try options.load()
        let specs = try inventory.connectionSpecs(hosts: hosts, defaults: options.connectionDefaults)
        let factory = SSHTransportFactory()
        let start = Date()
        let results = Parallel.map(specs, width: options.forks) { spec -> (String, Result<Double, Error>) in
            let begin = Date()
            do {
                let transport = try factory.connect(spec)
                defer { transport.close() }
                let result = try transport.run("echo pong", timeout: .seconds(30))
                guard result.stdoutText == "pong\n" else {
                    throw TransportError(host: spec.name, step: .exec, message: "unexpected answer: \(result.stdoutText) \(result.stderrText)")
                }
                return (spec.name, .success(Date().timeIntervalSince(begin)))
            } catch {
                return (spec.name, .failure(error))
            }
        }
        let output = StandardOutput.out
        let palette = Palette(output: output)
        let width = hosts.map(\.count).max() ?? 4
        var unreachable = 0
        for (host, result) in results {
            let name = host.padding(toLength: width, withPad: " ", startingAt: 0)
            switch result {
            case .success(let seconds):
                output.write("\(name)  \(palette.green("pong"))  \(String(format: "%.0f ms", seconds * 1000))\n")
            case .failure(let error):
                unreachable += 1
                output.write("\(name)  \(palette.red("UNREACHABLE"))  \(error)\n")
            }
        }
        output.write(String(format: "%d/%d hosts answered in %.2f s\n", hosts.count - unreachable, hosts.count, Date().timeIntervalSince(start)))
        if unreachable > 0 { throw ExitCode(HaprovExit.unreachable) }
    }
}
