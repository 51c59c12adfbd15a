import Foundation
import Testing
@testable import HaprovCore

/// The network role on a lab host: the interfaces file for the host's own address, in sync on a
/// second run; a new address, which would cut haprov's own connection, refused with the way out
/// and nothing written.
@Suite(.serialized, .enabled(if: StackGate.enabled)) struct NetworkRoleTests {
    static let inventory = Binary.repository + "/Tests/Fixtures/inventories/lab-network.yml"

    @Test func staticAddressWrittenAndReaddressRefused() throws {
        try StackTests.haprov(["lab", "up", Self.inventory])
        defer { _ = try? Binary.run(["lab", "down", Self.inventory]) }

        let first = try StackTests.haprov(["apply", "--no-test", Self.inventory])
        #expect(first.stdoutText.contains("create /etc/network/interfaces") || first.stdoutText.contains("update /etc/network/interfaces"), "\(first.stdoutText)")
        let file = try StackTests.haprov(["run", Self.inventory, "--", "cat /etc/network/interfaces"]).stdoutText
        #expect(file.contains("iface host0 inet static"), "the interface comes from the host's default route: \(file)")
        #expect(file.contains("address 10.213.33.2/24"))
        #expect(file.contains("gateway 10.213.33.1"))
        #expect(file.contains("dns-nameservers 10.213.33.1 10.213.33.53\n"))
        let second = try StackTests.haprov(["apply", "--no-test", Self.inventory])
        #expect(StackTests.changedCounts(second.stdoutText) == [0], "\(second.stdoutText)")

        let moved = try Binary.run(["apply", "--no-test", Self.inventory, "-e", "network_address=10.213.33.99"])
        #expect(moved.exitStatus == 1)
        #expect(moved.stdoutText.contains("would cut haprov's own connection"), "\(moved.stdoutText)")
        #expect(moved.stdoutText.contains("network_allow_readdress"))
        let after = try StackTests.haprov(["run", Self.inventory, "--", "cat /etc/network/interfaces; ip -4 -o addr show host0"]).stdoutText
        #expect(after.contains("address 10.213.33.2/24") && !after.contains("10.213.33.99"), "\(after)")
    }
}
