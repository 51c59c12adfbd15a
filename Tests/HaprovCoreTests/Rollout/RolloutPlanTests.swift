import Foundation
import Testing
@testable import HaprovCore

/// The stack's shape read from the real roles and lab inventories, and the batches it gives.
@Suite struct RolloutPlanTests {
    static let repository = URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().deletingLastPathComponent().path

    /// The shape of an inventory of Inventories/, with the roles of Roles/.
    static func shape(_ file: String, extra: [String: Value] = [:]) throws -> StackShape {
        let inventory = try Inventory.load(path: repository + "/Inventories/" + file)
        let playbook = try Playbook(inventory.groupVariables("all")[Playbook.variable], source: inventory.path)
        let roles = try RoleLoader.load(playbook.roleNames, from: repository + "/Roles")
        let byName = Dictionary(uniqueKeysWithValues: roles.map { ($0.name, $0) })
        let rolesOfHost = try playbook.roles { try inventory.select(limit: $0) }
        let hosts = try inventory.select(limit: nil)
        let hostvars = inventory.hostvars(extra: extra)
        let jobs = hosts.map { host in
            HostJob(name: host, connection: ConnectionSpec(name: host, address: host), roles: (rolesOfHost[host] ?? []).compactMap { byName[$0] },
                    variables: inventory.jobVariables(for: host, extra: extra, hostvars: hostvars))
        }
        return Engine.shape(of: jobs)
    }

    @Test func keepalivedTwinShape() throws {
        let shape = try Self.shape("lab-keepalived.yml")
        #expect(shape.groups.map(\.hosts) == [["lb1", "lb2"], ["web1", "web2"]])
        #expect(shape.vipGroups.map(\.vip) == ["10.213.7.100"])
        #expect(shape.vipGroups.first?.preferred == "lb1")
        #expect(shape.vipGroups.first?.handoverValue(for: "lb1") == -99, "priority 100 lowered to 1")
        #expect(shape.fronts["web1"]?.map(\.balancer) == ["lb1", "lb2"])
        #expect(shape.fronts["web1"]?.map(\.server) == ["web1", "web1"])
        // The web role's smoke probe marked gate: the app answers on the host itself, with its name.
        #expect(shape.probes["web1"]?.first?.command.contains("curl -sS -m 10 -w '\\n@@%{http_code}' http://127.0.0.1:80/") == true, "\(shape.probes["web1"] ?? [])")
        #expect(shape.probes["web1"]?.first?.command.contains("*'Serveur 1'*") == true)
        #expect(shape.probes["lb1"]?.first?.command.contains("grep -qE ':80$'") == true)
        #expect(shape.probes["client"] == nil)
        #expect(shape.conflict("lb1", "lb2") && shape.conflict("web1", "web2") && shape.conflict("lb1", "web2"))
        #expect(!shape.conflict("client", "lb1"))
    }

    @Test func apacheTwinDrainsThroughTheBalancerManager() throws {
        let shape = try Self.shape("lab-apache.yml")
        let fronts = shape.fronts["backend1"] ?? []
        #expect(fronts.map(\.balancer) == ["apache1", "apache2"])
        #expect(fronts.allSatisfy { $0.drain == .apache && $0.balancerName == "mycluster" && $0.memberURL == "http://10.213.10.11" }, "\(fronts)")
    }

    @Test func equalPrioritiesHaveNoPreferredNode() throws {
        // keepalived does not preempt an equal priority: no node is expected to take the VIP back.
        let shape = try Self.shape("lab-keepalived.yml", extra: ["keepalived_priority": .int(90)])
        #expect(shape.vipGroups.first?.preferred == nil)
    }

    @Test func nopreemptHandsOverByAFault() throws {
        let shape = try Self.shape("lab-keepalived.yml", extra: ["keepalived_nopreempt": .bool(true), "keepalived_state": .string("BACKUP")])
        #expect(shape.vipGroups.first?.nopreempt == true)
        #expect(shape.vipGroups.first?.handoverValue(for: "lb1") == -254)
    }

    @Test func peersAndBackendsNeverShareABatchAndHoldersGoLast() throws {
        let shape = try Self.shape("lab-keepalived.yml")
        let everyone: Set<String> = ["lb1", "lb2", "web1", "web2", "client"]
        let plan = RolloutPlan.make(changing: ["lb1", "lb2", "web1", "web2", "client"], serving: everyone, holders: ["lb1"], shape: shape)
        #expect(plan.batches == [["lb2", "client"], ["web1"], ["web2"], ["lb1"]])
        for batch in plan.batches {
            for a in batch { for b in batch where a != b { #expect(!shape.conflict(a, b), "\(a) and \(b) in one batch") } }
        }
    }

    @Test func onlyTheChangingHostsAreBatched() throws {
        let shape = try Self.shape("lab-keepalived.yml")
        let plan = RolloutPlan.make(changing: ["web1", "web2"], serving: ["lb1", "lb2", "web1", "web2"], holders: ["lb1"], shape: shape)
        #expect(plan.batches == [["web1"], ["web2"]])
    }

    @Test func hostsThatDoNotServeYetChangeTogether() throws {
        let shape = try Self.shape("lab-keepalived.yml")
        let plan = RolloutPlan.make(changing: ["lb1", "lb2", "web1", "web2", "client"], serving: [], holders: [], shape: shape)
        #expect(plan.batches == [["lb1", "lb2", "web1", "web2", "client"]])
        // One web server already serves, the other is new: still both at once (nothing to protect).
        let mixed = RolloutPlan.make(changing: ["web1", "web2"], serving: ["web1"], holders: [], shape: shape)
        #expect(mixed.batches == [["web1", "web2"]])
    }

    @Test func serialLimitsEachBatch() throws {
        let shape = try Self.shape("lab-keepalived.yml")
        let limit = RolloutPlan.Limit(hosts: ["lb1", "lb2", "web1", "web2", "client"], limit: 1)
        let plan = RolloutPlan.make(changing: ["lb1", "web1", "client"], serving: [], holders: [], shape: shape, limits: [limit])
        #expect(plan.batches == [["lb1"], ["web1"], ["client"]])
        #expect(Serial(.string("50%"))?.limit(of: 5) == 2)
        #expect(Serial(.string("10%"))?.limit(of: 5) == 1)
        #expect(Serial(.int(0))?.limit(of: 5) == 5)
        #expect(Serial(.string("lots")) == nil)
    }
}
