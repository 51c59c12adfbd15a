import ArgumentParser
import Foundation
import HaprovCore
import HaprovSSH

/// `haprov reset INVENTORY`: hosts back to what they were before haprov's first change.
struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Put hosts back to their state before haprov first changed them (packages, files, sysctl, firewall, routes, services).",
        discussion: "SSH access is kept. Exit status: 0 done (or, with --check, nothing to do), 2 with --check when something would be reset, 1 error.")

    @OptionGroup var inventory: InventoryOptions

    @Flag(name: .long, help: "Only show what would be done.")
    var check = false

    func run() throws {
        let (loaded, hosts) = try inventory.load()
        // The roles' argument specs hold for reset too, where the inventory names plays and its
        // roles are found: a wrong value is said before any host is reached.
        // The project's jobs carry the same connection specs, so they are built once either way.
        let specs = loaded.groupVariables("all")[Playbook.variable] != nil && ProjectPaths.find("Roles", inventory: loaded.path, explicit: nil) != nil
            ? try inventory.project(rolesPath: nil).jobs.map(\.connection)
            : try loaded.connectionSpecs(hosts: hosts, defaults: inventory.connectionDefaults)
        let factory = SSHTransportFactory()
        let script = Baseline.resetScript(dryRun: check)
        let results = Parallel.map(specs, width: inventory.forks) { spec -> (String, Result<CommandResult, Error>) in
            do {
                let transport = try factory.connect(spec)
                defer { transport.close() }
                return (spec.name, .success(try transport.run(script, timeout: .seconds(1800))))
            } catch {
                return (spec.name, .failure(error))
            }
        }
        let output = StandardOutput.out
        let palette = Palette(output: output)
        var failed = false, pending = false
        for (host, result) in results {
            switch result {
            case .success(let run):
                let lines = run.stdoutText.split(separator: "\n").map(String.init)
                let actions = lines.filter { !$0.hasPrefix("clean:") && $0 != "baseline restored" && !$0.hasPrefix("  (failed") }
                let failures = lines.filter { $0.hasPrefix("  (failed") }
                if !run.succeeded || !failures.isEmpty { failed = true }
                if !actions.isEmpty { pending = true }
                let verdict = !run.succeeded || !failures.isEmpty ? palette.red("failed") : actions.isEmpty ? palette.green("clean") : (check ? palette.yellow("would reset") : palette.yellow("reset"))
                output.write(palette.bold(host) + " | \(verdict)\n")
                for line in lines where !line.hasPrefix("clean:") && line != "baseline restored" { output.write("  \(line)\n") }
                if !run.stderr.isEmpty, !run.succeeded { output.write(palette.red(run.stderrText)) }
            case .failure(let error):
                failed = true
                output.write(palette.bold(host) + " | " + palette.red("UNREACHABLE") + " \(error)\n")
            }
        }
        if failed { throw ExitCode(HaprovExit.failure) }
        if check, pending { throw ExitCode(HaprovExit.drift) }
    }
}
