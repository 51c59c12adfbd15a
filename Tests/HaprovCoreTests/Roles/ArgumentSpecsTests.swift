import Foundation
import Testing
@testable import HaprovCore

/// The roles' argument specs: every shipped inventory passes them, and a wrong value is found
/// before any host is reached, with the place it is written and the fix.
@Suite struct ArgumentSpecsTests {
    static func jobs(_ path: String, extra: [String: Value] = [:]) throws -> (Inventory, [HostJob]) {
        let inventory = try Inventory.load(path: path)
        let playbook = try Playbook(inventory.groupVariables("all")[Playbook.variable], source: inventory.path)
        let roles = try RoleLoader.load(playbook.roleNames, from: RolloutPlanTests.repository + "/Roles")
        let byName = Dictionary(uniqueKeysWithValues: roles.map { ($0.name, $0) })
        let rolesOfHost = try playbook.roles { try inventory.select(limit: $0) }
        let hostvars = inventory.hostvars(extra: extra)
        let jobs = try inventory.select(limit: nil).map { host in
            HostJob(name: host, connection: ConnectionSpec(name: host, address: host), roles: (rolesOfHost[host] ?? []).compactMap { byName[$0] },
                    variables: inventory.jobVariables(for: host, extra: extra, hostvars: hostvars))
        }
        return (inventory, jobs)
    }

    @Test func everyRoleHasSpecs() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: RolloutPlanTests.repository + "/Roles").sorted()
        for role in try RoleLoader.load(names, from: RolloutPlanTests.repository + "/Roles") {
            #expect(role.argumentSpecs != nil, "\(role.name) has no meta/argument_specs.yml")
            // Every default the role sets is declared.
            let declared = Set(role.argumentSpecs?.options.map(\.name) ?? [])
            #expect(Set(role.defaults.keys).subtracting(declared).isEmpty, "\(role.name): \(Set(role.defaults.keys).subtracting(declared).sorted())")
        }
    }

    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: RolloutPlanTests.repository + "/Inventories").filter { $0.hasSuffix(".yml") }.sorted())
    func shippedInventoriesPass(_ file: String) throws {
        let (inventory, jobs) = try Self.jobs(RolloutPlanTests.repository + "/Inventories/" + file)
        let problems = ArgumentSpecs.validate(jobs) { inventory.variableLocations(for: $0) }
        #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
    }

    @Test func aNumberWhereAListIsNeededIsFoundWithItsPlace() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = try String(contentsOfFile: RolloutPlanTests.repository + "/Inventories/lab-keepalived.yml", encoding: .utf8)
        let path = folder + "/inv.yml"
        try FileManager.default.createDirectory(atPath: folder + "/host_vars", withIntermediateDirectories: true)
        try "keepalived_state: SLAVE\n".write(toFile: folder + "/host_vars/lb2.yml", atomically: true, encoding: .utf8)
        try source.replacingOccurrences(of: """
                    # The backends are the hosts of webservers, at their ansible_host (haproxy_backends
                    # lists them by hand when their names or addresses must differ).
            """, with: """
                    haproxy_backends: 3
            """).replacingOccurrences(of: "web_name: Serveur 2", with: "web_name: Serveur 2\n          web_runtime: podman")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (inventory, jobs) = try Self.jobs(path, extra: ["haproxy_stats": .string("maybe")])
        var locations: [String: [String: String]] = [:]
        for job in jobs { locations[job.name] = inventory.variableLocations(for: job.name).merging(["haproxy_stats": "-e haproxy_stats"]) { _, e in e } }
        let problems = ArgumentSpecs.validate(jobs) { locations[$0] ?? [:] }.map(\.description)
        let text = problems.joined(separator: "\n")
        #expect(text.contains("inv.yml:25:27: lb1: haproxy_backends must be a list of mappings, not 3 (e.g. haproxy_backends: [{name: ..., address: ...}])"), "\(text)")
        #expect(text.contains("host_vars/lb2.yml:1:19: lb2: keepalived_state is 'SLAVE', not one of MASTER, BACKUP"), "\(text)")
        #expect(text.contains("inv.yml:43:24: web2: web_runtime is 'podman', not one of systemd, docker"), "\(text)")
        #expect(text.contains("-e haproxy_stats: lb1: haproxy_stats must be true or false, not 'maybe'"), "\(text)")
        #expect(problems.count == 6, "every problem at once, per host: \(text)")
    }
}
