import Foundation
import Testing
@testable import HaprovCore

/// `apt_repository` end to end, as the web role adds Docker's repository: a repository signed
/// with a key the test makes, served on the lab's gateway address, added with its key fetched
/// from a URL, a package installed from it; a key that does not sign it, and a URL that does not
/// return a key, fail with apt's or haprov's own words.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct AptRepositoryTests {
    static let inventory = Binary.repository + "/Tests/Fixtures/inventories/lab-aptrepo.yml"
    static let roles = Binary.repository + "/Tests/Fixtures/roles"
    static let server = "http.server --bind 10.213.32.1 8080"
    /// Matches the server, not the shell that runs pkill (whose command line holds the pattern).
    static let stopServer = "pkill -f '[h]ttp.server --bind 10.213.32.1 8080'"

    static func sh(_ script: String) throws -> CommandResult {
        let result = try LocalProcess.run(["/bin/bash", "-c", script], timeout: .seconds(120))
        #expect(result.succeeded, "\(script)\n\(result.stderrText)")
        return result
    }

    /// A signed repository with one package (haprov-hello), also under /mirror, the key that
    /// signs it (key.asc), another key (other.asc) and a page that is not a key (page.html);
    /// served on port 8080 of the lab's gateway until `stop` runs.
    static func serveRepository() throws -> (folder: String, stop: () -> Void) {
        _ = try LocalProcess.run(["/bin/sh", "-c", stopServer])  // one left by an interrupted run
        let folder = try sh("mktemp -d /tmp/haprov-aptrepo.XXXXXX").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        try sh("""
            set -e
            cd \(folder)
            export GNUPGHOME=\(folder)/gnupg
            mkdir -m 700 gnupg other repo
            gpg -q --batch --passphrase '' --quick-gen-key 'haprov test repository <repo@haprov.invalid>' ed25519 sign never
            gpg -q --armor --export > repo/key.asc
            GNUPGHOME=\(folder)/other gpg -q --batch --passphrase '' --quick-gen-key 'someone else <other@haprov.invalid>' ed25519 sign never
            GNUPGHOME=\(folder)/other gpg -q --armor --export > repo/other.asc
            echo '<html><body>Not found</body></html>' > repo/page.html
            mkdir -p pkg/DEBIAN pkg/usr/share/haprov-hello
            echo hello > pkg/usr/share/haprov-hello/hello.txt
            printf 'Package: haprov-hello\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: haprov <repo@haprov.invalid>\\nDescription: haprov test package\\n' > pkg/DEBIAN/control
            dpkg-deb --build pkg repo/haprov-hello_1.0_all.deb >/dev/null
            cd repo
            f=haprov-hello_1.0_all.deb
            { dpkg-deb -f $f; echo "Filename: ./$f"; echo "Size: $(stat -c %s $f)"; echo "SHA256: $(sha256sum $f | cut -d' ' -f1)"; echo; } > Packages
            { echo "Origin: haprov-test"; echo "Date: $(date -Ru)"; echo "SHA256:"; echo " $(sha256sum Packages | cut -d' ' -f1) $(stat -c %s Packages) Packages"; } > Release
            gpg -q --batch --clearsign -o InRelease Release
            ln -s . mirror   # the same repository under another URL, for a source with another key
            py=$(command -v /usr/bin/python3 || command -v python3)
            setsid nohup "$py" -m \(Self.server) >\(folder)/http.log 2>&1 </dev/null &
            for i in $(seq 50); do curl -fs -o /dev/null http://10.213.32.1:8080/Release && break; sleep 0.1; done
            """)
        return (folder, { _ = try? LocalProcess.run(["/bin/sh", "-c", "\(stopServer); rm -rf \(folder)"]) })
    }

    @Test func aSignedRepositoryAndAPackageFromIt() throws {
        try StackTests.haprov(["lab", "up", Self.inventory])
        try StackTests.haprov(["lab", "reset", Self.inventory])
        let server = try Self.serveRepository()
        defer {
            server.stop()
            _ = try? Binary.run(["lab", "down", Self.inventory])
        }

        let first = try StackTests.haprov(["apply", "--no-test", "--roles-path", Self.roles, Self.inventory], timeout: .seconds(300))
        #expect(first.stdoutText.contains("fetch the signing key http://10.213.32.1:8080/key.asc"), "\(first.stdoutText)")
        #expect(first.stdoutText.contains("install haprov-hello"))
        let installed = try StackTests.haprov(["run", Self.inventory, "--", """
            dpkg-query -W -f '${Status}\\n' haprov-hello; cat /etc/apt/sources.list.d/haprov-test.list
            """]).stdoutText
        #expect(installed.contains("install ok installed"))
        #expect(installed.contains("deb [signed-by=/etc/apt/keyrings/haprov-test.asc] http://10.213.32.1:8080/ ./"))
        let second = try StackTests.haprov(["apply", "--no-test", "--roles-path", Self.roles, Self.inventory])
        #expect(StackTests.changedCounts(second.stdoutText) == [0], "\(second.stdoutText)")

        // A key that did not sign the repository: apt refuses it, and its words reach the user.
        let wrongKey = try Binary.run(["apply", "--no-test", "--roles-path", Self.roles, Self.inventory,
                                       "-e", "repo_name=haprov-other", "-e", "repo_key_path=other.asc", "-e", "repo_path=/mirror"], timeout: .seconds(300))
        #expect(wrongKey.exitStatus == 1)
        #expect(wrongKey.stdoutText.contains("NO_PUBKEY") || wrongKey.stdoutText.contains("not signed"), "\(wrongKey.stdoutText)")

        // A URL that answers with a page, not a key: nothing is installed as a keyring.
        let page = try Binary.run(["apply", "--no-test", "--roles-path", Self.roles, Self.inventory,
                                   "-e", "repo_name=haprov-page", "-e", "repo_key_path=page.html"], timeout: .seconds(300))
        #expect(page.exitStatus == 1)
        #expect(page.stdoutText.contains("did not return an armored OpenPGP public key"), "\(page.stdoutText)")
        let keyrings = try StackTests.haprov(["run", Self.inventory, "--", "ls /etc/apt/keyrings"]).stdoutText
        #expect(!keyrings.contains("haprov-page"), "\(keyrings)")
    }
}
