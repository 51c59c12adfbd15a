import Foundation

/// Substring tests on UTF-8 bytes. `String.contains(_:)` with a string argument goes through
/// Foundation's locale-aware search when Foundation is imported: profiling `haprov check` found
/// a tenth of its CPU there, on questions as simple as "does this value hold `{{`".
extension StringProtocol {
    /// Whether `needle` occurs in the text, byte for byte.
    public func containsBytes(_ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard let first = needle.first else { return true }
        let hay = Array(utf8)
        guard hay.count >= needle.count else { return false }
        var index = 0
        while index <= hay.count - needle.count {
            if hay[index] == first, hay[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    /// The text without `{{` and `}}`, trimmed of spaces: a `when:` condition as an
    /// expression (asked for every task of every host, several times a run).
    var withoutJinjaBraces: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        for byte in utf8 {
            if let last = bytes.last, last == byte, byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") {
                bytes.removeLast()
                continue
            }
            bytes.append(byte)
        }
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let start = bytes.firstIndex { !blank($0) } ?? bytes.count
        let end = (bytes.lastIndex { !blank($0) }).map { $0 + 1 } ?? start
        let text = String(decoding: bytes[start..<Swift.max(start, end)], as: UTF8.self)
        // Other Unicode spaces (a no-break space pasted from a document) as the old trimming did.
        return text.isASCIIText ? text : text.trimmingCharacters(in: .whitespaces)
    }

    /// Every byte ASCII: where a byte test answers as Foundation's Unicode-aware search would.
    public var isASCIIText: Bool { utf8.allSatisfy { $0 < 0x80 } }

    /// Whether a Jinja marker (`{{` or `{%`) occurs in the text.
    var hasJinjaMarker: Bool {
        var previousBrace = false
        for byte in utf8 {
            if previousBrace, byte == UInt8(ascii: "{") || byte == UInt8(ascii: "%") { return true }
            previousBrace = byte == UInt8(ascii: "{")
        }
        return false
    }
}

/// A set of ASCII characters written as a regular expression's class ("a-z0-9_.-"), for
/// names checked on every task of every host: `range(of:options: .regularExpression)` compiled
/// an ICU expression on each call (and its `$` let a final line break through).
public struct ASCIIClass: Sendable {
    private var low: UInt64 = 0, high: UInt64 = 0

    public init(_ spec: String) {
        let bytes = Array(spec.utf8)
        var index = 0
        while index < bytes.count {
            var first = bytes[index]
            if first == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1; first = bytes[index] }
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "-") {
                for byte in first...bytes[index + 2] { insert(byte) }
                index += 3
            } else {
                insert(first)
                index += 1
            }
        }
    }

    private mutating func insert(_ byte: UInt8) {
        if byte < 64 { low |= 1 << UInt64(byte) } else if byte < 128 { high |= 1 << UInt64(byte - 64) }
    }

    public func contains(_ byte: UInt8) -> Bool {
        byte < 64 ? low & (1 << UInt64(byte)) != 0 : byte < 128 && high & (1 << UInt64(byte - 64)) != 0
    }
}

extension StringProtocol {
    /// Whether the text is a word of `rest` (its first character of `first`, when given) with
    /// a length in `lengths`: `^[first][rest]*$` with nothing after, a line break included.
    public func isWord(first: ASCIIClass? = nil, rest: ASCIIClass, lengths: ClosedRange<Int> = 1...Int.max) -> Bool {
        let bytes = utf8
        guard lengths.contains(bytes.count), let head = bytes.first else { return false }
        guard (first ?? rest).contains(head) else { return false }
        return bytes.dropFirst().allSatisfy(rest.contains)
    }
}
