import Foundation
import Testing
@testable import HaprovCore

/// `course new` twins and the class table, without a lab.
@Suite struct CourseTwinsTests {
    static let source = RolloutPlanTests.repository + "/Inventories/lab-keepalived.yml"

    @Test func twinsNeverCollide() throws {
        let text = try String(contentsOfFile: Self.source, encoding: .utf8)
        let twins = try CourseTwins.make(from: Self.source, text: text, count: 12, prefix: nil, firstOctet: 200)
        #expect(twins.map(\.name) == (1...12).map { String(format: "keepalived%02d", $0) })
        #expect(Set(twins.map(\.subnet)).count == 12 && twins.last?.subnet == "10.213.211.0/24")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("haprov-twins-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var routerIDs: Set<String> = []
        for twin in twins {
            #expect(!twin.text.contains("10.213.7.") && !twin.text.contains("/lab/keepalived/"), "\(twin.name) still names the source lab")
            let path = folder + "/\(twin.name).yml"
            try twin.text.write(toFile: path, atomically: true, encoding: .utf8)
            let inventory = try Inventory.load(path: path)
            guard case .map(let lab)? = inventory.groupVariables("all")["haprov_lab"] else { Issue.record("no haprov_lab in \(twin.name)"); continue }
            #expect(lab["name"]?.plainString == twin.name)
            #expect(inventory.hostNames == ["lb1", "lb2", "web1", "web2", "client"])
            routerIDs.insert(inventory.variables(for: "lb1")["keepalived_router_id"]?.plainString ?? "")
        }
        #expect(routerIDs.count == 12)
    }

    @Test func badRequestsSayWhy() throws {
        let text = try String(contentsOfFile: Self.source, encoding: .utf8)
        #expect(throws: CourseTwins.Problem.self) { try CourseTwins.make(from: Self.source, text: text, count: 0, prefix: nil, firstOctet: 100) }
        let tooLong = #expect(throws: CourseTwins.Problem.self) { try CourseTwins.make(from: Self.source, text: text, count: 3, prefix: "averyveryverylong", firstOctet: 100) }
        #expect(tooLong?.description.contains("at most 10 characters") == true)
        let overflow = #expect(throws: CourseTwins.Problem.self) { try CourseTwins.make(from: Self.source, text: text, count: 30, prefix: nil, firstOctet: 240) }
        #expect(overflow?.description.contains("within 10.213.1-254") == true)
    }
}

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
