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

extension BaseFactsTests {
    /// What the query prints on a Debian lab host: ip's batch output after the "@ip" line.
    @Test func ipBatchOutputAfterTheIpLine() {
        let facts = Self.variables("""
            NAME="Debian GNU/Linux"
            VERSION_ID="12"
            VERSION_CODENAME=bookworm
            ID=debian
            @hostname=lb1
            @ip client=10.213.7.1
            default via 10.213.7.1 dev host0 
            1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
            2: host0    inet 10.213.7.2/24 scope global host0\\       valid_lft forever preferred_lft forever
            2: host0    inet 10.213.7.100/24 scope global secondary host0\\       valid_lft forever preferred_lft forever
            10.213.7.1 dev host0 src 10.213.7.2 uid 0 \\    cache 
            """)
        #expect(facts["ansible_hostname"] == .string("lb1"))
        #expect(facts["ansible_distribution_release"] == .string("bookworm"))
        #expect(facts["ansible_default_ipv4"] == .map(["gateway": .string("10.213.7.1"), "interface": .string("host0"),
                                                        "address": .string("10.213.7.2"), "prefix": .string("24")]))
        #expect(facts["ansible_all_ipv4_addresses"] == .list([.string("127.0.0.1"), .string("10.213.7.2"), .string("10.213.7.100")]))
        #expect(facts["haprov_client_address"] == .string("10.213.7.1"))
        #expect(facts["haprov_client_gateway"] == .string(""))
    }

    /// The same query run for real on this machine parses to the same facts as its own tools say.
    @Test func queryRunsHere() throws {
        let facts = try FactGatherer.gather([BaseFacts.query], on: LocalTransport(hostName: "here"))
        let variables = BaseFacts.variables(from: try facts.output(BaseFacts.query))
        let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(variables["ansible_hostname"] == .string(hostname))
        #expect(variables["ansible_all_ipv4_addresses"]?.stringList.contains("127.0.0.1") == true)
    }
}
