import Foundation
import Testing
@testable import HaprovCore

/// One project per run: inventory, selected hosts, roles, variables and connections, loaded by
/// the core with every problem at once, each with its place.
@Suite struct ProjectTests {
    static let repository = RolloutPlanTests.repository

    static func inventory(_ text: String, in folder: String) throws -> String {
        let path = folder + "/lab.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let stack = """
        all:
          vars:
            haprov_plays:
              - hosts: lbs
                roles: [haproxy]
          children:
            lbs:
              hosts:
                lb1: {ansible_host: 127.0.0.1, haproxy_backends: [{name: w1, address: 127.0.0.2}]}
                lb2: {ansible_host: 127.0.0.1, haproxy_backends: [{name: w1, address: 127.0.0.2}]}
        """

    @Test func loadsTheSelectedHostsWithTheirRolesAndExtraVariables() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var request = Project.Request(inventoryPath: try Self.inventory(Self.stack, in: folder), limit: "lb2", rolesPath: Self.repository + "/Roles")
        request.extraVariables = ["haproxy_maxconn": .int(50)]
        request.context = true
        let project = try Project.load(request)
        #expect(project.hosts == ["lb2"] && project.jobs.map(\.name) == ["lb2"] && project.context.map(\.name) == ["lb1"])
        #expect(project.jobs[0].roles.map(\.name) == ["haproxy"] && project.jobs[0].variables["haproxy_maxconn"] == .int(50))
        #expect(project.jobs[0].connection.address == "127.0.0.1")
    }

    /// The web servers are listed once: the balancers' backends come from the web group, named
    /// after the hosts, at their ansible_host (through hostvars), unless given by hand.
    @Test func backendsComeFromTheWebGroupThroughHostvars() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = """
            all:
              vars:
                haprov_plays:
                  - {hosts: lbs, roles: [haproxy]}
                  - {hosts: proxies, roles: [apache_balancer]}
              children:
                lbs:
                  hosts:
                    lb1: {ansible_host: 127.0.0.1}
                    lb2: {ansible_host: 127.0.0.1, haproxy_backend_port: 8080, haproxy_backend_group: other}
                proxies:
                  hosts:
                    px1: {ansible_host: 127.0.0.1}
                webservers:
                  hosts:
                    web1: {ansible_host: 10.213.7.11}
                    web2: {ansible_host: "{{ web2_address }}", web2_address: 10.213.7.12}
                other:
                  hosts:
                    web3:
            """
        var request = Project.Request(inventoryPath: try Self.inventory(text, in: folder), limit: "lbs,proxies", rolesPath: Self.repository + "/Roles")
        request.connecting = false
        let project = try Project.load(request)
        func resolved(_ host: String, _ name: String) -> Value? { project.jobs.first { $0.name == host }?.resolvedVariables()[name] }
        func backend(_ name: String, _ address: String, _ port: Int) -> Value {
            .map(["name": .string(name), "address": .string(address), "port": .int(port)])
        }
        #expect(resolved("lb1", "haproxy_backends") == .list([backend("web1", "10.213.7.11", 80), backend("web2", "10.213.7.12", 80)]))
        // Another group and port; a host without ansible_host is reached by its name.
        #expect(resolved("lb2", "haproxy_backends") == .list([backend("web3", "web3", 8080)]))
        #expect(resolved("px1", "apache_balancer_members") == .list([backend("web1", "10.213.7.11", 80), backend("web2", "10.213.7.12", 80)]))
        // Templates see every host of the inventory, even outside --limit.
        let config = try TemplateRenderer().render("{{ hostvars['web2'].ansible_host }} {{ groups['webservers'] | join(',') }}",
                                                   name: "t", variables: project.jobs[0].resolvedVariables())
        #expect(config == "10.213.7.12 web1,web2")
    }

    @Test func everyProblemAtOnceWithItsPlace() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let broken = Self.stack.replacingOccurrences(of: "lb1: {ansible_host: 127.0.0.1,", with: "lb1: {ansible_host: 127.0.0.1, ansible_ssh_private_key_file: /nonexistent/id_ed25519, haproxy_balance: fastest,")
        let path = try Self.inventory(broken, in: folder)
        let error = #expect(throws: LoadError.self) { try Project.load(Project.Request(inventoryPath: path, rolesPath: Self.repository + "/Roles")) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("2 problems:"), "\(text)")
        #expect(text.contains("lab.yml:9:") && text.contains("lb1: haproxy_balance is 'fastest'"), "\(text)")
        #expect(text.contains("lab.yml:9:70: lb1: private key /nonexistent/id_ed25519 does not exist"), "\(text)")
        // Without connecting (listings, syntax checks) the connection settings are not checked.
        var listing = Project.Request(inventoryPath: path, rolesPath: Self.repository + "/Roles")
        listing.connecting = false
        let only = #expect(throws: LoadError.self) { try Project.load(listing) }
        #expect(only?.problems.count == 1 && only?.description.contains("haproxy_balance") == true, "\(only?.description ?? "")")
    }

    @Test func noRolesFolderNamesWhereItLookedAndTheFix() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try Self.inventory(Self.stack, in: folder)
        let error = #expect(throws: LoadError.self) { try Project.load(Project.Request(inventoryPath: path, rolesPath: folder + "/nowhere")) }
        #expect(error?.description.contains("nowhere: --roles-path: no such folder") == true, "\(error?.description ?? "")")
        // A folder without the role: haprov's own roles serve, and a role nobody has is named with both folders.
        try FileManager.default.createDirectory(atPath: folder + "/mine/web", withIntermediateDirectories: true)
        #expect(try Project.load(Project.Request(inventoryPath: path, rolesPath: folder + "/mine")).jobs.first?.roles.first?.directory.hasSuffix("/Roles/haproxy") == true)
        let renamed = try Self.inventory(Self.stack.replacingOccurrences(of: "roles: [haproxy]", with: "roles: [haproxyy]"), in: folder)
        let missing = #expect(throws: LoadError.self) { try Project.load(Project.Request(inventoryPath: renamed, rolesPath: folder + "/mine")) }
        #expect(missing?.description.contains("no role haproxyy in \(folder)/mine or ") == true && missing?.description.contains("did you mean haproxy?") == true,
                "\(missing?.description ?? "")")
        let nothing = #expect(throws: LoadError.self) { try Project.inventory(path, limit: "lbs,!lbs") }
        #expect(nothing?.description.contains("no hosts selected by --limit lbs,!lbs") == true, "\(nothing?.description ?? "")")
    }
}
