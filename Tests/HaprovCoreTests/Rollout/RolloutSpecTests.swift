import Foundation
import Testing
@testable import HaprovCore

@Suite struct RolloutSpecTests {
    @Test func everyProblemOfARolloutFileAtOnce() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/rollout.yml"
        try """
            peer: x
            vip: {address: keepalived_vip}
            backends: {list: haproxy_backends, drain: nginx}
            health:
              - name: answers
                command: "true"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: LoadError.self) { try RolloutSpec.load(path) }
        let text = error?.description ?? ""
        #expect(text.contains("rollout.yml:1:1: unknown key peer in rollout.yml (did you mean peers?)"), "\(text)")
        #expect(text.contains("vip needs address and handover_file"))
        #expect(text.contains("backends.drain is haproxy or apache"))
        #expect(text.contains("health probes are smoke probes now (move them to meta/smoke.yml under probes:, each with gate: true)"), "\(text)")
    }

    @Test func interruptsMustNameATaskOrHandler() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let role = directory + "/demo"
        try FileManager.default.createDirectory(atPath: role + "/tasks", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: role + "/meta", withIntermediateDirectories: true)
        try "- name: app installed\n  apt: {name: app}\n".write(toFile: role + "/tasks/main.yml", atomically: true, encoding: .utf8)
        try "interrupts: [app instaled]\n".write(toFile: role + "/meta/rollout.yml", atomically: true, encoding: .utf8)
        let error = #expect(throws: LoadError.self) { try RoleLoader.load("demo", from: directory) }
        #expect(error?.description.contains("interrupts names app instaled, which is no task or handler of role demo (did you mean app installed?)") == true,
                "\(error?.description ?? "")")
    }
}
