import ArgumentParser
import HaprovCore

/// The root command: subcommands, one file each under Commands/.
public struct Haprov: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "haprov",
        abstract: "Agentless provisioning of high-availability web stacks over SSH.",
        version: HaprovVersion.current,
        subcommands: [
            InitCommand.self,
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

    /// Runs haprov. Every error reaches the user through ArgumentParser's one path ("Error: ...",
    /// usage for a validation error, the exit code of an `ExitCode`), with the inventory's
    /// secrets masked: a refused value may be a password.
    public static func main() {
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            // Every command may read files with values encrypted by ansible-vault.
            try VaultPassword.useEnvironment()
            try command.run()
        } catch { exit(withError: masked(error)) }
    }

    static func masked(_ error: any Error) -> any Error {
        // ArgumentParser's own errors (help, usage, exit codes) go through untouched.
        if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return error }
        switch error {
        case is ExitCode, is CleanExit: return error
        case let validation as ValidationError: return ValidationError(SecretMasking.mask(validation.message))
        default: return CommandFailure(SecretMasking.mask(String(describing: error)))
        }
    }
}
