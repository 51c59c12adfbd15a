import Foundation
import Testing
@testable import HaprovCore

@Suite struct FastTextTests {
    @Test func substringsByBytes() {
        #expect("haproxy_stats_password".containsBytes("pass"))
        #expect(!"haproxy_stats_user".containsBytes("pass"))
        #expect("pa".containsBytes("") && !"pa".containsBytes("pass"))
        #expect("clé secrète".containsBytes("secrète") && !"cle".containsBytes("clé"))
        #expect("aaab".containsBytes("aab"))
    }

    /// A `when:` condition as an expression: braces gone, spaces around trimmed (Unicode ones too).
    @Test func conditionsWithoutBraces() {
        #expect("{{ web_runtime == 'docker' }}".withoutJinjaBraces == "web_runtime == 'docker'")
        #expect("  a and b\t".withoutJinjaBraces == "a and b" && "x in {'a': 1}".withoutJinjaBraces == "x in {'a': 1}")
        #expect("\u{a0}{{ enabled }}\u{a0}".withoutJinjaBraces == "enabled" && "{{{x}}}".withoutJinjaBraces == "{x}")
    }

    @Test func jinjaMarkers() {
        #expect("{{ x }}".hasJinjaMarker && "a {% if b %}".hasJinjaMarker && "x{{".hasJinjaMarker)
        #expect(!"{ a: 1 }".hasJinjaMarker && !"}}{".hasJinjaMarker && !"".hasJinjaMarker && !"{".hasJinjaMarker)
        #expect(!"{ {".hasJinjaMarker && "{{{".hasJinjaMarker)
    }
}

extension FastTextTests {
    /// The name checks that replaced regular expressions accept and refuse what the
    /// expressions did, and no longer let a final line break through.
    @Test func namesAreCheckedAsTheirExpressionsDid() throws {
        let cases: [(String, String?, String, ClosedRange<Int>)] = [
            (#"^[a-z0-9][a-z0-9+.\-:=~]*$"#, "a-z0-9", "a-z0-9+.\\-:=~", 1...Int.max),
            (#"^[A-Za-z0-9_.:/@%+,-]+$"#, nil, "A-Za-z0-9_.:/@%+,\\-", 1...Int.max),
            (#"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"#, "A-Za-z_", "A-Za-z0-9_.\\-", 1...64),
            (#"^[A-Za-z0-9_\-]{1,28}$"#, nil, "A-Za-z0-9_\\-", 1...28),
        ]
        let words = ["haproxy", "libc6:i386", "g++", "python3.12=3.12.3-1~ubuntu1", "Nginx", "-x", "a b", "é", "", "x\n", "a;b", "a$b",
                     "fwmark", "0.0.0.0/0", "lookup@100", String(repeating: "a", count: 28), String(repeating: "a", count: 29),
                     String(repeating: "b", count: 64), String(repeating: "b", count: 65), "_chain", "9lives", "a-b.c_d", "/", "a\u{0}"]
        for (pattern, first, rest, lengths) in cases {
            let expression = try NSRegularExpression(pattern: pattern)
            for word in words {
                let matched = expression.firstMatch(in: word, range: NSRange(word.startIndex..., in: word)) != nil && !word.contains("\n")
                #expect(word.isWord(first: first.map(ASCIIClass.init), rest: ASCIIClass(rest), lengths: lengths) == matched, "\(pattern) \(word.debugDescription)")
            }
        }
        for address in ["::1", "fe80::1", "2001:db8::10.0.0.1", "::", "1:2"] { #expect(Inventory.isIPv6Like(address), "\(address)") }
        for other in [":", "1.2:3", "abc", ".::1", "fe80::1\n", "g::1", "1::2 "] { #expect(!Inventory.isIPv6Like(other), "\(other)") }
    }
}
