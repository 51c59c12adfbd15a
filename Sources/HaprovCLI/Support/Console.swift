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

/// Messages to standard error, coloured only on a terminal.
enum Console {
    static func error(_ message: String) {
        let palette = Palette(output: StandardOutput.err)
        StandardOutput.err.write(palette.red("error: ") + message + "\n")
    }
}
