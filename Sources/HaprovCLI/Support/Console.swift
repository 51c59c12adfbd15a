import Foundation
import HaprovCore

/// Exit codes, documented in the README.
enum HaprovExit {
    static let success: Int32 = 0
    /// A host failed or was unreachable, or the input (inventory, roles, templates) is wrong.
    static let failure: Int32 = 1
    /// `check`: hosts differ from the inventory (drift).
    static let drift: Int32 = 2
    /// `ping` / `run`: some host could not be reached.
    static let unreachable: Int32 = 4
}

/// A command that cannot go on: ArgumentParser prints it ("Error: ...") and exits 1, the one
/// path every input error takes.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Messages to standard error while a command goes on (a report it could not write), coloured
/// only on a terminal.
enum Console {
    static func error(_ message: String) {
        let palette = Palette(output: StandardOutput.err)
        StandardOutput.err.write(palette.red("error: ") + message + "\n")
    }
}
