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
