import Foundation
import Testing
@testable import HaprovCore

/// The smoke tests' view of each lab twin, built only from what the roles declare.
@Suite struct SmokeTopologyTests {
    static func topology(_ file: String, roles rolesPath: String? = nil, extra: [String: Value] = [:]) throws -> SmokeTopology {
        let repository = RolloutPlanTests.repository
        let inventory = try Inventory.load(path: repository + "/Inventories/" + file)
        let playbook = try Playbook(inventory.groupVariables("all")[Playbook.variable], source: inventory.path)
        let roles = try RoleLoader.load(playbook.roleNames, from: rolesPath ?? repository + "/Roles")
        let byName = Dictionary(uniqueKeysWithValues: roles.map { ($0.name, $0) })
        let rolesOfHost = try playbook.roles { try inventory.select(limit: $0) }
        let hosts = try inventory.select(limit: nil)
        let renderer = TemplateRenderer()
        var variables: [String: [String: Value]] = [:]
        var hostRoles: [String: [Role]] = [:]
        for host in hosts {
            hostRoles[host] = (rolesOfHost[host] ?? []).compactMap { byName[$0] }
            let defaults = (hostRoles[host] ?? []).reduce(into: [String: Value]()) { $0.merge($1.defaults) { _, new in new } }
            variables[host] = renderer.resolveVariables(defaults.merging(inventory.variables(for: host).merging(extra) { _, new in new }) { _, host in host })
        }
        return try SmokeTopology.from(hosts: hosts, roles: hostRoles, variables: variables, renderer: renderer)
    }

    @Test func keepalivedTwin() throws {
        let t = try Self.topology("lab-keepalived.yml")
        #expect(t.front == "10.213.7.100" && t.frontPort == 80 && t.client == "client" && t.clientAddress == "10.213.7.50")
        #expect(t.webServers.map(\.answersAs) == ["Serveur 1", "Serveur 2"])
        #expect(t.webServers[0].stopCommand == "systemctl stop haprov-web" && t.webServers[0].startCommand == "systemctl start haprov-web")
        #expect(t.balancers.map(\.host) == ["lb1", "lb2"] && t.balancers.map(\.isMaster) == [true, false] && t.balancers[0].service == "haproxy")
        #expect(t.vip == "10.213.7.100" && !t.nopreempt && !t.transparent && t.expectsAlternation)
        #expect(t.statsURL == "http://10.213.7.2:8404/stats" && t.statsUser == "admin" && t.statsPassword == "labpass")
    }

    @Test func apacheTwin() throws {
        let t = try Self.topology("lab-apache.yml")
        #expect(t.front == "10.213.10.200" && t.balancers.allSatisfy { $0.service == "apache2" } && t.statsURL == nil && t.expectsAlternation)
    }

    @Test func transparentTwin() throws {
        let t = try Self.topology("lab-transparent.yml")
        #expect(t.transparent && !t.expectsAlternation && t.vip == "10.213.11.110")
    }

    @Test func samTwinRunsFlaskInDocker() throws {
        let t = try Self.topology("lab-sam.yml")
        #expect(t.webServers[0].stopCommand.hasSuffix("&& docker-compose stop") || t.webServers[0].stopCommand.hasSuffix("&& docker compose stop"), "\(t.webServers[0].stopCommand)")
        #expect(t.vip == nil)
    }

    @Test func theClientComesFromTheInventory() throws {
        let t = try Self.topology("lab-keepalived.yml", extra: [SmokeTopology.clientVariable: .string("web2")])
        #expect(t.client == "web2")
    }
}
