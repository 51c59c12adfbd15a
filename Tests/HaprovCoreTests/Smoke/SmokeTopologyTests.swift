import Foundation
import Testing
@testable import HaprovCore

/// The smoke tests' view of each lab twin, built only from what the roles declare.
@Suite struct SmokeTopologyTests {
    static func topology(_ file: String, roles rolesPath: String? = nil, extra: [String: Value] = [:]) throws -> SmokeTopology {
        let repository = RolloutPlanTests.repository
        let inventory = try Inventory.load(path: repository + "/Inventories/" + file)
        let playbook = try Playbook(inventory.groupVariables("all")[Playbook.variable], source: inventory.path)
        let roles = try RoleLoader.load(playbook.roleNames, from: rolesPath ?? repository + "/Roles")
        let byName = Dictionary(uniqueKeysWithValues: roles.map { ($0.name, $0) })
        let rolesOfHost = try playbook.roles { try inventory.select(limit: $0) }
        let hosts = try inventory.select(limit: nil)
        let renderer = TemplateRenderer()
        var variables: [String: [String: Value]] = [:]
        var hostRoles: [String: [Role]] = [:]
        for host in hosts {
            hostRoles[host] = (rolesOfHost[host] ?? []).compactMap { byName[$0] }
            let defaults = (hostRoles[host] ?? []).reduce(into: [String: Value]()) { $0.merge($1.defaults) { _, new in new } }
            variables[host] = renderer.resolveVariables(defaults.merging(inventory.variables(for: host).merging(extra) { _, new in new }) { _, host in host })
        }
        return try SmokeTopology.from(hosts: hosts, roles: hostRoles, variables: variables, renderer: renderer)
    }

    @Test func keepalivedTwin() throws {
        let t = try Self.topology("lab-keepalived.yml")
        #expect(t.front == "10.213.7.100" && t.frontPort == 80 && t.client == "client" && t.clientAddress == "10.213.7.50")
        #expect(t.webServers.map(\.answersAs) == ["Serveur 1", "Serveur 2"])
        #expect(t.webServers[0].stopCommand == "systemctl stop haprov-web" && t.webServers[0].startCommand == "systemctl start haprov-web")
        #expect(t.balancers.map(\.host) == ["lb1", "lb2"] && t.balancers.map(\.isMaster) == [true, false] && t.balancers[0].service == "haproxy")
        #expect(t.vip == "10.213.7.100" && !t.nopreempt && !t.transparent && t.expectsAlternation)
        #expect(t.statsURL == "http://10.213.7.2:8404/stats" && t.statsUser == "admin" && t.statsPassword == "labpass")
    }

    @Test func apacheTwin() throws {
        let t = try Self.topology("lab-apache.yml")
        #expect(t.front == "10.213.10.200" && t.balancers.allSatisfy { $0.service == "apache2" } && t.statsURL == nil && t.expectsAlternation)
    }

    @Test func transparentTwin() throws {
        let t = try Self.topology("lab-transparent.yml")
        #expect(t.transparent && !t.expectsAlternation && t.vip == "10.213.11.110")
    }

    @Test func samTwinRunsFlaskInDocker() throws {
        let t = try Self.topology("lab-sam.yml")
        #expect(t.webServers[0].stopCommand.hasSuffix("&& docker-compose stop") || t.webServers[0].stopCommand.hasSuffix("&& docker compose stop"), "\(t.webServers[0].stopCommand)")
        #expect(t.vip == nil)
    }

    @Test func theClientComesFromTheInventory() throws {
        let t = try Self.topology("lab-keepalived.yml", extra: [SmokeTopology.clientVariable: .string("web2")])
        #expect(t.client == "web2")
    }
}

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
