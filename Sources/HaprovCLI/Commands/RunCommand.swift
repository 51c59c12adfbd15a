import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// `haprov run INVENTORY -- COMMAND`: an ad-hoc command on the selected hosts, grouped by host.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ad-hoc shell command on the selected hosts; output grouped by host.",
        discussion: "Exit status: 0 when the command succeeded everywhere, 1 when it failed on some host, 4 when a host was unreachable.")

    @OptionGroup var options: InventoryOptions

    @Option(name: .long, help: "Seconds the command may run on each host.")
    var timeout: Int = 600

    @Argument(parsing: .postTerminator, help: "The command, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. haprov run lab.yml -- uptime") }
    }

    func run() throws {
        let (inventory, hosts) = try options.load()
        let specs = try inventory.connectionSpecs(hosts: hosts, defaults: options.connectionDefaults)
        let factory = SSHTransportFactory()
        // One word is a shell line as typed; several are arguments, each quoted.
        let line = command.count == 1 ? command[0] : Shell.join(command)
        let timeout = Duration.seconds(timeout)
        let results = Parallel.map(specs, width: options.forks) { spec -> (String, Result<CommandResult, Error>) in
            do {
                let transport = try factory.connect(spec)
                defer { transport.close() }
                return (spec.name, .success(try transport.run(line, timeout: timeout)))
            } catch {
                return (spec.name, .failure(error))
            }
        }
        let output = StandardOutput.out
        let palette = Palette(output: output)
        var failed = false, unreachable = false
        for (host, result) in results {
            switch result {
            case .success(let run):
                let status = run.succeeded ? palette.green("rc=0") : palette.red("rc=\(run.exitStatus)")
                output.write(palette.bold("\(host)") + " | \(status)\n")
                output.write(run.stdoutText)
                if !run.stdout.isEmpty, run.stdout.last != UInt8(ascii: "\n") { output.write("\n") }
                if !run.stderr.isEmpty {
                    output.write(palette.yellow(run.stderrText))
                    if run.stderr.last != UInt8(ascii: "\n") { output.write("\n") }
                }
                if !run.succeeded { failed = true }
            case .failure(let error):
                unreachable = true
                output.write(palette.bold("\(host)") + " | " + palette.red("UNREACHABLE") + "\n\(error)\n")
            }
        }
        if unreachable { throw ExitCode(HaprovExit.unreachable) }
        if failed { throw ExitCode(HaprovExit.failure) }
    }
}
