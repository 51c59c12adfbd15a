import Foundation
@testable import HaprovSSH
import Testing

@Suite("Private key file headers")
struct PrivateKeyFileTests {
    @Test(arguments: [("ed25519", PrivateKeyFile.Algorithm.ed25519), ("rsa", .rsa), ("ecdsa", .ecdsa)])
    func detectsAlgorithm(type: String, expected: PrivateKeyFile.Algorithm) throws {
        let path = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-key") + "/key"
        try TestSSHD.keygen(type: type, path: path)
        // Without the .pub file the type must come from the private key itself.
        try FileManager.default.removeItem(atPath: path + ".pub")
        let key = try #require(PrivateKeyFile(path: path))
        #expect(key.algorithm == expected)
        #expect(!key.encrypted)
    }

    @Test func detectsPassphrase() throws {
        let path = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-key") + "/key"
        try TestSSHD.keygen(type: "ed25519", path: path, passphrase: "secret")
        let key = try #require(PrivateKeyFile(path: path))
        #expect(key.encrypted)
        #expect(key.algorithm == .ed25519)
    }

    @Test func unreadableFileIsNil() {
        #expect(PrivateKeyFile(path: "/nonexistent/haprov/key") == nil)
    }
}
