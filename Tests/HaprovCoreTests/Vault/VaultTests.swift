import Foundation
import Testing
@testable import HaprovCore

/// Values and files encrypted by the real ansible-vault (the test virtualenv's), read by haprov
/// with the vault password: formats 1.1 and 1.2, inline `!vault` values and whole vars files,
/// masked as secrets; a wrong or missing password is a clear error with the place.
/// Serialized: the vault password is the process's.
@Suite(.serialized) struct VaultTests {
    static let bin = (ProcessInfo.processInfo.environment["HAPROV_ANSIBLE_VENV"] ?? "/var/tmp/haprov-ansible") + "/bin/"

    /// Runs ansible-vault with `arguments`; its standard output.
    static func ansibleVault(_ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: bin + "ansible-vault") else {
            throw JinjaTestFailure("ansible-vault is missing: run Scripts/ansible-venv (Scripts/test does)")
        }
        let result = try LocalProcess.run([bin + "ansible-vault"] + arguments, timeout: .seconds(120),
                                          environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "ANSIBLE_LOCALHOST_WARNING": "false"])
        guard result.succeeded else { throw JinjaTestFailure("ansible-vault \(arguments): \(result.stderrText)") }
        return result.stdoutText
    }

    /// A lab inventory whose stats password is an inline !vault value and whose group_vars/all
    /// and host_vars/lb2 files are encrypted whole (1.2 with a vault id, and 1.1).
    static func encryptedInventory(in folder: String, password: String) throws -> String {
        let passwordFile = folder + "/vault-pass"
        try "\(password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let inline = try ansibleVault(["encrypt_string", "--vault-password-file", passwordFile, "st4ts-S3cret", "--name", "haproxy_stats_password"])
        let indented = inline.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n")
        let inventory = folder + "/lab.yml"
        try """
            all:
              children:
                lbs:
                  vars:
            \(indented)
                  hosts:
                    lb1: {ansible_host: 127.0.0.1}
                    lb2: {ansible_host: 127.0.0.1}
            """.write(toFile: inventory, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/group_vars/all", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/host_vars", withIntermediateDirectories: true)
        try "keepalived_auth_pass: vrrp-Pass-42\nhaproxy_maxconn: 300\n".write(toFile: folder + "/group_vars/all/vault.yml", atomically: true, encoding: .utf8)
        _ = try ansibleVault(["encrypt", "--vault-id", "lab@" + passwordFile, folder + "/group_vars/all/vault.yml"])
        try "web_name: Serveur chiffré\n".write(toFile: folder + "/host_vars/lb2.yml", atomically: true, encoding: .utf8)
        _ = try ansibleVault(["encrypt", "--vault-password-file", passwordFile, folder + "/host_vars/lb2.yml"])
        return inventory
    }

    @Test func valuesEncryptedByAnsibleVaultAreReadAndMasked() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder); VaultPassword.reset() }
        let inventory = try Self.encryptedInventory(in: folder, password: "correct horse battery")
        #expect(try String(contentsOfFile: folder + "/group_vars/all/vault.yml", encoding: .utf8).hasPrefix("$ANSIBLE_VAULT;1.2;AES256;lab"))
        #expect(try String(contentsOfFile: folder + "/host_vars/lb2.yml", encoding: .utf8).hasPrefix("$ANSIBLE_VAULT;1.1;AES256"))

        // No password: the error names the file and the fix.
        VaultPassword.reset()
        let missing = #expect(throws: LoadError.self) { try Inventory.load(path: inventory) }
        #expect(missing?.description.contains("lab.yml:5:33: encrypted with ansible-vault") == true, "\(missing?.description ?? "")")
        #expect(missing?.description.contains("--vault-password-file") == true)

        // A wrong password.
        try "not it\n".write(toFile: folder + "/wrong", atomically: true, encoding: .utf8)
        try VaultPassword.use(file: folder + "/wrong")
        let wrong = #expect(throws: LoadError.self) { try Inventory.load(path: inventory) }
        #expect(wrong?.description.contains("the vault password does not open it") == true, "\(wrong?.description ?? "")")

        // The right one, from an executable that prints it (as Ansible runs such files).
        let script = folder + "/vault-pass-client"
        try "#!/bin/sh\necho 'correct horse battery'\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        try VaultPassword.use(file: script)
        let loaded = try Inventory.load(path: inventory)
        let lb1 = loaded.variables(for: "lb1"), lb2 = loaded.variables(for: "lb2")
        #expect(lb1["haproxy_stats_password"] == .string("st4ts-S3cret"))
        #expect(lb1["keepalived_auth_pass"] == .string("vrrp-Pass-42") && lb1["haproxy_maxconn"] == .int(300))
        #expect(lb2["web_name"] == .string("Serveur chiffré") && lb1["web_name"] == nil)
        // Masked everywhere by value, whatever the variable's name.
        let line = SecretMasking.mask("stats auth admin:st4ts-S3cret, auth vrrp-Pass-42, name Serveur chiffré")
        #expect(!line.contains("st4ts-S3cret") && !line.contains("vrrp-Pass-42") && !line.contains("Serveur chiffré"), "\(line)")
    }

    @Test func aDamagedVaultIsRefusedWithWhy() throws {
        let password = Data("pw".utf8)
        #expect(throws: VaultError.malformed("format 2.0 is not 1.1 or 1.2")) {
            try AnsibleVault.decrypt("$ANSIBLE_VAULT;2.0;AES256\n3132", password: password)
        }
        #expect(throws: VaultError.malformed("the body is not hex")) {
            try AnsibleVault.decrypt("$ANSIBLE_VAULT;1.1;AES256\nzz", password: password)
        }
        // A real vault text decrypts; with one digit of its ciphertext changed, the HMAC refuses it.
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "pw\n".write(toFile: folder + "/pw", atomically: true, encoding: .utf8)
        try "plain text\n".write(toFile: folder + "/f", atomically: true, encoding: .utf8)
        _ = try Self.ansibleVault(["encrypt", "--vault-password-file", folder + "/pw", folder + "/f"])
        let vault = try String(contentsOfFile: folder + "/f", encoding: .utf8)
        #expect(try AnsibleVault.decrypt(vault, password: password) == "plain text\n")
        var lines = vault.split(separator: "\n").map(String.init)
        var last = Array(lines[lines.count - 1])
        last[0] = last[0] == "3" ? "4" : "3"
        lines[lines.count - 1] = String(last)
        #expect(throws: VaultError.self) { try AnsibleVault.decrypt(lines.joined(separator: "\n"), password: password) }
    }
}
