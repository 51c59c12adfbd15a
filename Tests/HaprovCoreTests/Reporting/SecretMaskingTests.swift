import Foundation
import Testing
@testable import HaprovCore

/// Secrets are masked by value wherever they appear, not only on lines that look like a password.
@Suite(.serialized) struct SecretMaskingTests {
    /// A role whose template puts secrets in the middle of lines (a DSN, a bare token).
    func role(in directory: String) throws -> Role {
        let role = directory + "/app"
        for folder in ["tasks", "templates"] {
            try FileManager.default.createDirectory(atPath: role + "/" + folder, withIntermediateDirectories: true)
        }
        try """
            - name: app.conf
              template:
                src: app.conf.j2
                dest: "{{ root }}/app.conf"
            """.write(toFile: role + "/tasks/main.yml", atomically: true, encoding: .utf8)
        try """
            dsn=postgres://app:{{ db_password }}@db/app
            {{ api_token }}
            header X-Key {{ custom }}
            port {{ http_port }}
            """.write(toFile: role + "/templates/app.conf.j2", atomically: true, encoding: .utf8)
        return try RoleLoader.load("app", from: directory)
    }

    @Test func valuesOfSecretVariablesAreMaskedInDiffsAndJSON() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let variables: [String: Value] = ["root": .string(root), "inventory_hostname": .string("app1"),
                                          "db_password": .string("Pg-s3cret!"), "api_token": .string("tok_8f2a9c"),
                                          "custom": .string("only-listed"), "haprov_secret_vars": .list([.string("custom")]),
                                          "http_port": .int(8080)]
        let job = HostJob(name: "app1", connection: ConnectionSpec(name: "app1", address: "127.0.0.1"), roles: [try role(in: root)], variables: variables)
        SecretMasking.register(jobs: [job])
        var options = EngineOptions()
        options.check = true
        let human = CapturedOutput(), json = CapturedOutput()
        _ = Engine(factory: LocalFactory(), reporter: HumanReporter(output: human, showDiff: true), options: options).run([job])
        _ = Engine(factory: LocalFactory(), reporter: JSONLinesReporter(output: json), options: options).run([job])
        for text in [human.text, json.text] {
            #expect(text.contains("postgres://app:********@db/app"), "\(text)")
            #expect(!text.contains("Pg-s3cret!") && !text.contains("tok_8f2a9c") && !text.contains("only-listed"), "\(text)")
            #expect(text.contains("8080"), "a port is no secret")
        }
        #expect(SecretMasking.mask("smoke: answered with tok_8f2a9c") == "smoke: answered with ********")
    }

    /// The byte tests that spare most lines Foundation's search are exact only for ASCII: a
    /// keyword spelt with a character the expressions fold (long s), and a secret written
    /// decomposed where it was registered composed, are masked all the same.
    @Test func nonASCIISpellingsAreMaskedToo() {
        #expect(SecretMasking.mask("ſecret = hunter2") == "ſecret = ********")
        #expect(SecretMasking.mask("stats auth admin:labpass") == "stats auth admin:********")
        SecretMasking.register(["caf\u{e9}-s3cret"])
        #expect(!SecretMasking.mask("dsn=cafe\u{301}-s3cret@db").contains("s3cret"))
        #expect(SecretMasking.mask("plain line, nothing here") == "plain line, nothing here")
    }

    @Test func whichVariablesHoldSecrets() {
        for name in ["haproxy_stats_password", "keepalived_auth_pass", "api_token", "client_secret", "ssh_key", "DB_PASSWD"] {
            #expect(SecretMasking.isSecret(name), "\(name)")
        }
        for name in ["ansible_ssh_private_key_file", "haprov_password_env", "apt_key_url", "keepalived_vip", "web_port"] {
            #expect(!SecretMasking.isSecret(name), "\(name)")
        }
        #expect(SecretMasking.isSecret("motd", listed: ["motd"]))
        #expect(Set(SecretMasking.secrets(in: ["users": .list([.map(["name": .string("bob"), "password": .string("hunter11")])]),
                                               "admin_pass": .list([.string("hunter22")]), "pin": .string("ab")])) == ["hunter11", "hunter22"])
    }
}
