import ArgumentParser
import HaprovCore

/// How a run is reported: the human form or JSON events, diffs, details, a JUnit file.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case human, json }

    @Flag(name: .long, help: "Show unified diffs of files (secrets masked).")
    var diff = false

    @Flag(name: [.short, .long], help: "Also list skipped tasks and details.")
    var verbose = false

    @Option(name: .long, help: "Output: human (default) or json (one JSON event per line).")
    var format: Format = .human

    @Option(name: .long, help: ArgumentHelp("Also write every task of every host as JUnit XML, for CI tools.", valueName: "FILE"))
    var junit: String?

    func reporter(command: String) -> any Reporter {
        let chosen: any Reporter
        switch format {
        case .human: chosen = HumanReporter(output: StandardOutput.out, showDiff: diff, verbose: verbose)
        case .json: chosen = JSONLinesReporter(output: StandardOutput.out)
        }
        guard let junit else { return chosen }
        return JUnitReporter(wrapping: chosen, path: junit, command: command)
    }

    /// Runs `body` with the chosen reporter; a JUnit file that could not be written fails the command.
    func run<Result>(command: String, _ body: (any Reporter) -> Result) throws -> Result {
        let chosen = reporter(command: command)
        let result = body(chosen)
        if let junit = chosen as? JUnitReporter, let problem = junit.writeError { throw CommandFailure(problem) }
        return result
    }
}
