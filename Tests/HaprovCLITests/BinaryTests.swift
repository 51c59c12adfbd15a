import Foundation
import Testing
@testable import HaprovCore

/// The real `haprov` binary, run as users run it.
enum Binary {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var path: String {
        let candidates = [".build/debug/haprov", ".build/x86_64-unknown-linux-gnu/debug/haprov", ".build/release/haprov"].map { repository + "/" + $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(120)) throws -> CommandResult {
        try LocalProcess.run([path] + arguments, timeout: timeout, environment: environment)
    }
}

@Suite struct BinaryTests {
    @Test func versionAndHelp() throws {
        let version = try Binary.run(["--version"])
        #expect(version.succeeded)
        #expect(version.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == HaprovVersion.current)
        let help = try Binary.run(["--help"])
        for command in ["inventory", "ping", "run", "apply", "check", "test", "reset"] {
            #expect(help.stdoutText.contains(command))
        }
    }

    @Test func brokenInventoryExitsOneAndListsEveryProblem() throws {
        let result = try Binary.run(["inventory", "--list", Binary.repository + "/Tests/Fixtures/inventories/broken.yml"])
        #expect(result.exitStatus == 1)
        #expect(result.stderrText.contains("4 problems"))
        #expect(!result.stderrText.contains("\u{1B}["))  // no colour when not on a terminal
    }

    /// A host or group name with shell characters is refused with its place, before anything runs:
    /// no command is built from it (a root shell once ran `$(touch pwned)` from a host name).
    @Test func namesWithShellCharactersAreRefusedWithTheirPlace() throws {
        let folder = NSTemporaryDirectory() + "haprov-names-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = Binary.repository + "/Tests/Fixtures/inventories/shell-names.yml"
        for arguments in [["inventory", "--list", path], ["lab", "up", path], ["apply", path], ["ping", path]] {
            let result = try LocalProcess.run(["/bin/sh", "-c", "cd \(Shell.quote(folder)) && exec \(Shell.quote(Binary.path)) \(Shell.join(arguments))"])
            #expect(result.exitStatus == 1, "\(arguments): \(result.stderrText)")
            #expect(result.stderrText.contains("shell-names.yml:7:7: invalid group name 'web-servers'"), "\(result.stderrText)")
            #expect(result.stderrText.contains("e.g. web_servers"))
            #expect(result.stderrText.contains("shell-names.yml:8:9: invalid host name 'a$(touch haprov-pwned)'"), "\(result.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/haprov-pwned"))
        }
        let root = try Binary.run(["lab", "status", Binary.repository + "/Inventories/lab-keepalived.yml"], environment: ["HAPROV_LAB_ROOT": "/tmp/x;touch haprov-pwned"])
        #expect(root.exitStatus == 1 && root.stderrText.contains("HAPROV_LAB_ROOT '/tmp/x;touch haprov-pwned' is not a plain absolute path"), "\(root.stderrText)")
    }

    /// Scripts/bad-inputs: every bad input refused with its place; no crash, hang or secret shown.
    @Test func badInputsAreRefusedWithTheirPlace() throws {
        let result = try LocalProcess.run(["/usr/bin/python3", Binary.repository + "/Scripts/bad-inputs", Binary.path], timeout: .seconds(600))
        #expect(result.succeeded, "\(result.stdoutText)\n\(result.stderrText)")
        #expect(result.stdoutText.contains("crashes 0  hangs 0  secrets shown 0"), "\(result.stdoutText)")
    }

    /// ansible-playbook's listing habits reach no host: a lab inventory whose key does not exist
    /// yet (no lab up) is listed and syntax-checked all the same.
    @Test func listingAndSyntaxCheckReachNoHost() throws {
        let inventory = Binary.repository + "/Inventories/lab-transparent.yml"
        let hosts = try Binary.run(["apply", inventory, "--list-hosts", "--limit", "lb1,www1"])
        #expect(hosts.exitStatus == 0, "\(hosts.stderrText)")
        #expect(hosts.stdoutText.contains("hosts (1):\n      www1\n") && hosts.stdoutText.contains("hosts (1):\n      lb1\n"), "\(hosts.stdoutText)")
        let tasks = try Binary.run(["apply", inventory, "--list-tasks", "--tags", "tproxy"])
        let lines = tasks.stdoutText.split(separator: "\n").filter { $0.contains(" : ") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("TAGS: [tproxy") }, "\(tasks.stdoutText)")
        let syntax = try Binary.run(["apply", inventory, "--syntax-check"])
        #expect(syntax.exitStatus == 0 && syntax.stdoutText.contains("syntax ok:") && syntax.stdoutText.contains("no host was reached"), "\(syntax.stdoutText)\(syntax.stderrText)")
        let broken = try Binary.run(["apply", inventory, "--syntax-check", "-e", "haproxy_balance=fastest"])
        #expect(broken.exitStatus == 1 && broken.stderrText.contains("haproxy_balance"), "\(broken.stderrText)")
    }

