/// POSIX shell quoting: every value that reaches a remote shell goes through here.
public enum Shell {
    /// Quotes `value` so a POSIX shell reads it back as one word, byte for byte.
    public static func quote(_ value: String) -> String {
        if !value.isEmpty, value.utf8.allSatisfy(isSafe) { return value }
        // On bytes, as the shell reads them: a quote glued to a combining character is still a
        // quote to the shell (splitting the String would compare grapheme clusters and miss
        // it). Not Foundation's replacingOccurrences either, whose search showed in profiles.
        var bytes: [UInt8] = [UInt8(ascii: "'")]
        bytes.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            if byte == UInt8(ascii: "'") { bytes += Array("'\\''".utf8) } else { bytes.append(byte) }
        }
        bytes.append(UInt8(ascii: "'"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Joins arguments into one command line, each quoted.
    public static func join(_ arguments: [String]) -> String {
        arguments.map(quote).joined(separator: " ")
    }

    private static func isSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"),
             UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "%"),
             UInt8(ascii: "+"), UInt8(ascii: ","):
            return true
        default:
            return false
        }
    }
}

extension Shell {
    /// Splits a command-line fragment written in a role (an iptables rule) into its words, as a
    /// shell would with quotes, but refuses everything a shell would act on: `;`, `|`, `&`, `$`,
    /// backquotes, redirections, parentheses, backslashes and newlines outside quotes, and `$`
    /// or backquotes inside double quotes. The words go back to a shell only through `join`.
    public static func words(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var started = false
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil; continue }
                if open == "\"", "$`\\".contains(character) {
                    throw ShellWordsError(text: text, reason: "\(character) inside double quotes")
                }
                current.append(character)
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                started = true
            case " ", "\t":
                if started { words.append(current) }
                current = ""
                started = false
            case ";", "|", "&", "$", "`", "<", ">", "(", ")", "\\", "\n", "\r", "*", "?", "~", "#", "{", "}":
                throw ShellWordsError(text: text, reason: "'\(character == "\n" ? "newline" : String(character))' would mean something to a shell")
            default:
                current.append(character)
                started = true
            }
        }
        if quote != nil { throw ShellWordsError(text: text, reason: "a quote is not closed") }
        if started { words.append(current) }
        return words
    }
}

/// A fragment that is not plain words.
public struct ShellWordsError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "'\(text)': \(reason)" }
}
