import Foundation
import Testing
@testable import HaprovCore

@Suite struct ClassTableTests {
    static let table = ClassTable(command: "test", rows: [
        ClassTable.Row(lab: "s02", status: .failed, tests: ["Round robin": .init(passed: false, observation: "answers: Serveur 2, \"Serveur 2\""), "Stats": .init(passed: true, observation: "ok")],
                       drift: ["lb1: haproxy.cfg differs"], seconds: 3),
        ClassTable.Row(lab: "s01", status: .ok, tests: ["Round robin": .init(passed: true, observation: "ok"), "Stats": .init(passed: true, observation: "ok")]),
        ClassTable.Row(lab: "s03", status: .unreachable, detail: "lb1: connect: refused"),
    ], testNames: ["Round robin", "Stats"], showsDrift: true)

    @Test func csvQuotesEveryFieldAndDoublesQuotes() {
        let lines = Self.table.csv().components(separatedBy: "\r\n")
        #expect(lines[0] == "\"lab\",\"status\",\"detail\",\"Round robin\",\"Stats\",\"drift\"")
        #expect(lines[1].hasPrefix("\"s01\",\"ok\""), "rows sorted by lab")
        #expect(lines[2] == "\"s02\",\"failed\",\"\",\"FAILED: answers: Serveur 2, \"\"Serveur 2\"\"\",\"passed\",\"lb1: haproxy.cfg differs\"")
        #expect(lines[3] == "\"s03\",\"unreachable\",\"lb1: connect: refused\",\"-\",\"-\",\"\"")
    }

    @Test func junitHasASuitePerLabAndCountsFailures() {
        let xml = Self.table.junit()
        #expect(xml.contains("<testsuites name=\"haprov course test\" tests=\"10\" failures=\"3\">"), "\(xml)")
        #expect(xml.contains("<testcase classname=\"s02\" name=\"Round robin\"><failure message=\"answers: Serveur 2, &quot;Serveur 2&quot;\"/></testcase>"))
        #expect(xml.contains("<testcase classname=\"s03\" name=\"reachable\"><failure message=\"lb1: connect: refused\"/></testcase>"))
    }
}
