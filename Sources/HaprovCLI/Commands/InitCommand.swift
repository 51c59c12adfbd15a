import ArgumentParser
import Foundation
import HaprovCore

/// `haprov init STACK [DIR]`: DIR/inventory/lab.yaml for the user's own machines.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write inventory/lab.yaml for your own machines, for one of the course's stacks.",
        discussion: """
            Stacks: \(InventoryScaffold.stacks.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).
            Each value comes from its flag, else is asked on a terminal, else is the seed's (so it \
            also works without a terminal). An existing file is never overwritten.
            """)

    @Argument(help: ArgumentHelp("The stack: \(InventoryScaffold.stacks.map(\.name).joined(separator: ", ")).", valueName: "STACK"))
    var stack: String

    @Argument(help: "The folder to write inventory/lab.yaml in.", completion: .directory)
    var directory: String = "."

    @Option(name: .customLong("address"), help: ArgumentHelp("A machine's address (repeatable), e.g. --address lb1=192.168.1.30.", valueName: "HOST=IP"))
    var addresses: [String] = []

    @Option(name: .long, help: ArgumentHelp("The virtual IP address the load balancers share.", valueName: "IP[/PREFIX]"))
    var vip: String?

    @Option(name: .long, help: ArgumentHelp("The network's gateway.", valueName: "IP"))
    var gateway: String?

    @Option(name: .long, help: ArgumentHelp("The machines' network interface (ip -br link), e.g. enp0s3.", valueName: "NAME"))
    var interface: String?

    @Option(name: .long, help: ArgumentHelp("The network's prefix length, e.g. 24.", valueName: "N"))
    var prefix: String?

    @Flag(name: .long, help: "Never ask: what no flag gives is the seed's value.")
    var noInput = false

    func run() throws {
        let scaffold = try InventoryScaffold.load(stack: stack)
        let target = ((directory as NSString).appendingPathComponent("inventory") as NSString).appendingPathComponent("lab.yaml")
        guard !FileManager.default.fileExists(atPath: target) else {
            throw CommandFailure("\(target) exists: haprov init never overwrites it (fix: remove it, or give another folder)")
        }
        var answers: [String: String] = [:]
        for address in addresses {
            let parts = address.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--address takes HOST=IP, not '\(address)'") }
            answers["address:" + parts[0]] = parts[1]
        }
        for (key, value) in [("vip", vip), ("gateway", gateway), ("interface", interface), ("prefix", prefix)] { if let value { answers[key] = value } }
        if !noInput, isatty(0) == 1 { ask(scaffold.questions, into: &answers) }
        let text = try scaffold.render(answers: answers, command: "haprov init \(stack)")
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Written whole or not at all.
        let partial = target + ".haprov-init"
        try text.write(toFile: partial, atomically: false, encoding: .utf8)
        guard rename(partial, target) == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw CommandFailure("cannot write \(target): \(String(cString: strerror(errno)))")
        }
        let hosts = scaffold.questions.filter { $0.kind == .address && $0.key.hasPrefix("address:") }.count
        print("wrote \(target): the \(stack) stack, \(hosts) machines")
        print("next: " + (directory == "." ? "" : "cd \(directory) && ") + "haprov apply --syntax-check inventory/lab.yaml && haprov apply inventory/lab.yaml")
    }

    /// Asks each value no flag gave, the seed's in brackets; Enter keeps it.
    private func ask(_ questions: [InventoryScaffold.Question], into answers: inout [String: String]) {
        for question in questions where answers[question.key] == nil {
            while true {
                print("\(question.prompt) [\(question.seed)]: ", terminator: "")
                fflush(nil)
                guard let line = readLine() else { return }
                let answer = line.trimmingCharacters(in: .whitespaces)
                if answer.isEmpty { break }
                if let why = InventoryScaffold.problem(answer, for: question) { print("  \(why)"); continue }
                answers[question.key] = answer
                break
            }
        }
    }
}
