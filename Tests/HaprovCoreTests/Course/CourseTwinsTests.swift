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
