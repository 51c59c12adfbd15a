import Foundation
import Testing
@testable import HaprovCore

/// A bounded, seeded fuzz run of the loaders and the template renderer: valid inputs mutated
/// byte by byte (flips, deletions, YAML and Jinja punctuation inserted, lines swapped). No
/// input may crash or hang haprov, and every input refused is refused with its place.
@Suite struct FuzzTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed from its seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static let punctuation = Array(":-[]{}#&*!|>'\"%@`,?\n\t {{}}{%%} ".utf8)

    static func mutate(_ text: String, _ random: inout Generator) -> String {
        var bytes = Array(text.utf8)
        for _ in 0..<(1 + random.below(4)) where !bytes.isEmpty {
            let at = random.below(bytes.count)
            switch random.below(5) {
            case 0: bytes[at] = punctuation[random.below(punctuation.count)]
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(punctuation[random.below(punctuation.count)], at: at)
            case 3: bytes.insert(contentsOf: Array(bytes[at..<min(bytes.count, at + 1 + random.below(20))]), at: random.below(bytes.count))
            default:
                var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                if lines.count > 2 { lines.swapAt(random.below(lines.count), random.below(lines.count)) }
                bytes = Array(lines.joined(separator: "\n").utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func timed(_ label: String, _ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    @Test func inventoryLoader() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let seed = try String(contentsOfFile: RolloutPlanTests.repository + "/Inventories/lab-transparent.yml", encoding: .utf8)
        var random = Generator(state: 20261129)
        var refused = 0
        for round in 0..<400 {
            let path = folder + "/inv.yml"
            try Self.mutate(seed, &random).write(toFile: path, atomically: true, encoding: .utf8)
            let seconds = Self.timed("inventory") {
                do { _ = try Inventory.load(path: path) } catch let error as LoadError {
                    refused += 1
                    #expect(error.problems.allSatisfy { $0.location.hasPrefix(path) }, "round \(round): \(error)")
                } catch {
                    Issue.record("round \(round): an error without a place: \(error)")
                }
            }
            #expect(seconds < 2, "round \(round) took \(seconds) s")
        }
        #expect(refused > 50, "the mutations must reach the error paths (\(refused) refused)")
    }

    @Test func roleLoader() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: RolloutPlanTests.repository + "/Roles/haproxy", toPath: folder + "/haproxy")
        let files = ["tasks/main.yml", "handlers/main.yml", "defaults/main.yml", "meta/rollout.yml", "meta/smoke.yml", "meta/argument_specs.yml"]
        let originals = try files.map { try String(contentsOfFile: folder + "/haproxy/" + $0, encoding: .utf8) }
        var random = Generator(state: 42)
        var refused = 0
        for round in 0..<300 {
            let pick = random.below(files.count)
            let path = folder + "/haproxy/" + files[pick]
            try Self.mutate(originals[pick], &random).write(toFile: path, atomically: true, encoding: .utf8)
            let seconds = Self.timed("role") {
                do { _ = try RoleLoader.load("haproxy", from: folder) } catch let error as LoadError {
                    refused += 1
                    #expect(error.problems.allSatisfy { $0.location.hasPrefix(folder) }, "round \(round): \(error)")
                } catch {
                    Issue.record("round \(round): an error without a place: \(error)")
                }
            }
            #expect(seconds < 2, "round \(round) took \(seconds) s")
            try originals[pick].write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(refused > 30, "the mutations must reach the error paths (\(refused) refused)")
    }

    @Test func templateRenderer() throws {
        let source = try String(contentsOfFile: RolloutPlanTests.repository + "/Roles/haproxy/templates/haproxy.cfg.j2", encoding: .utf8)
        let role = try RoleLoader.load("haproxy", from: RolloutPlanTests.repository + "/Roles")
        let variables = TemplateRenderer().resolveVariables(role.defaults.merging([
            "haproxy_backends": .list([.map(["name": .string("w1"), "address": .string("10.0.0.1")])]),
            "inventory_hostname": .string("lb1")]) { _, new in new })
        var random = Generator(state: 7)
        var refused = 0
        for round in 0..<300 {
            let mutated = Self.mutate(source, &random)
            let seconds = Self.timed("template") {
                do { _ = try TemplateRenderer().render(mutated, name: "haproxy.cfg.j2", variables: variables) } catch let error as TemplateError {
                    refused += 1
                    #expect(error.template == "haproxy.cfg.j2", "round \(round): \(error)")
                } catch {
                    Issue.record("round \(round): an error without a place: \(error)")
                }
            }
            #expect(seconds < 2, "round \(round) took \(seconds) s")
        }
        #expect(refused > 30, "the mutations must reach the error paths (\(refused) refused)")
    }
}
