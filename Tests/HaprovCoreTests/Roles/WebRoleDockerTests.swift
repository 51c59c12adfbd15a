import Foundation
import Testing
@testable import HaprovCore

/// The web role's Docker tasks for the SAM lab's own inventory, on the Ubuntu 24.04 its VMs run:
/// Docker's repository with its key, as the seed's write-up installs it. (Never applied here:
/// the seed's addresses are the students' own.)
@Suite struct WebRoleDockerTests {
    @Test func samInventoryOnUbuntuGetsDockersOwnRepository() throws {
        let inventory = try Inventory.load(path: RoleTemplateTests.repository + "/Inventories/sam.yml")
        let role = try RoleLoader.load("web", from: RoleTemplateTests.roles)
        var variables = role.defaults.merging(inventory.variables(for: "WEB1-SAM")) { _, host in host }
        variables["inventory_hostname"] = .string("WEB1-SAM")
        variables["ansible_distribution"] = .string("Ubuntu")
        variables["ansible_distribution_release"] = .string("noble")
        var scopes = ResolvedScopes()
        let bound = BoundTask.bind(role.tasks, role: role, variables: variables, renderer: TemplateRenderer(),
                                   topLevelTemplates: nil, hostName: "WEB1-SAM", scopes: &scopes)
        let repository = try #require(bound.first { $0.task.name == "Docker's apt repository" }?.module as? AptRepositoryModule)
        #expect(repository.line == "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable")
        #expect(repository.keyURL == "https://download.docker.com/linux/ubuntu/gpg")
        let compose = try #require(bound.first { $0.task.name == "container running" }?.module as? CommandModule)
        #expect(compose.command == "docker compose up -d --build", "Docker's compose plugin, as the seed runs it")
    }
}
