import ArgumentParser
import Foundation
import HaprovCore

/// The inventory argument and the connection flags every host-facing command shares.
struct InventoryOptions: ParsableArguments {
    @Argument(help: "Inventory file (Ansible YAML format).", completion: .file())
    var inventory: String

    @Option(name: [.short, .long], help: "Only these hosts: names, groups, all, patterns; !x excludes, &x intersects.")
    var limit: String?

    @Flag(name: .long, help: "Accept and record host keys never seen before (like OpenSSH's accept-new). Changed keys are always refused.")
    var acceptNewHostKeys = false

    @Option(name: .long, help: "Seconds to wait for each connection.")
    var connectTimeout: Int = 10

    @Option(name: .long, help: "Hosts worked on at once (default: all).")
    var forks: Int?

    func validate() throws {
        guard connectTimeout > 0 else { throw ValidationError("--connect-timeout must be at least 1 second") }
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1") }
    }

    /// Loads the inventory and the hosts `--limit` selects, or exits with every problem listed.
    func load() throws -> (Inventory, [String]) {
        let inventory: Inventory
        do { inventory = try Inventory.load(path: self.inventory) } catch {
            Console.error("\(error)")
            throw ExitCode(HaprovExit.failure)
        }
        do {
            let hosts = try inventory.select(limit: limit)
            if hosts.isEmpty {
                Console.error("no hosts selected\(limit.map { " by --limit \($0)" } ?? "") in \(inventory.path)")
                throw ExitCode(HaprovExit.failure)
            }
            return (inventory, hosts)
        } catch let error as ExitCode {
            throw error
        } catch {
            Console.error("\(error)")
            throw ExitCode(HaprovExit.failure)
        }
    }

    var connectionDefaults: ConnectionDefaults {
        var defaults = ConnectionDefaults()
        defaults.acceptNewHostKeys = acceptNewHostKeys
        defaults.connectTimeout = .seconds(connectTimeout)
        return defaults
    }

    /// Connection specs for `hosts`; problems (a missing key file, a bad port) for all hosts at once.
    func connectionSpecs(_ inventory: Inventory, hosts: [String]) throws -> [ConnectionSpec] {
        var specs: [ConnectionSpec] = []
        var problems: [String] = []
        for host in hosts {
            SecretMasking.register(SecretMasking.secrets(in: inventory.variables(for: host)))
            do { specs.append(try inventory.connectionSpec(for: host, defaults: connectionDefaults)) } catch {
                problems.append("\(error)")
            }
        }
        if !problems.isEmpty {
            problems.forEach(Console.error)
            throw ExitCode(HaprovExit.failure)
        }
        return specs
    }
}
