import ArgumentParser
import Foundation
import HaprovCore

extension CourseCommand {
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a class of lab twins from one lab inventory: names, subnets, bridges and VRRP router ids never collide.",
            discussion: "Example: haprov course new class --from Inventories/lab-keepalived.yml --count 30, then haprov course up class.")
        @Argument(help: "Folder to write the twins into (created; existing twins are not overwritten).") var folder: String
        @Option(help: "The lab inventory to copy.") var from: String
        @Option(help: "How many labs.") var count: Int
        @Option(help: "Lab names are PREFIX01, PREFIX02, ... (default: the source lab's name, shortened).") var prefix: String?
        @Option(help: ArgumentHelp("Third octet of the first twin's subnet, 10.213.N.0/24; the next twins follow.", valueName: "N")) var firstSubnet = 100

        func run() throws {
            let text: String
            do { text = try String(contentsOfFile: from, encoding: .utf8) } catch { throw ValidationError("--from \(from): cannot read it") }
            let twins = try CourseTwins.make(from: from, text: text, count: count, prefix: prefix, firstOctet: firstSubnet)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let paths = twins.map { (folder as NSString).appendingPathComponent($0.name + ".yml") }
            if let existing = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
                throw CommandFailure("\(existing) exists already: choose another folder or --prefix (nothing written)")
            }
            for (twin, path) in zip(twins, paths) { try twin.text.write(toFile: path, atomically: true, encoding: .utf8) }
            print("\(twins.count) lab(s) written to \(folder): \(twins.first?.name ?? "") ... \(twins.last?.name ?? ""), subnets \(twins.first?.subnet ?? "") to \(twins.last?.subnet ?? "")")
        }
    }

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring every lab up on this machine (haprov lab up).")
        @OptionGroup var labs: Labs
        func run() throws {
            try CourseCommand.run(labs, command: "up", arguments: { ["lab", "up", $0] }) { lab, result in LabOutcome.status(lab, result, done: "up") }
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take every lab down (haprov lab down).")
        @OptionGroup var labs: Labs
        func run() throws {
            try CourseCommand.run(labs, command: "down", arguments: { ["lab", "down", $0] }) { lab, result in LabOutcome.status(lab, result, done: "down") }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which labs answer: every host of every lab reached (haprov ping).")
        @OptionGroup var labs: Labs
        func run() throws {
            try CourseCommand.run(labs, command: "status", arguments: { ["ping", $0] }) { lab, result in LabOutcome.status(lab, result, done: "every host answers") }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply every lab, then its smoke tests.")
        @OptionGroup var labs: Labs
        @Flag(help: "Apply only: no smoke tests afterwards.") var noTest = false
        func run() throws {
            let skip = noTest
            try CourseCommand.run(labs, command: "apply", arguments: { ["apply", $0, "--format", "json"] + (skip ? ["--no-test"] : []) }) { lab, result in
                LabOutcome.read(lab, result)
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every lab's smoke tests: the class table, one column per test; with --lab-reports, each lab's technical annex too.")
        @OptionGroup var labs: Labs
        @Option(help: ArgumentHelp("Write each lab's technical annex into this folder: LAB.md and LAB.html.", valueName: "DIR")) var labReports: String?
        @Option(help: "Language of the labs' annexes: fr or en (default: from the locale).") var lang: Language?

        func run() throws {
            let folder = labReports, language = lang
            if let folder { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try CourseCommand.run(labs, command: "test", arguments: { inventory in
                var arguments = ["test", inventory, "--format", "json"]
                if let folder {
                    let base = (folder as NSString).appendingPathComponent(CourseCommand.labName(inventory))
                    arguments += ["--report", base + ".md", "--report", base + ".html"]
                }
                if let language { arguments += ["--lang", language.rawValue] }
                return arguments
            }) { lab, result in LabOutcome.read(lab, result) }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drift of every lab: what differs from its inventory, changing nothing.")
        @OptionGroup var labs: Labs
        func run() throws {
            try CourseCommand.run(labs, command: "check", arguments: { ["check", $0, "--format", "json"] }, drift: true) { lab, result in
                LabOutcome.read(lab, result, check: true)
            }
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every lab back to the course's starting point (haprov reset; --lab: lab twins thrown back to their fresh hosts).")
        @OptionGroup var labs: Labs
        @Flag(help: "Lab twins: throw each host's overlay away (haprov lab reset) instead of undoing haprov's changes.") var lab = false
        @Flag(help: "Only say which labs differ from the course's starting point.") var check = false
        func validate() throws { if lab && check { throw ValidationError("--lab and --check do not go together") } }
        func run() throws {
            let lab = self.lab, check = self.check
            try CourseCommand.run(labs, command: check ? "reset --check" : "reset", arguments: { inventory in
                lab ? ["lab", "reset", inventory] : ["reset", inventory, "--format", "json"] + (check ? ["--check"] : [])
            }) { name, result in lab ? LabOutcome.status(name, result, done: "fresh hosts") : LabOutcome.reset(name, result, check: check) }
        }
    }
}
