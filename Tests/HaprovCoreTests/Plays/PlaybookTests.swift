import Foundation
import Testing
@testable import HaprovCore

/// `haprov_plays`: which roles run where, and how a rollout may change their hosts.
@Suite struct PlaybookTests {
    @Test func playsSetSerialAndMaxFailPercentage() throws {
        let plays: Value = .list([.map(["hosts": .string("web"), "roles": .list([.string("web")]), "serial": .string("50%"), "max_fail_percentage": .int(20)]),
                                  .map(["hosts": .string("lb"), "roles": .list([.string("haproxy")]), "serial": .int(1)])])
        let playbook = try Playbook(plays, source: "inv.yml")
        let (limits, maxFail) = try playbook.rollout { $0 == "web" ? ["w1", "w2", "w3", "w4"] : ["lb1", "lb2"] }
        #expect(limits == [RolloutPlan.Limit(hosts: ["w1", "w2", "w3", "w4"], limit: 2), RolloutPlan.Limit(hosts: ["lb1", "lb2"], limit: 1)])
        #expect(maxFail == 20)
        let bad: Value = .list([.map(["hosts": .string("web"), "roles": .list([.string("web")]), "serial": .string("half"), "max_fail_percentage": .int(150)])])
        let error = #expect(throws: LoadError.self) { try Playbook(bad, source: "inv.yml") }
        #expect(error?.problems.count == 2)
    }

    @Test func everyProblemOfThePlaysAtOnce() throws {
        let plays: Value = .list([.map(["hosts": .string("web")]), .string("haproxy"), .map(["roles": .list([.string("web")])])])
        let error = #expect(throws: LoadError.self) { try Playbook(plays, source: "inv.yml") }
        #expect((error?.problems.count ?? 0) >= 3, "\(String(describing: error))")
        #expect(error?.problems.allSatisfy { $0.location.hasPrefix("inv.yml") } == true)
        let missing = #expect(throws: LoadError.self) { try Playbook(nil, source: "inv.yml") }
        #expect(missing?.description.contains("haprov_plays") == true)
    }

    @Test func rolesOfEachHostInPlayOrder() throws {
        let plays: Value = .list([.map(["hosts": .string("lbs"), "roles": .list([.string("haproxy"), .string("keepalived")])]),
                                  .map(["hosts": .string("all"), "roles": .list([.string("common")])])])
        let playbook = try Playbook(plays, source: "inv.yml")
        let roles = try playbook.roles { $0 == "lbs" ? ["lb1"] : ["lb1", "web1"] }
        #expect(roles["lb1"] == ["haproxy", "keepalived", "common"] && roles["web1"] == ["common"])
    }
}
