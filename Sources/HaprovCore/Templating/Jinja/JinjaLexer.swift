import Foundation

/// Cuts a template into text, `{{ expressions }}` and `{% statements %}`, with the whitespace
/// rules of Ansible's template module: the newline right after a statement or comment tag is
/// dropped (trim_blocks), spaces before a tag are kept (no lstrip_blocks), `{%-`/`-%}` (and the
/// same on `{{ }}`) strip the whitespace on that side, and the template's last newline stays.
struct JinjaPiece: Sendable {
    enum Kind: Sendable { case text, output, statement }
    var kind: Kind
    var content: String
    var line: Int
}

enum JinjaLexer {
    static func pieces(_ source: String) throws -> [JinjaPiece] {
        let chars = Array(source)
        var pieces: [JinjaPiece] = []
        var text = ""
        var textLine = 1
        var line = 1
        var i = 0
        var stripWhitespace = false
        var dropNewline = false

        func flushText() {
            if !text.isEmpty { pieces.append(JinjaPiece(kind: .text, content: text, line: textLine)) }
            text = ""
            textLine = line
        }

        while i < chars.count {
            let c = chars[i]
            if c == "{", i + 1 < chars.count, "{%#".contains(chars[i + 1]) {
                let opener = chars[i + 1]
                var j = i + 2
                if j < chars.count, chars[j] == "-" {
                    j += 1
                    while let last = text.last, last.isWhitespace { text.removeLast() }
                } else if j < chars.count, chars[j] == "+" {
                    j += 1
                }
                flushText()
                let tagLine = line
                let closer: Character = opener == "{" ? "}" : opener == "%" ? "%" : "#"
                guard let end = closing(chars, from: j, closer: closer, quoted: opener != "#") else {
                    let what = opener == "{" ? "'{{' has no '}}'" : opener == "%" ? "'{%' has no '%}'" : "'{#' has no '#}'"
                    throw JinjaFailure(what, line: tagLine)
                }
                var inner = String(chars[j..<end])
                line += inner.filter { $0 == "\n" }.count
                i = end + 2
                stripWhitespace = false
                dropNewline = false
                if inner.hasSuffix("-") {
                    inner.removeLast()
                    stripWhitespace = true
                } else if inner.hasSuffix("+") {
                    inner.removeLast()
                }
                switch opener {
                case "{":
                    pieces.append(JinjaPiece(kind: .output, content: inner, line: tagLine))
                case "%":
                    dropNewline = true
                    if inner.trimmingCharacters(in: .whitespaces) == "raw" {
                        // Everything up to {% endraw %} is text, braces and all.
                        guard let (rawEnd, after) = endRaw(chars, from: i) else { throw JinjaFailure("'{% raw %}' has no '{% endraw %}'", line: tagLine) }
                        if dropNewline, i < rawEnd, chars[i] == "\n" { i += 1; line += 1 }
                        let raw = String(chars[i..<rawEnd])
                        line += raw.filter { $0 == "\n" }.count
                        textLine = line
                        pieces.append(JinjaPiece(kind: .text, content: raw, line: tagLine))
                        i = after
                        textLine = line
                        continue
                    }
                    pieces.append(JinjaPiece(kind: .statement, content: inner, line: tagLine))
                default:
                    dropNewline = true  // a comment
                }
                textLine = line
                continue
            }
            if stripWhitespace {
                if c.isWhitespace {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    i += 1
                    continue
                }
                stripWhitespace = false
            }
            if dropNewline {
                dropNewline = false
                if c == "\n" || c == "\r\n" {
                    line += 1
                    i += 1
                    textLine = line
                    continue
                }
            }
            if text.isEmpty { textLine = line }
            text.append(c)
            if c == "\n" || c == "\r\n" { line += 1 }
            i += 1
        }
        flushText()
        return pieces
    }

    /// Where `closer` + `}` ends a tag opened before `from`, skipping quoted strings.
    private static func closing(_ chars: [Character], from start: Int, closer: Character, quoted: Bool) -> Int? {
        var k = start
        var quote: Character?
        while k + 1 < chars.count {
            let c = chars[k]
            if let q = quote {
                if c == "\\" { k += 2; continue }
                if c == q { quote = nil }
            } else if quoted, c == "'" || c == "\"" {
                quote = c
            } else if c == closer, chars[k + 1] == "}" {
                return k
            }
            k += 1
        }
        return nil
    }

    /// The start of the `{% endraw %}` tag after `from`, and where the text resumes after it.
    private static func endRaw(_ chars: [Character], from start: Int) -> (Int, Int)? {
        var k = start
        while k + 1 < chars.count {
            if chars[k] == "{", chars[k + 1] == "%", let end = closing(chars, from: k + 2, closer: "%", quoted: false) {
                var inner = String(chars[(k + 2)..<end])
                inner = inner.trimmingCharacters(in: CharacterSet(charactersIn: "-+ \t"))
                if inner == "endraw" {
                    var after = end + 2
                    if after < chars.count, chars[after] == "\n" { after += 1 }
                    return (k, after)
                }
            }
            k += 1
        }
        return nil
    }
}
