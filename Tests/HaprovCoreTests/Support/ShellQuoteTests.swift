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

    @Test func emptyStringIsAnEmptyWord() throws {
        let result = try LocalTransport().run("set -- \(Shell.quote("")); echo $#")
        #expect(result.stdoutText == "1\n")
    }
}
