import Foundation
import Testing
@testable import HaprovCore

/// haprov as a user gets it: `Scripts/install PREFIX`, then `haprov init` and `haprov apply`
/// from a folder outside the checkout that holds only an inventory; the .deb installed on a lab
/// host (Debian with only libssh2 added) runs there.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct InstallTests {
    /// `command` run by sh in `folder`.
    static func shell(_ command: String, in folder: String = "/", timeout: Duration = .seconds(1800)) throws -> CommandResult {
        try LocalProcess.run(["/bin/sh", "-c", "cd \(Shell.quote(folder)) && \(command)"], timeout: timeout)
    }

    @Test func installedHaprovInitsAndAppliesFromAFolderWithOnlyAnInventory() throws {
        let root = NSTemporaryDirectory() + "haprov-install-\(getpid())"
        let prefix = root + "/prefix"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var twin: String?
        defer {
            if let twin { _ = try? Binary.run(["lab", "down", twin], timeout: .seconds(300)) }
            try? FileManager.default.removeItem(atPath: root)
        }
        let install = try Self.shell("Scripts/install \(Shell.quote(prefix))", in: Binary.repository)
        try #require(install.succeeded, "\(install.stderrText)")
        let haprov = prefix + "/bin/haprov"
        for file in ["bin/haprov", "share/haprov/Roles/haproxy/tasks/main.yml", "share/haprov/Templates/README.md", "share/haprov/Inventories/sam.yml",
                     "share/man/man1/haprov.1", "share/bash-completion/completions/haprov", "share/zsh/site-functions/_haprov",
                     "share/fish/vendor_completions.d/haprov.fish"] {
            #expect(FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file) is installed")
        }
        #expect(try String(contentsOfFile: prefix + "/share/man/man1/haprov.1", encoding: .utf8).contains("haprov"))
        // The Swift runtime is inside the binary: only system libraries and libssh2 are linked.
        let libraries = try Self.shell("ldd \(Shell.quote(haprov))").stdoutText
        #expect(libraries.contains("libssh2") && !libraries.contains("libswift") && !libraries.contains("libFoundation"), "\(libraries)")

        // init for every stack, from a folder of the user's: ansible-inventory reads the same
        // inventory, and its syntax checks with the installed roles.
        let ansible = try #require(AnsibleCompatibilityTests.ansibleInventory(), "run Scripts/ansible-venv (Scripts/test does)")
        for stack in ["sam", "keepalived", "apache", "transparent"] {
            let folder = root + "/" + stack
            let made = try Self.shell("\(Shell.quote(haprov)) init \(stack) --no-input", in: try Self.folder(folder))
            #expect(made.succeeded && made.stdoutText.contains("wrote ./inventory/lab.yaml"), "\(made.stdoutText)\(made.stderrText)")
            let ours = try Self.shell("\(Shell.quote(haprov)) inventory --list inventory/lab.yaml", in: folder)
            let theirs = try Self.shell("ANSIBLE_LOCALHOST_WARNING=false HOME=/tmp \(Shell.quote(ansible)) -i inventory/lab.yaml --list", in: folder)
            let a = try #require(try JSONSerialization.jsonObject(with: theirs.stdout) as? NSDictionary, "\(theirs.stderrText)")
            let b = try #require(try JSONSerialization.jsonObject(with: ours.stdout) as? NSDictionary, "\(ours.stderrText)")
            #expect(a == b, "\(stack): haprov and ansible-inventory read the inventory alike")
            let syntax = try Self.shell("\(Shell.quote(haprov)) apply --syntax-check inventory/lab.yaml", in: folder)
            #expect(syntax.succeeded && syntax.stdoutText.contains("syntax ok"), "\(stack): \(syntax.stdoutText)\(syntax.stderrText)")
            let again = try Self.shell("\(Shell.quote(haprov)) init \(stack) --no-input", in: folder)
            #expect(again.exitStatus == 1 && again.stderrText.contains("never overwrites"), "\(again.stderrText)")
        }

        // A lab twin applied by the installed haprov from a folder holding only its inventory.
        let user = try Self.folder(root + "/user/inventory")
        let path = try StackTests.keepalivedTwin("installed", octet: 46, in: user)
        twin = path
        try StackTests.freshLab(path)
        let applied = try Self.shell("\(Shell.quote(haprov)) apply inventory/lab-installed.yml", in: root + "/user", timeout: .seconds(900))
        #expect(applied.succeeded && applied.stdoutText.contains("10 passed, 0 failed"), "\(applied.stdoutText)\(applied.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/user").sorted() == ["inventory"], "nothing written beside the inventory")

        // The .deb, installed on web1 (Debian 12 with apt, nothing of Swift): haprov runs there.
        let deb = try Self.shell("Scripts/package-deb \(Shell.quote(root))", in: Binary.repository)
        try #require(deb.succeeded, "\(deb.stderrText)")
        let package = deb.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let depends = try Self.shell("dpkg-deb -f \(Shell.quote(package)) Depends").stdoutText
        #expect(depends.contains("libssh2-1") && !depends.contains("swift"), "\(depends)")
        let roles = root + "/deb-roles/haprov_deb"
        try FileManager.default.createDirectory(atPath: roles + "/tasks", withIntermediateDirectories: true)
        try """
            - name: the haprov package is on the host
              copy: {src: \(package), dest: /root/haprov.deb, mode: "0644"}
            - name: haprov is installed from its package
              command:
                cmd: apt-get install -y -q /root/haprov.deb
                creates: /usr/bin/haprov
            """.write(toFile: roles + "/tasks/main.yml", atomically: true, encoding: .utf8)
        let debInventory = root + "/deb.yml"
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "roles: [web]", with: "roles: [haprov_deb]")
            .write(toFile: debInventory, atomically: true, encoding: .utf8)
        let installed = try Binary.run(["apply", "--no-test", "--limit", "web1", "--roles-path", root + "/deb-roles", debInventory], timeout: .seconds(600))
        #expect(installed.succeeded, "\(installed.stdoutText)\(installed.stderrText)")
        let there = try Binary.run(["run", path, "--limit", "web1", "--",
                                    "haprov --version && haprov inventory --graph /usr/share/haprov/Inventories/lab-keepalived.yml && dpkg -s haprov | grep Status"])
        #expect(there.succeeded && there.stdoutText.contains(HaprovVersion.current) && there.stdoutText.contains("@loadbalancers")
                && there.stdoutText.contains("install ok installed"), "\(there.stdoutText)\(there.stderrText)")
    }

    static func folder(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