    @Test func usageErrorsExit64() throws {
        let result = try Binary.run(["run", Binary.repository + "/Inventories/lab-sam.yml"])
        #expect(result.exitStatus == 64)
        #expect(result.stderrText.contains("give the command after --"))
    }

    @Test func unreachableHostsAreReportedPerHostWithExitFour() throws {
        // A port nothing listens on, on loopback: refused at once.
        let dir = NSTemporaryDirectory() + "haprov-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = dir + "/hosts.yml"
        try """
            all:
              hosts:
                closed1: {ansible_host: 127.0.0.1, ansible_port: 9}
                closed2: {ansible_host: 127.0.0.1, ansible_port: 9}
            """.write(toFile: inventory, atomically: true, encoding: .utf8)
        let result = try Binary.run(["ping", inventory, "--connect-timeout", "3"])
        #expect(result.exitStatus == 4)
        #expect(result.stdoutText.contains("closed1  UNREACHABLE"))
        #expect(result.stdoutText.contains("closed2  UNREACHABLE"))
        #expect(result.stdoutText.contains("connect"))
        #expect(result.stdoutText.contains("0/2 hosts answered"))
    }

    /// `--junit FILE` for CI tools: a suite per host; an unreachable one is a failed "reachable" case.
    @Test func junitFileHasASuitePerHost() throws {
        let dir = NSTemporaryDirectory() + "haprov-junit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = dir + "/hosts.yml"
        try """
            all:
              vars:
                haprov_plays: [{hosts: all, roles: [web]}]
                web_name: Serveur 1
              hosts:
                closed1: {ansible_host: 127.0.0.1, ansible_port: 9}
            """.write(toFile: inventory, atomically: true, encoding: .utf8)
        let junit = dir + "/run.xml"
        let result = try Binary.run(["apply", inventory, "--no-test", "--connect-timeout", "3", "--roles-path", Binary.repository + "/Roles", "--junit", junit])
        #expect(result.exitStatus == 1, "\(result.stdoutText)\(result.stderrText)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testsuites name=\"haprov apply\" tests=\"1\" failures=\"1\" skipped=\"0\">"), "\(xml)")
        #expect(xml.contains("<testcase classname=\"closed1\" name=\"reachable\" time=\"0.000\"><failure message=\"closed1: connect:"), "\(xml)")
        #expect(try LocalProcess.run(["/usr/bin/xmllint", "--noout", junit]).succeeded)
        // --start-at-task with a name no role has is refused before any host, with the nearest.
        let start = try Binary.run(["apply", inventory, "--no-test", "--roles-path", Binary.repository + "/Roles", "--start-at-task", "Flask instaled"])
        #expect(start.exitStatus == 64 && start.stderrText.contains("did you mean \"Flask installed\"?"), "\(start.stderrText)")
    }

    @Test func checkWithoutPlaysNamesTheMissingVariable() throws {
        let result = try Binary.run(["check", Binary.repository + "/Tests/Fixtures/inventories/stack/hosts.yml"])
        #expect(result.exitStatus == 1)
        #expect(result.stderrText.contains("haprov_plays"))
    }
}

/// `haprov inventory --list` against `ansible-inventory --list` on the same files.
@Suite struct AnsibleCompatibilityTests {
    static func ansibleInventory() -> String? {
        let bin = (ProcessInfo.processInfo.environment["HAPROV_ANSIBLE_VENV"] ?? "/var/tmp/haprov-ansible") + "/bin/ansible-inventory"
        return FileManager.default.isExecutableFile(atPath: bin) ? bin : nil
    }

    static let inventories = ["Tests/Fixtures/inventories/stack/hosts.yml", "Tests/Fixtures/inventories/parity/nested.yml"] + [
        "lab-keepalived.yml", "lab-sam.yml", "lab-apache.yml", "lab-transparent.yml", "sam.yml", "keepalived-haproxy.yml",
        "keepalived-apache.yml", "transparent.yml",
    ].map { "Inventories/" + $0 }

