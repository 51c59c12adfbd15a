import Foundation
import Testing
@testable import HaprovLab

/// The lab's settings as inventories give them, and the refusals for bad ones.
@Suite struct LabConfigTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func networksParseAndOverlap() throws {
        let lab = try #require(IPv4Network("10.213.7.9/24"))
        #expect(lab.description == "10.213.7.0/24")
        #expect(lab.contains("10.213.7.254"))
        #expect(!lab.contains("10.213.8.1"))
        #expect(lab.overlaps(try #require(IPv4Network("10.213.0.0/16"))))
        #expect(!lab.overlaps(try #require(IPv4Network("10.213.8.0/24"))))
        #expect(IPv4Network("10.213.7.0") == nil)
        #expect(IPv4Network("10.213.7.0/33") == nil)
        #expect(IPv4Network("300.1.1.1/24") == nil)
    }

    @Test func everyLabTwinLoads() throws {
        let expected = ["lab-keepalived.yml": 5, "lab-sam.yml": 3, "lab-apache.yml": 5, "lab-transparent.yml": 5]
        var subnets: [IPv4Network] = []
        for (file, count) in expected {
            let config = try LabConfig.load(inventoryPath: Self.repository + "/Inventories/" + file)
            #expect(config.hosts.count == count, "\(file)")
            #expect(config.bridge.count <= 15)
            #expect(config.hosts.allSatisfy { config.network.contains($0.address) })
            #expect(!subnets.contains { $0.overlaps(config.network) }, "\(file) overlaps another lab twin")
            subnets.append(config.network)
        }
    }

    @Test func addressesOutsideTheSubnetAreRefusedByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("haprov-labconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lab.yml").path
        try """
            all:
              vars:
                haprov_lab: {name: t1, subnet: 10.213.99.0/24, gateway: 10.213.99.1}
              hosts:
                a: {ansible_host: 10.213.99.2}
                b: {ansible_host: 10.0.0.5}
                c: {ansible_host: 10.213.99.1}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: LabError.self) { try LabConfig.load(inventoryPath: path) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("b: ansible_host 10.0.0.5 is outside the lab subnet"))
        #expect(text.contains("c: 10.213.99.1 is the lab's gateway"))
        #expect(!text.contains("a:"))
    }
}
