import Testing
@testable import HaprovCore

@Suite struct ShellQuoteTests {
    @Test func plainWordsStayUnquoted() {
        #expect(Shell.quote("haproxy.cfg") == "haproxy.cfg")
    }

    @Test func quotesAreEscapedAndRoundTripThroughAShell() throws {
        let nasty = "it's $(rm -rf /) `x` \"y\" \\ ; & | * \n é"
        let result = try LocalTransport().run("printf %s \(Shell.quote(nasty))")
        #expect(result.stdoutText == nasty)
    }

    /// A quote glued to a combining character (before or after it) is one grapheme to Swift but
    /// a quote byte to the shell: it is escaped all the same, and nothing runs.
    @Test func quotesNextToCombiningCharactersAreEscaped() throws {
        for nasty in ["x\u{600}'; echo INJECTED #", "'\u{301}; echo INJECTED; '", "e\u{301}'\u{301}'"] {
            let result = try LocalTransport().run("printf %s \(Shell.quote(nasty))")
            #expect(result.stdoutText == nasty && !result.stdoutText.hasPrefix("INJECTED"), "\(nasty.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func emptyStringIsAnEmptyWord() throws {
        let result = try LocalTransport().run("set -- \(Shell.quote("")); echo $#")
        #expect(result.stdoutText == "1\n")
    }
}