    @Test(arguments: inventories)
    func sameHostsGroupsAndVariables(_ file: String) throws {
        guard let ansible = Self.ansibleInventory() else {
            Issue.record("ansible-inventory is missing: run Scripts/ansible-venv (Scripts/test does)")
            return
        }
        let path = Binary.repository + "/" + file
        let ours = try Binary.run(["inventory", "--list", path])
        #expect(ours.succeeded, "\(ours.stderrText)")
        let theirs = try LocalProcess.run([ansible, "-i", path, "--list"], timeout: .seconds(120),
                                          environment: ["ANSIBLE_LOCALHOST_WARNING": "false", "PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()])
        #expect(theirs.succeeded, "\(theirs.stderrText)")
        let a = try #require(try JSONSerialization.jsonObject(with: theirs.stdout) as? NSDictionary)
        let b = try #require(try JSONSerialization.jsonObject(with: ours.stdout) as? NSDictionary)
        #expect(Set(a.allKeys.compactMap { $0 as? String }) == Set(b.allKeys.compactMap { $0 as? String }))
        for case let key as String in a.allKeys {
            #expect(a[key] as? NSDictionary == b[key] as? NSDictionary, "\(file): \(key) differs")
        }
    }
}

/// An inventory with a value encrypted by the real ansible-vault (made once, committed with its
/// password file): read with --vault-password-file or HAPROV_VAULT_PASSWORD_FILE, shown masked,
/// refused with its place and the fix without a password.
@Suite struct VaultBinaryTests {
    static let folder = Binary.repository + "/Tests/Fixtures/inventories/vault"

    @Test func theVaultPasswordComesFromTheFlagOrTheEnvironment() throws {
        let inventory = Self.folder + "/lab.yml", password = Self.folder + "/vault-pass"
        let refused = try Binary.run(["apply", "--syntax-check", inventory])
        #expect(refused.exitStatus == 1 && refused.stderrText.contains("lab.yml:11:33: encrypted with ansible-vault, and no vault password was given")
                && refused.stderrText.contains("--vault-password-file"), "\(refused.stderrText)")
        let flag = try Binary.run(["apply", "--syntax-check", "--vault-password-file", password, inventory])
        #expect(flag.succeeded && flag.stdoutText.contains("syntax ok"), "\(flag.stderrText)")
        let shown = try Binary.run(["inventory", "--host", "lb1", inventory], environment: ["HAPROV_VAULT_PASSWORD_FILE": password, "PATH": "/usr/bin:/bin"])
        #expect(shown.succeeded && shown.stdoutText.contains("\"haproxy_stats_password\" : \"********\"") && !shown.stdoutText.contains("st4ts-Vaulted"),
                "\(shown.stdoutText)\(shown.stderrText)")
        try "wrong\n".write(toFile: NSTemporaryDirectory() + "haprov-wrong-vault-pass", atomically: true, encoding: .utf8)
        let wrong = try Binary.run(["inventory", "--list", "--vault-password-file", NSTemporaryDirectory() + "haprov-wrong-vault-pass", inventory])
        #expect(wrong.exitStatus == 1 && wrong.stderrText.contains("the vault password does not open it"), "\(wrong.stderrText)")
    }
}

/// `haprov init` on a terminal (a pseudo-terminal made by script(1)): each value no flag gave is
/// asked with the seed's in brackets, Enter keeps it, a bad answer is asked again.
@Suite struct InitBinaryTests {
    @Test func valuesAreAskedOnATerminal() throws {
        let folder = NSTemporaryDirectory() + "haprov-init-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let command = "\(Shell.quote(Binary.path)) init sam \(Shell.quote(folder)) --address WEB2-SAM=10.9.0.32"
        let answers = "10.9.0.30\n\nnot-an-address\n10.9.0.1\n\n"
        let run = try LocalProcess.run(["/usr/bin/script", "-qec", command, "/dev/null"], stdin: Data(answers.utf8), timeout: .seconds(60))
        #expect(run.succeeded, "\(run.stdoutText)\(run.stderrText)")
        #expect(run.stdoutText.contains("address of HAPROXY-SAM [10.0.0.30]:") && run.stdoutText.contains("'not-an-address' is not an IPv4 address"),
                "\(run.stdoutText)")
        #expect(!run.stdoutText.contains("address of WEB2-SAM"), "a value given by its flag is not asked: \(run.stdoutText)")
        let text = try String(contentsOfFile: folder + "/inventory/lab.yaml", encoding: .utf8)
        #expect(text.contains("ansible_host: 10.9.0.30") && text.contains("ansible_host: 10.0.0.31") && text.contains("ansible_host: 10.9.0.32"), "\(text)")
        #expect(text.contains("network_gateway: 10.9.0.1") && text.contains("network_prefix: 16") && text.contains("address: 10.9.0.32}"), "\(text)")
    }
}
