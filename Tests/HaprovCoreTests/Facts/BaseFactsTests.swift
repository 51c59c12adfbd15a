import Foundation
import Testing
@testable import HaprovCore

/// The host facts roles read, parsed from what the one fact command prints.
@Suite struct BaseFactsTests {
    static func variables(_ text: String) -> [String: Value] {
        BaseFacts.variables(from: FactOutput(exitStatus: 0, output: Data(text.utf8)))
    }

    static let ubuntu = """
        NAME="Ubuntu"
        VERSION_ID="24.04"
        VERSION_CODENAME=noble
        ID=ubuntu
        ID_LIKE=debian
        @hostname=WEB1-SAM
        @route=default via 10.0.0.1 dev ens18 proto static
        @addr=2: ens18    inet 10.0.0.31/16 brd 10.0.255.255 scope global ens18\\       valid_lft forever preferred_lft forever
        """

    @Test func osAndDefaultRouteUnderAnsiblesNames() {
        let facts = Self.variables(Self.ubuntu)
        #expect(facts["ansible_distribution"] == .string("Ubuntu"))
        #expect(facts["ansible_distribution_release"] == .string("noble"))
        #expect(facts["ansible_os_family"] == .string("Debian"))
        #expect(facts["ansible_default_ipv4"] == .map(["gateway": .string("10.0.0.1"), "interface": .string("ens18"),
                                                        "address": .string("10.0.0.31"), "prefix": .string("16")]))
    }

    @Test func haprovReachedThroughAGateway() {
        let facts = Self.variables(Self.ubuntu + "\n@client=100.99.224.90 100.99.224.90 via 10.0.0.1 dev ens18 src 10.0.0.31 uid 0")
        #expect(facts["haprov_client_address"] == .string("100.99.224.90"))
        #expect(facts["haprov_client_gateway"] == .string("10.0.0.1"))
    }

    @Test func haprovOnTheSameLink() {
        let facts = Self.variables(Self.ubuntu + "\n@client=10.0.0.5 10.0.0.5 dev ens18 src 10.0.0.31 uid 0")
        #expect(facts["haprov_client_address"] == .string("10.0.0.5"))
        #expect(facts["haprov_client_gateway"] == .string(""))
    }

    @Test func noSSHPeerKnown() {
        let facts = Self.variables(Self.ubuntu)
        #expect(facts["haprov_client_address"] == .string(""))
        #expect(facts["haprov_client_gateway"] == .string(""))
    }
}
