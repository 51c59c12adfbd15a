import Foundation
import Testing
@testable import HaprovCore

/// haprov's templates against Ansible's own templating (the test virtualenv's ansible-core):
/// the same text for the forms Ansible users write, an error where Ansible errs, and what haprov
/// does not support refused with its place and the spelling it supports.
@Suite struct JinjaTests {
    static let cases = Fixtures.root + "/jinja/cases.yml"

    /// Ansible's rendering of every case of `file`, by name: (text, error).
    static func ansible(_ file: String) throws -> [String: (text: String?, error: String?)] {
        let python = (ProcessInfo.processInfo.environment["HAPROV_ANSIBLE_VENV"] ?? "/var/tmp/haprov-ansible") + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw JinjaTestFailure("the Ansible virtualenv is missing: run Scripts/ansible-venv (Scripts/test does)")
        }
        let result = try LocalProcess.run([python, Fixtures.root + "/jinja/ansible-render.py", file], timeout: .seconds(120),
                                          environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "ANSIBLE_LOCALHOST_WARNING": "false"])
        guard result.succeeded, let json = try JSONSerialization.jsonObject(with: result.stdout) as? [String: [String: String]] else {
            throw JinjaTestFailure("ansible-render.py failed: \(result.stderrText)")
        }
        return json.mapValues { ($0["text"], $0["error"]) }
    }

    struct Case {
        var name: String
        var template: String
        var vars: [String: Value]
    }

    static func load(_ file: String) throws -> (vars: [String: Value], cases: [Case]) {
        guard case .map(let document) = try YAMLDocument.parseValue(String(contentsOfFile: file, encoding: .utf8)),
              case .list(let items)? = document["cases"] else { throw JinjaTestFailure("\(file): no cases") }
        func map(_ value: Value?) -> [String: Value] { if case .map(let m)? = value { return m } else { return [:] } }
        var cases: [Case] = []
        for item in items {
            guard case .map(let c) = item, case .string(let name)? = c["name"], case .string(let template)? = c["template"] else { continue }
            cases.append(Case(name: name, template: template, vars: map(c["vars"])))
        }
        return (map(document["vars"]), cases)
    }

    /// Every case renders to Ansible's text, or fails where Ansible fails.
    static func compare(_ file: String) throws -> Int {
        let (shared, cases) = try load(file)
        let theirs = try ansible(file)
        #expect(theirs.count == cases.count, "Ansible rendered \(theirs.count) of \(cases.count) cases")
        for c in cases {
            let expected = try #require(theirs[c.name], "no Ansible result for \(c.name)")
            let ours = Result { try TemplateRenderer().render(c.template, name: c.name, variables: shared.merging(c.vars) { _, own in own }) }
            switch (ours, expected.text) {
            case (.success(let text), let text2?):
                #expect(text == text2, "\(c.name): haprov wrote \(text.debugDescription), Ansible \(text2.debugDescription)")
            case (.failure(let error), nil):
                #expect(error is TemplateError, "\(c.name): \(error)")
            case (.success(let text), nil):
                Issue.record("\(c.name): Ansible refused it (\(expected.error ?? "")) but haprov wrote \(text.debugDescription)")
            case (.failure(let error), let text?):
                Issue.record("\(c.name): Ansible wrote \(text.debugDescription) but haprov refused it: \(error)")
            }
        }
        return cases.count
    }

    @Test func theFormsAnsibleUsersWriteRenderAsAnsibleRendersThem() throws {
        #expect(try Self.compare(Self.cases) >= 50)
    }

    /// The roles' own templates, with each twin's variables as haprov resolves them.
    @Test func theRolesTemplatesRenderAsAnsibleRendersThem() throws {
        let roles = RolloutPlanTests.repository + "/Roles"
        let lab: [String: Value] = [
            "inventory_hostname": .string("lb1"), "ansible_host": .string("10.213.7.2"),
            "ansible_distribution": .string("Debian"), "ansible_distribution_release": .string("bookworm"),
            "haproxy_backends": .list([.map(["name": .string("web1"), "address": .string("10.213.7.11")]),
                                       .map(["name": .string("web2"), "address": .string("10.213.7.12"), "port": .int(8080)])]),
            "apache_balancer_members": .list([.map(["name": .string("web1"), "address": .string("10.213.7.11")])]),
            "keepalived_vip": .string("10.213.7.100/24"), "keepalived_router_id": .int(51), "keepalived_auth_pass": .string("s3cret"),
            "keepalived_interface": .string("host0"), "keepalived_state": .string("BACKUP"), "keepalived_priority": .int(90),
            "keepalived_unicast_peers": .list([.string("10.213.7.3")]), "keepalived_unicast_src_ip": .string("10.213.7.2"),
            "network_interface": .string("eth0"), "network_address": .string("10.213.7.2/24"), "network_gateway": .string("10.213.7.1"),
            "network_dns": .list([.string("10.213.7.1"), .string("9.9.9.9")]),
            "web_name": .string("Serveur 1"),
        ]
        var cases: [Value] = []
        for (role, template, extra) in [("haproxy", "haproxy.cfg.j2", ["haproxy_mode": Value.string("http"), "haproxy_stats_acl": .bool(true)]),
                                        ("haproxy", "haproxy.cfg.j2", ["haproxy_mode": .string("tcp")]),
                                        ("keepalived", "keepalived.conf.j2", [:]), ("apache_balancer", "balancer.conf.j2", [:]),
                                        ("network", "interfaces.j2", [:]), ("network", "netplan.yaml.j2", [:])] as [(String, String, [String: Value])] {
            let defaults = try RoleLoader.load(role, from: roles).defaults
            let variables = TemplateRenderer().resolveVariables(defaults.merging(lab) { _, new in new }.merging(extra) { _, new in new })
            let source = try String(contentsOfFile: "\(roles)/\(role)/templates/\(template)", encoding: .utf8)
            cases.append(.map(["name": .string("\(role)/\(template) \(extra.keys.sorted())"), "template": .string(source), "vars": .map(variables)]))
        }
        let file = NSTemporaryDirectory() + "haprov-jinja-roles-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try JSONSerialization.data(withJSONObject: Value.map(["cases": .list(cases)]).jsonObject).write(to: URL(fileURLWithPath: file))
        #expect(try Self.compare(file) == 6)
    }

    /// What haprov does not take is refused with the template's line and what to write instead.
    @Test(arguments: [
        ("a\n{{ port|default:\"80\" }}", "t.j2:2: '|default:...' is Stencil's spelling; write '| default(...)'"),
        ("{% for s in l %}{{ forloop.first }}{% endfor %}", "t.j2:1: 'forloop' is Stencil's; write loop.index, loop.first, loop.last"),
        ("x\n\n{% macro m() %}{% endmacro %}", "t.j2:3: '{% macro %}' is not supported by haprov's templates (supported: if/elif/else, for, set, raw)"),
        ("{{ lookup('file', '/etc/passwd') }}", "t.j2:1: 'lookup(...)' is not supported by haprov's templates"),
        ("{{ l | frobnicate }}", "t.j2:1: no filter named 'frobnicate' (haprov's templates have: abs,"),
        ("{{ l is frobnicated }}", "t.j2:1: no test named 'frobnicated'"),
        ("{% if l %}\nx\n", "t.j2:1: '{% if %}' has no '{% endif %}'"),
        ("ok\n{% endfor %}", "t.j2:2: '{% endfor %}' without its opening tag"),
        ("{{ l.0 + }}", "t.j2:1: an expression is missing"),
        ("{{ l", "t.j2:1: '{{' has no '}}'"),
        ("{{ l[0] }}\n{{ l[7] }}", "t.j2:2: list index 7 out of range"),
        ("{% if l %}a{% else if l %}b{% endif %}", "t.j2:1: '{% else %}' takes nothing after it, not 'if l' (write {% elif ... %})"),
        ("{% for x in l %}{% else %}{% endif %}", "t.j2:1: '{% endif %}' inside '{% for %}' (line 1) before its '{% endfor %}'"),
        ("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}", "t.j2:1: an expression nested more than 100 deep"),
        ("{{ " + String(repeating: "l[", count: 5000) + "0" + String(repeating: "]", count: 5000) + " }}", "t.j2:1: an expression nested more than 100 deep"),
        (String(repeating: "{% if l %}", count: 5000), "t.j2:1: blocks nested more than 100 deep"),
        ("{{ 'abc' * 9223372036854775807 }}", "t.j2:1: '*' would make a string too large"),
    ])
    func unsupportedFormsAreRefusedWithTheSpellingToUse(_ source: String, _ message: String) {
        #expect {
            try TemplateRenderer().render(source, name: "t.j2", variables: ["l": .list([.int(1)])])
        } throws: { error in
            "\(error)".hasPrefix(message) || { Issue.record("\(error)"); return false }()
        }
    }

    /// `when:` conditions are Jinja expressions; a condition written in braces still works.
    @Test func conditionsAreExpressions() throws {
        let variables: [String: Value] = ["mode": .string("tcp"), "peers": .list([.string("a")]), "groups": .map(["web": .list([.string("w1")])])]
        let renderer = TemplateRenderer()
        #expect(try renderer.evaluate(condition: "mode == 'tcp' and peers | length > 0", name: "when", variables: variables))
        #expect(try renderer.evaluate(condition: "missing is not defined or missing", name: "when", variables: variables))
        #expect(try renderer.evaluate(condition: "'w1' in groups['web']", name: "when", variables: variables))
        #expect(try !renderer.evaluate(condition: "{{ mode == 'http' }}", name: "when", variables: variables))
        #expect(throws: TemplateError.self) { try renderer.evaluate(condition: "missing", name: "when", variables: variables) }
    }

    /// A variable whose template writes a list (the roles' backends from the web group) is that
    /// list; "{{ x }}" alone keeps x's type.
    @Test func variablesKeepTheirTypes() throws {
        let resolved = TemplateRenderer().resolveVariables([
            "groups": .map(["webservers": .list([.string("web1"), .string("web2")])]),
            "hostvars": .map(["web1": .map(["ansible_host": .string("10.1.0.11")]), "web2": .map([:])]),
            "backends": .string("[{% for h in groups['webservers'] %}{'name': '{{ h }}', 'address': '{{ hostvars[h].ansible_host | default(h) }}'},{% endfor %}]"),
            "ports": .list([.int(80)]), "same": .string("{{ ports }}"), "first": .string("{{ ports[0] }}"),
            "text": .string("[not a list {{ ports[0] }}]"),
        ])
        #expect(resolved["backends"] == .list([.map(["name": .string("web1"), "address": .string("10.1.0.11")]),
                                              .map(["name": .string("web2"), "address": .string("web2")])]))
        #expect(resolved["same"] == .list([.int(80)]))
        #expect(resolved["first"] == .int(80))
        #expect(resolved["text"] == .string("[not a list 80]"))
    }
}

struct JinjaTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
