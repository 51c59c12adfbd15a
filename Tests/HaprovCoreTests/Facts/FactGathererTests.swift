import Foundation
import Testing
@testable import HaprovCore

@Suite struct FactGathererTests {
    /// A host that answers with something else than the framed facts (a login banner that
    /// swallows them, a shell that dies) fails with the reason; it is not called unreachable.
    @Test func outputCutShortIsAFailureOfThatHostNotAnUnreachableOne() {
        let queries = [FactQuery(key: "a", command: "echo a"), FactQuery(key: "b", command: "echo b")]
        let cut = Data("N begin 0\na\nN end 0\n".utf8)
        #expect(throws: FactError.self) { try FactGatherer.parse(cut, queries: queries, nonce: "N", host: "web1") }
        do { _ = try FactGatherer.parse(cut, queries: queries, nonce: "N", host: "web1") } catch {
            #expect("\(error)".contains("web1: the facts came back cut short at b"), "\(error)")
        }
        let whole = Data("N begin 0\na\nN end 0\nN begin 1\nb\nN end 3\n".utf8)
        let facts = try? FactGatherer.parse(whole, queries: queries, nonce: "N", host: "web1")
        #expect(facts?.outputs["b"]?.exitStatus == 3 && facts?.outputs["b"]?.text == "b")
    }

    /// A guard that exits, or ends in a comment, answers for itself only: the queries after it
    /// in the same script still run (guards run in the script's shell, inside one subshell).
    @Test func aGuardThatExitsEndsOnlyItself() throws {
        let exits = Facts.succeeds("exit 1"), commented = Facts.succeeds("true # done already"), after = Facts.succeeds("test -d /")
        let facts = try FactGatherer.gather([exits, commented, after], on: LocalTransport())
        #expect(try facts.output(exits).text == "no" && facts.output(commented).text == "yes" && facts.output(after).text == "yes")
    }

    /// Tasks built once the host's facts are known ask again only what the first round trip
    /// did not answer for them: a file read against another content is asked again whole.
    @Test func whatIsStillToAskAfterTheFirstRoundTrip() {
        let a = Data("a\n".utf8), b = Data("b\n".utf8)
        let first = [Facts.file("/etc/x", expecting: a), Facts.file("/etc/y"), Facts.succeeds("true")]
        #expect(FactGatherer.stillToAsk([Facts.file("/etc/x", expecting: a), Facts.file("/etc/y"), Facts.succeeds("true")], after: first).isEmpty)
        #expect(FactGatherer.stillToAsk([Facts.file("/etc/y", expecting: b)], after: first).isEmpty, "/etc/y came whole")
        #expect(FactGatherer.stillToAsk([Facts.file("/etc/x", expecting: b)], after: first) == [Facts.file("/etc/x")])
        #expect(FactGatherer.stillToAsk([Facts.file("/etc/x")], after: first) == [Facts.file("/etc/x")])
        #expect(FactGatherer.stillToAsk([Facts.file("/etc/z", expecting: b)], after: first) == [Facts.file("/etc/z", expecting: b)])
    }
}
