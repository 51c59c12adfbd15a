import ArgumentParser
import Foundation
import HaprovCore

/// `haprov course`: a class of student labs (one inventory each) at once.
struct CourseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "course",
        abstract: "Work on a class of labs at once: one inventory per student lab, every lab in parallel, one row per lab.",
        discussion: """
            Labs are inventory files, or folders of them (*.yml, *.yaml). One broken or unreachable lab never \
            stops the others. Exit status: 0 every lab ok, 2 drift found (check) or a lab would be reset \
            (reset --check), 1 some lab failed or was unreachable.
            """,
        subcommands: [New.self, Up.self, Status.self, Apply.self, Test.self, Check.self, Reset.self, Down.self])

    struct Labs: ParsableArguments {
        @Argument(help: "Lab inventories, or folders of them.", completion: .file())
        var labs: [String]

        @Option(name: .long, help: "Labs worked on at once.")
        var parallel = 4

        @Option(name: .long, help: ArgumentHelp("Write the class table: FILE.md, FILE.csv or FILE.xml (JUnit); repeat for several.", valueName: "FILE"))
        var report: [String] = []

        func validate() throws {
            if parallel < 1 { throw ValidationError("--parallel \(parallel): give 1 or more") }
            for path in report where !["md", "csv", "xml"].contains((path as NSString).pathExtension.lowercased()) {
                throw ValidationError("--report \(path): name a .md, .csv or .xml (JUnit) file")
            }
        }

        /// The inventory files, folders expanded, each once.
        func inventories() throws -> [String] {
            var found: [String] = []
            for path in labs {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                    throw ValidationError("\(path): no such inventory or folder")
                }
                if isFolder.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                    let files = names.filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted().map { (path as NSString).appendingPathComponent($0) }
                    if files.isEmpty { throw ValidationError("\(path): the folder holds no .yml inventory") }
                    found += files
                } else {
                    found.append(path)
                }
            }
            var seen = Set<String>()
            return found.filter { seen.insert(($0 as NSString).standardizingPath).inserted }
        }
    }

    /// Runs `arguments(lab)` for every lab, reads each outcome, prints a row per lab as it ends,
    /// writes the class table and exits 0 / 2 / 1.
    static func run(_ labs: Labs, command: String, arguments: @escaping @Sendable (String) -> [String], drift: Bool = false,
                    read: @escaping @Sendable (String, CommandResult) -> ClassTable.Row) throws {
        let inventories = try labs.inventories()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let output = StandardOutput.out
        let palette = Palette(output: output)
        let width = inventories.map { Self.labName($0).count }.max() ?? 4
        let lock = NSLock()
        let start = Date()
        let rows = Parallel.map(inventories, width: labs.parallel) { inventory -> ClassTable.Row in
            let begin = Date()
            var row: ClassTable.Row
            do {
                let result = try LocalProcess.run([executable] + arguments(inventory), timeout: .seconds(3600))
                row = read(Self.labName(inventory), result)
            } catch {
                row = ClassTable.Row(lab: Self.labName(inventory), status: .failed, detail: "\(error)")
            }
            row.seconds = Date().timeIntervalSince(begin)
            let status = row.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
            let coloured = row.status == .ok ? palette.green(status) : row.status == .drift ? palette.yellow(status) : palette.red(status)
            let line = "\(row.lab.padding(toLength: width, withPad: " ", startingAt: 0))  \(coloured) \(summary(row)) (\(String(format: "%.0f", row.seconds)) s)\n"
            lock.withLock { output.write(SecretMasking.mask(line)) }
            return row
        }
        // Tests in the order they ran, whichever lab ran which.
        var names: [String] = []
        for row in rows { for name in row.order where !names.contains(name) { names.append(name) } }
        let table = ClassTable(command: command, rows: rows, testNames: names, showsDrift: drift)
        let counts = Dictionary(grouping: rows, by: \.status).mapValues(\.count)
        let statuses: [ClassTable.Status] = [.ok, .drift, .failed, .unreachable]
        let tally: [String] = statuses.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        output.write(String(format: "%d lab(s) in %.0f s: ", rows.count, Date().timeIntervalSince(start)) + tally.joined(separator: ", ") + "\n")
        for path in labs.report {
            let text: String
            switch (path as NSString).pathExtension.lowercased() {
            case "csv": text = table.csv()
            case "xml": text = table.junit()
            default: text = table.markdown()
            }
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                output.write("class table written to \(path)\n")
            } catch {
                throw CommandFailure("cannot write \(path): \(error.localizedDescription)")
            }
        }
        if rows.contains(where: { $0.status == .failed || $0.status == .unreachable }) { throw ExitCode(HaprovExit.failure) }
        if rows.contains(where: { $0.status == .drift }) { throw ExitCode(HaprovExit.drift) }
    }

    static func labName(_ inventory: String) -> String {
        ((inventory as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    static func summary(_ row: ClassTable.Row) -> String {
        var parts: [String] = []
        if !row.tests.isEmpty {
            let failed = row.tests.filter { !$0.value.passed }.keys.sorted()
            parts.append("\(row.tests.count - failed.count)/\(row.tests.count) tests passed" + (failed.isEmpty ? "" : "; failed: " + failed.joined(separator: ", ")))
        }
        if !row.drift.isEmpty { parts.append("drift: " + row.drift.joined(separator: "; ")) }
        if !row.detail.isEmpty { parts.append(row.detail) }
        return parts.isEmpty ? "done" : parts.joined(separator: "; ")
    }
}
