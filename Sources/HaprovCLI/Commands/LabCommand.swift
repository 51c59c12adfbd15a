import ArgumentParser
import Foundation
import HaprovCore
import HaprovLab

/// `haprov lab`: the inventory's machines as systemd containers on this Linux machine.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Run an inventory's hosts as real systemd hosts on this machine (systemd-nspawn, one network namespace each).",
        subcommands: [Up.self, Status.self, Down.self, Reset.self, FaultCommand.self, Capture.self])

    struct LabOptions: ParsableArguments {
        @Argument(help: "Inventory with all.vars.haprov_lab and hosts in the lab subnet.", completion: .file())
        var inventory: String

        func lab() throws -> Lab {
            Lab(config: try LabConfig.load(inventoryPath: inventory)) { line in StandardOutput.out.write(line + "\n") }
        }
    }

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create and boot the lab (idempotent: running hosts are left alone).")
        @OptionGroup var options: LabOptions
        func run() throws {
            let lab = try options.lab()
            let start = Date()
            try lab.up()
            print(String(format: "lab %@ up: %d hosts in %.1f s; key %@, known_hosts %@", lab.config.name, lab.config.hosts.count,
                         Date().timeIntervalSince(start), lab.config.privateKey, lab.config.knownHosts))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each host: running, address, sshd answering. Exit 1 when one is down.")
        @OptionGroup var options: LabOptions
        func run() throws {
            let lab = try options.lab()
            let statuses = try lab.status()
            let palette = Palette(output: StandardOutput.out)
            for s in statuses {
                let state = s.running ? (s.ssh ? palette.green("running, ssh ok") : palette.yellow("running, ssh not answering")) : palette.red("stopped")
                let memory = s.memoryBytes.map { String(format: "  %.0f MiB", Double($0) / 1_048_576) } ?? ""
                print("\(s.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(s.address.padding(toLength: 15, withPad: " ", startingAt: 0)) \(state)\(memory)")
            }
            if statuses.contains(where: { !$0.ssh }) { throw ExitCode(HaprovExit.failure) }
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop and remove the lab: processes, mounts, namespaces, links, proxy.")
        @OptionGroup var options: LabOptions
        func run() throws {
            let lab = try options.lab()
            try lab.down()
            print("lab \(lab.config.name) removed")
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put hosts back to the pristine base tree (all hosts, or those named).")
        @OptionGroup var options: LabOptions
        @Argument(help: "Hosts to reset (default: all).") var hosts: [String] = []
        func run() throws {
            let lab = try options.lab()
            let start = Date()
            try lab.reset(hosts)
            print(String(format: "reset %@ in %.1f s", hosts.isEmpty ? "every host" : hosts.joined(separator: ", "), Date().timeIntervalSince(start)))
        }
    }

    struct FaultCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fault", abstract: "Inject a fault: stop (power off), start (boot), cut (unplug the network), heal.")
        @OptionGroup var options: LabOptions
        @Argument(help: "The host.") var host: String
        @Argument(help: "stop, start, cut or heal.") var fault: String
        func validate() throws {
            if Lab.Fault(rawValue: fault) == nil { throw ValidationError("fault must be stop, start, cut or heal") }
        }
        func run() throws {
            let lab = try options.lab()
            guard let kind = Lab.Fault(rawValue: fault) else { return }
            try lab.inject(kind, on: host)
            print("\(host): \(fault) done")
        }
    }

    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the packets a lab host sees to a pcap file (tcpdump in its network namespace), to open in Wireshark.",
            discussion: "Example, during a VIP failover: haprov lab capture Inventories/lab-keepalived.yml lb2 --filter vrrp --seconds 20 -w vrrp.pcap")
        @OptionGroup var options: LabOptions
        @Argument(help: "The host.") var host: String
        @Option(help: "vrrp, arp, http, all, or a tcpdump filter expression.") var filter = "all"
        @Option(help: "How long to capture.") var seconds = 10
        @Option(name: .customShort("w"), help: ArgumentHelp("The pcap file to write.", valueName: "FILE")) var file: String
        func run() throws {
            let lab = try options.lab()
            let count = try lab.capture(on: host, filter: filter, seconds: seconds, to: file)
            print("\(host): \(count) packet(s) in \(file)")
        }
    }
}
