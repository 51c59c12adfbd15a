import Foundation
import Testing
@testable import HaprovCore

/// `apply --write-back` after a move: only the host's ansible_host value changes, comments and
/// layout stay; where the value is not the host's own, nothing is written and the message says
/// what to write by hand.
@Suite struct InventoryWriteBackTests {
    static func write(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("haprov-wb-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/lab.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let text = """
        # Lab SISR: the VMs came up on DHCP; network_address is the addressing plan.
        all:
          vars:
            network_prefix: 24   # /24 as in the plan
          hosts:
            lb1:
              ansible_host: "10.213.7.157"   # DHCP lease
              network_address: 10.213.7.11
            lb2: {ansible_host: 10.213.7.158, network_address: 10.213.7.12}
        """

    @Test func onlyTheValueChanges() throws {
        let path = try Self.write(Self.text)
        let place = try InventoryWriteBack.setAddress("10.213.7.11", host: "lb1", in: try Inventory.load(path: path))
        #expect(place == path + ":7")
        try InventoryWriteBack.setAddress("10.213.7.12", host: "lb2", in: try Inventory.load(path: path))
        let after = try String(contentsOfFile: path, encoding: .utf8)
        #expect(after == Self.text.replacingOccurrences(of: "10.213.7.157", with: "10.213.7.11").replacingOccurrences(of: "10.213.7.158", with: "10.213.7.12"))
        let reloaded = try Inventory.load(path: path)
        #expect(reloaded.variables(for: "lb1")["ansible_host"] == .string("10.213.7.11"))
        #expect(reloaded.variables(for: "lb2")["ansible_host"] == .string("10.213.7.12"))
    }

    @Test func groupOrMissingAddressIsRefusedWithWhatToWrite() throws {
        let path = try Self.write("""
            all:
              vars: {ansible_host: 10.213.7.5}
              hosts:
                lb1: {network_address: 10.213.7.11}
            """)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        let error = #expect(throws: InventoryWriteBack.Problem.self) {
            try InventoryWriteBack.setAddress("10.213.7.11", host: "lb1", in: try Inventory.load(path: path))
        }
        #expect(error?.description.contains("set for a group at \(path):2") == true, "\(String(describing: error))")
        #expect(error?.description.contains("add `ansible_host: 10.213.7.11` to lb1's own variables") == true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == before)
    }
}
