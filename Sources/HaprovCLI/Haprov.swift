import ArgumentParser
import HaprovCore

/// The root command: subcommands, one file each under Commands/.
public struct Haprov: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "haprov",
        abstract: "Agentless provisioning of high-availability web stacks over SSH.",
        version: HaprovVersion.current,
        subcommands: [
            InventoryCommand.self,
            PingCommand.self,
            RunCommand.self,
            ApplyCommand.self,
            CheckCommand.self,
            TestCommand.self,
            ResetCommand.self,
            LabCommand.self,
            CourseCommand.self,
        ]
    )

    public init() {}
}
