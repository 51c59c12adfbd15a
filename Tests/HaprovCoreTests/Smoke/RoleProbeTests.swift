import Foundation
import Testing
@testable import HaprovCore

/// The roles' own probes: declared in meta/smoke.yml, rendered per host, run for real.
@Suite struct RoleProbeTests {
    @Test func everyHostOfARoleGetsItsProbesAndGatesComeFromTheSame() throws {
        let t = try SmokeTopologyTests.topology("lab-keepalived.yml")
        #expect(t.probes.map(\.title) == ["HAProxy listens on its frontend (lb1)", "HAProxy listens on its frontend (lb2)",
                                          "the web app answers (web1)", "the web app answers (web2)"], "\(t.probes.map(\.title))")
        #expect(t.probes.allSatisfy { $0.runsOn == $0.host && $0.gate })
        #expect(t.probes[2].command.contains(" http://127.0.0.1:80/") && t.probes[2].command.contains("*'Serveur 1'*"), "\(t.probes[2].command)")
        #expect(t.probes[0].command.contains("grep -qE ':80$'"))
    }

    /// Probe commands run by this machine's own sh: exit status, contains, and HTTP status.
    @Test func probeCommandsJudgeWhatTheySee() throws {
        let here = LocalTransport(hostName: "here")
        func run(_ action: SmokeSpec.Probe.Action, contains: String? = nil, status: Int = 200) throws -> (Bool, String) {
            let result = try here.run(RoleProbe.command(action, contains: contains, status: status, timeoutSeconds: 5), timeout: .seconds(30))
            return (result.succeeded, RoleProbe.summary(result.stdoutText))
        }
        #expect(try run(.command("echo 'Serveur 1'"), contains: "Serveur 1") == (true, "Serveur 1"))
        #expect(try run(.command("echo 'Serveur 2'"), contains: "Serveur 1") == (false, "no \"Serveur 1\" in the answer"))
        #expect(try run(.command("echo it broke; exit 3")) == (false, "exit status 3"))
        // A real HTTP server on loopback, and one port where nothing listens.
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "Serveur 1\n".write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        let port = 18000 + Int(getpid() % 1000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", folder]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the test runner's children may inherit an ignored SIGTERM.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var up = false
        for _ in 0..<50 where !up { up = (try? run(.http("http://127.0.0.1:\(port)/")).0) ?? false; if !up { Thread.sleep(forTimeInterval: 0.1) } }
        #expect(up, "the test's HTTP server never answered")
        #expect(try run(.http("http://127.0.0.1:\(port)/"), contains: "Serveur 1") == (true, "HTTP 200"))
        #expect(try run(.http("http://127.0.0.1:\(port)/"), contains: "Serveur 2").0 == false)
        #expect(try run(.http("http://127.0.0.1:\(port)/missing")) == (false, "HTTP 404, expected 200"))
        #expect(try run(.http("http://127.0.0.1:\(port)/missing"), status: 404) == (true, "HTTP 404"))
        #expect(try run(.http("http://127.0.0.1:1/")).0 == false)
    }

    @Test func badProbesAreRefusedWithTheirPlace() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/smoke.yml"
        try """
            probes:
              - name: both
                command: "true"
                http: http://x/
              - command: "true"
              - name: gate from elsewhere
                command: "true"
                from: clients
                gate: true
              - name: bad status
                http: http://x/
                status: 999
              - name: typo
                comand: "true"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: LoadError.self) { try SmokeSpec.load(path) }
        let text = error?.description ?? ""
        #expect(text.contains("smoke.yml:2:5: probe both needs either command or http"), "\(text)")
        #expect(text.contains("a probe needs a name"))
        #expect(text.contains("probe gate from elsewhere: a gate runs on the host that changes (drop from:, or gate:)"))
        #expect(text.contains("probe bad status: status is an HTTP status"))
        #expect(text.contains("unknown key comand in a probe (did you mean command?)"), "\(text)")
    }

    /// A probe run from a group the inventory does not have is refused with its place.
    @Test func fromMustNameAHostOrGroup() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let role = directory + "/checker"
        try FileManager.default.createDirectory(atPath: role + "/meta", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: role + "/tasks", withIntermediateDirectories: true)
        try "[]\n".write(toFile: role + "/tasks/main.yml", atomically: true, encoding: .utf8)
        try "probes:\n  - name: reachable\n    command: \"true\"\n    from: observers\n".write(toFile: role + "/meta/smoke.yml", atomically: true, encoding: .utf8)
        let loaded = try RoleLoader.load(["checker"], from: directory)
        let declared = { try RoleProbe.declared(hosts: ["web1"], roles: ["web1": loaded], variables: ["web1": ["group_names": .list([.string("web")])]],
                                                renderer: TemplateRenderer()) }
        let error = #expect(throws: SmokeError.self) { try declared() }
        #expect(error?.description.contains("checker/meta/smoke.yml: probe reachable: from: observers is no host or group among the selected hosts") == true, "\(error?.description ?? "")")
        try "probes:\n  - name: reachable\n    command: \"true\"\n    from: web\n".write(toFile: role + "/meta/smoke.yml", atomically: true, encoding: .utf8)
        let again = try RoleLoader.load(["checker"], from: directory)
        let probes = try RoleProbe.declared(hosts: ["web1"], roles: ["web1": again], variables: ["web1": ["group_names": .list([.string("web")])]], renderer: TemplateRenderer())
        #expect(probes.map(\.runsOn) == ["web1"])
    }
}
