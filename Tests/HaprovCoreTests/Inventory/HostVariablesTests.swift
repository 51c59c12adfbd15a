import Foundation
import Testing
@testable import HaprovCore

/// One host's variables, layer by layer: the order every part of haprov reads them in.
@Suite struct HostVariablesTests {
    @Test func layersInAnsiblesOrderWithTheirPlaces() throws {
        let inventory = try Inventory.load(path: InventoryTests.stack)
        let variables = inventory.jobVariables(for: "lb1", extra: ["ntp": .string("from -e")], hostvars: .map([:]))
        #expect(variables.inventory.map { "\($0.kind.rawValue) \($0.owner)" }
                == ["group all", "group loadbalancers", "group_vars all", "group_vars loadbalancers", "host lb1", "host_vars lb1"])
        // role defaults < groups < group_vars < host < host_vars < magic < facts < -e
        let defaults: [String: Value] = ["shared": .string("role default"), "only_default": .int(1), "ntp": .string("role default")]
        let withFacts = variables.with(facts: ["shared": .string("a fact"), "ntp": .string("a fact"), "ansible_hostname": .string("lb1")])
        let merged = withFacts.merged(defaults: [defaults])
        #expect(merged["only_default"] == .int(1))
        #expect(variables.merged(defaults: [defaults])["shared"] == .string("host_vars-lb1"))
        #expect(merged["shared"] == .string("a fact"))
        #expect(merged["ntp"] == .string("from -e"))
        #expect(merged["inventory_hostname"] == .string("lb1") && merged["hostvars"] == .map([:]))
        // Where each value comes from.
        #expect(variables.origin(of: "shared")?.hasSuffix("host_vars/lb1.yml:2:9") == true, "\(variables.origin(of: "shared") ?? "nil")")
        #expect(variables.origin(of: "keepalived_vip")?.contains("hosts.yml:") == true)
        #expect(variables.origin(of: "ntp") == "-e ntp")
        #expect(withFacts.origin(of: "ansible_hostname") == "facts")
        #expect(variables.origin(of: "only_default") == nil)
        #expect(variables.locations["ntp"] == "-e ntp")
    }

    /// The engine's tasks and handlers see the same order: a fact over the inventory, -e over the fact.
    @Test func tasksSeeFactsOverTheInventoryAndExtraOverFacts() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/roles/show/tasks", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/roles/show/defaults", withIntermediateDirectories: true)
        try """
            - name: write what the task sees
              copy:
                dest: "\(root)/seen"
                content: "{{ ansible_os_family }} {{ ansible_distribution }} {{ only_default }} {{ shared }}\\n"
            """.write(toFile: root + "/roles/show/tasks/main.yml", atomically: true, encoding: .utf8)
        try "only_default: from-defaults\nshared: from-defaults\n".write(toFile: root + "/roles/show/defaults/main.yml", atomically: true, encoding: .utf8)
        let role = try RoleLoader.load("show", from: root + "/roles")
        let variables = HostVariables(inventory: [.init(kind: .host, owner: "lb1", values: ["ansible_os_family": .string("inventory says"), "shared": .string("inventory"),
                                                                                         "ansible_distribution": .string("inventory says")])],
                                      extra: ["ansible_distribution": .string("-e says")])
        let job = HostJob(name: "lb1", connection: ConnectionSpec(name: "lb1", address: "127.0.0.1"), roles: [role], variables: variables)
        var options = EngineOptions()
        options.baselineDirectory = root + "/baseline"
        let summary = Engine(factory: LocalFactory(), reporter: CollectingReporter(), options: options).run([job])
        #expect(summary.succeeded)
        let family = try #require(summary.hostFacts["lb1"]?["ansible_os_family"]?.plainString)
        #expect(family != "inventory says")
        let seen = try? String(contentsOfFile: root + "/seen", encoding: .utf8)
        #expect(seen == "\(family) -e says from-defaults inventory\n", "\(seen ?? "no file")")
    }
}
