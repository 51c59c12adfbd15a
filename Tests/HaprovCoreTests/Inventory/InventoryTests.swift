import Foundation
import Testing
@testable import HaprovCore

@Suite struct InventoryTests {
    static let stack = Fixtures.root + "/inventories/stack/hosts.yml"

    @Test func hostsGroupsAndRanges() throws {
        let inventory = try Inventory.load(path: Self.stack)
        #expect(inventory.hostNames == ["bastion", "lb1", "lb2", "web1", "web2", "web3", "client"])
        #expect(inventory.hosts(in: "webservers") == ["web1", "web2", "web3"])
        #expect(inventory.hosts(in: "ungrouped") == ["bastion"])
        #expect(inventory.groups(of: "web3").contains("webservers"))
    }

    @Test func precedenceFollowsAnsible() throws {
        let inventory = try Inventory.load(path: Self.stack)
        // group_vars/all beats the inventory file's all vars; dictionaries are replaced, not merged.
        #expect(inventory.variables(for: "client")["ntp"] == .string("group_vars-all"))
        #expect(inventory.variables(for: "client")["nested"] == .map(["a": .int(9)]))
        // host_vars beats inventory host vars, which beat group vars.
        #expect(inventory.variables(for: "lb1")["shared"] == .string("host_vars-lb1"))
        #expect(inventory.variables(for: "lb2")["shared"] == .string("from-host"))
        // group_vars/<group> beats every group's vars written in the inventory file.
        #expect(inventory.variables(for: "web3")["shared"] == .string("group_vars-webservers"))
        #expect(inventory.variables(for: "web1")["group_names"] == .list([.string("web_a"), .string("webservers")]))
    }

    @Test func limitPatterns() throws {
        let inventory = try Inventory.load(path: Self.stack)
        #expect(try inventory.select(limit: "loadbalancers") == ["lb1", "lb2"])
        #expect(try inventory.select(limit: "all:!webservers") == ["bastion", "lb1", "lb2", "client"])
        #expect(try inventory.select(limit: "webservers,&web_a") == ["web1", "web2"])
        #expect(try inventory.select(limit: "web*,!web2") == ["web1", "web3"])
        #expect(try inventory.select(limit: "!lb1") == ["bastion", "lb2", "web1", "web2", "web3", "client"])
        #expect(throws: HostPatternError.self) { try inventory.select(limit: "loadbalancer") }
        do { _ = try inventory.select(limit: "loadbalancer") } catch { #expect("\(error)".contains("did you mean loadbalancers?")) }
    }

    @Test func everyProblemIsReportedWithFileLineAndColumn() throws {
        do {
            _ = try Inventory.load(path: Fixtures.root + "/inventories/broken.yml")
            Issue.record("a broken inventory loaded")
        } catch let error as LoadError {
            let text = error.description
            #expect(error.problems.count == 4)
            #expect(text.contains("broken.yml:4:7: unknown key 'hots' in group loadbalancers (did you mean hosts?)"))
            #expect(text.contains("broken.yml:6:7: vars of loadbalancers must be a mapping"))
            #expect(text.contains("broken.yml:8:7: hosts of webservers must be a mapping"))
            #expect(text.contains("broken.yml:13:7: ansible_port must be a port number from 1 to 65535"))
        }
    }

    @Test func connectionVariables() throws {
        let inventory = try Inventory.load(path: Self.stack)
        let web3 = try inventory.connectionSpec(for: "web3")
        #expect(web3.address == "web3")
        #expect(web3.port == 2222)
        #expect(web3.user == "root")
        var defaults = ConnectionDefaults()
        defaults.acceptNewHostKeys = true
        let lb1 = try inventory.connectionSpec(for: "lb1", defaults: defaults)
        #expect(lb1.address == "10.213.7.2")
        #expect(lb1.unknownHostKeyPolicy == .acceptNew)
    }

    @Test func proxyJumpFromCommonArgs() throws {
        let inventory = try Inventory.load(path: Self.stack)
        #expect(inventory.proxyJump(in: "-o ProxyJump=admin@10.213.7.254:2200 -o StrictHostKeyChecking=yes") == "admin@10.213.7.254:2200")
        #expect(inventory.proxyJump(in: "-J bastion") == "bastion")
        #expect(inventory.proxyJump(in: "-o ServerAliveInterval=5") == nil)
    }
}
