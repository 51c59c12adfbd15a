import Foundation
import Testing
@testable import HaprovCore

/// The shipped roles' templates render for the seeds' stacks and pass the real validators
/// (`haproxy -c`, keepalived's config test through haprov's checker) installed on this machine.
@Suite struct RoleTemplateTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let roles = repository + "/Roles"

    let backends: Value = .list([
        .map(["name": .string("web1"), "address": .string("10.213.7.11")]),
        .map(["name": .string("web2"), "address": .string("10.213.7.12")]),
    ])

    func render(role: String, template: String, extra: [String: Value]) throws -> String {
        let loaded = try RoleLoader.load(role, from: Self.roles)
        var variables = loaded.defaults
        variables["inventory_hostname"] = .string("lb1")
        variables.merge(extra) { _, new in new }
        let renderer = TemplateRenderer()
        let resolved = renderer.resolveVariables(variables)
        let path = loaded.directory + "/templates/" + template
        let source = try String(contentsOfFile: path, encoding: .utf8)
        return try renderer.render(source, name: path, variables: resolved)
    }

    func validate(_ content: String, with command: String) throws -> CommandResult {
        let file = NSTemporaryDirectory() + "haprov-validate-" + UUID().uuidString
        try content.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try LocalProcess.run(["/bin/sh", "-c", command.replacingOccurrences(of: "%s", with: Shell.quote(file))], timeout: .seconds(30))
    }

    func requireTool(_ path: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            Issue.record("\(path) is missing: run Scripts/install-deps (it installs haproxy and keepalived to validate configs)")
            throw CancellationError()
        }
    }

    @Test func haproxyHTTPModeFromSeed001IsValid() throws {
        try requireTool("/usr/sbin/haproxy")
        let config = try render(role: "haproxy", template: "haproxy.cfg.j2", extra: ["haproxy_backends": backends, "haproxy_stats_acl": .bool(true)])
        #expect(config.contains("balance roundrobin"))
        #expect(config.contains("option httpchk GET /"))
        #expect(config.contains("server web2 10.213.7.12:80 check"))
        #expect(config.contains("bind *:8404"))
        #expect(config.contains("stats admin if TRUE"))
        #expect(config.contains("acl is_stats path_beg -i /stats"))
        let result = try validate(config, with: "haproxy -c -f %s")
        #expect(result.succeeded, "haproxy -c: \(result.stderrText)\n\(config)")
    }

    @Test func haproxyTransparentModeFromSeed003IsValid() throws {
        try requireTool("/usr/sbin/haproxy")
        let config = try render(role: "haproxy", template: "haproxy.cfg.j2", extra: [
            "haproxy_backends": backends, "haproxy_mode": .string("tcp"), "haproxy_balance": .string("leastconn"),
            "haproxy_frontend_ports": .list([.int(80), .int(443)]),
        ])
        #expect(config.contains("bind :80 transparent"))
        #expect(config.contains("bind :443 transparent"))
        #expect(config.contains("source 0.0.0.0 usesrc clientip"))
        #expect(config.contains("stick-table type ip size 200k expire 30m"))
        #expect(config.contains("server web1 10.213.7.11:443 check"))
        let result = try validate(config, with: "haproxy -c -f %s")
        #expect(result.succeeded, "haproxy -c: \(result.stderrText)\n\(config)")
    }

    @Test func haproxyRejectsABrokenConfigThroughTheSameValidation() throws {
        try requireTool("/usr/sbin/haproxy")
        var config = try render(role: "haproxy", template: "haproxy.cfg.j2", extra: ["haproxy_backends": backends])
        config = config.replacingOccurrences(of: "balance roundrobin", with: "balance round-robin")
        #expect(!(try validate(config, with: "haproxy -c -f %s")).succeeded)
    }

    @Test func keepalivedMasterAndNopreemptBackupAreValid() throws {
        try requireTool("/usr/sbin/keepalived")
        let checker = Self.roles + "/keepalived/files/haprov-keepalived-check"
        for extra: [String: Value] in [
            ["keepalived_state": .string("MASTER"), "keepalived_priority": .int(100), "keepalived_vip": .string("10.213.7.100/24")],
            ["keepalived_state": .string("BACKUP"), "keepalived_nopreempt": .bool(true), "keepalived_vip": .string("10.213.7.100/24"),
             "keepalived_unicast_src_ip": .string("10.213.7.3"), "keepalived_unicast_peers": .list([.string("10.213.7.2")])],
        ] {
            let config = try render(role: "keepalived", template: "keepalived.conf.j2", extra: extra)
            #expect(config.contains("virtual_router_id 51"))
            #expect(config.contains("track_script"))
            let result = try validate(config, with: "sh \(checker) %s")
            #expect(result.succeeded, "\(result.stderrText)\n\(config)")
        }
    }

    @Test func keepalivedCheckerRejectsTheSeedsTypos() throws {
        try requireTool("/usr/sbin/keepalived")
        let checker = Self.roles + "/keepalived/files/haprov-keepalived-check"
        var config = try render(role: "keepalived", template: "keepalived.conf.j2", extra: ["keepalived_vip": .string("10.213.7.100/24")])
        config = config.replacingOccurrences(of: "vrrp_instance", with: "vrp_instance")
        let result = try validate(config, with: "sh \(checker) %s")
        #expect(!result.succeeded)
        #expect(result.stderrText.contains("vrp_instance"))
    }

    @Test func keepalivedAssertionsCatchSeedMistakes() throws {
        let role = try RoleLoader.load("keepalived", from: Self.roles)
        let assertTask = try #require(role.tasks.first { $0.module == "assert" })
        func holds(_ extra: [String: Value]) throws -> Bool {
            var variables = role.defaults.merging(["inventory_hostname": .string("lb1"), "keepalived_vip": .string("10.213.7.100/24")]) { _, n in n }
            variables.merge(extra) { _, n in n }
            let context = TaskContext(hostName: "lb1", variables: variables)
            let module = try AssertModule(args: ModuleArgs(module: "assert", values: assertTask.args), context: context)
            do { _ = try module.plan(HostFacts()); return true } catch { return false }
        }
        #expect(try holds(["keepalived_state": .string("MASTER")]))
        #expect(try !holds(["keepalived_state": .string("SLAVE")]))
        #expect(try !holds(["keepalived_auth_pass": .string("muchtoolongsecret")]))
        #expect(try !holds(["keepalived_state": .string("MASTER"), "keepalived_nopreempt": .bool(true)]))
        #expect(try holds(["keepalived_state": .string("BACKUP"), "keepalived_nopreempt": .bool(true)]))
    }

    @Test func webAndApacheTemplatesRender() throws {
        let unit = try render(role: "web", template: "haprov-web.service.j2", extra: ["web_name": .string("Serveur 1")])
        // Quoted, or systemd splits the value at the space and the app answers "Serveur".
        #expect(unit.contains("Environment=\"WEB_NAME=Serveur 1\""))
        let site = try render(role: "apache_balancer", template: "balancer.conf.j2", extra: ["apache_balancer_members": backends])
        #expect(site.contains("BalancerMember http://10.213.7.12:80"))
        #expect(site.contains("ProxySet lbmethod=byrequests"))
    }
}
