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

    @Test func jinjaMarkers() {
        #expect("{{ x }}".hasJinjaMarker && "a {% if b %}".hasJinjaMarker && "x{{".hasJinjaMarker)
        #expect(!"{ a: 1 }".hasJinjaMarker && !"}}{".hasJinjaMarker && !"".hasJinjaMarker && !"{".hasJinjaMarker)
        #expect(!"{ {".hasJinjaMarker && "{{{".hasJinjaMarker)
    }
}
