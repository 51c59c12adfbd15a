import Foundation
import HaprovCore

/// What haprov can tell about a private key file without decrypting it: its algorithm (to
/// explain libssh2 1.10's RSA limitation) and whether it needs a passphrase.
struct PrivateKeyFile {
    enum Algorithm: Equatable {
        case ed25519, rsa, ecdsa, dsa, unknown(String)

        var name: String {
            switch self {
            case .ed25519: "ed25519"
            case .rsa: "rsa"
            case .ecdsa: "ecdsa"
            case .dsa: "dsa"
            case .unknown(let text): text
            }
        }
    }

    let path: String
    let algorithm: Algorithm
    let encrypted: Bool

    /// Reads the key's header; nil when the file cannot be read.
    init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        self.path = path
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("BEGIN OPENSSH PRIVATE KEY") {
            let parsed = Self.parseOpenSSH(text)
            algorithm = parsed.algorithm ?? Self.algorithmFromPublicKey(path) ?? .unknown("unknown")
            encrypted = parsed.encrypted
        } else if text.contains("BEGIN RSA PRIVATE KEY") {
            algorithm = .rsa
            encrypted = text.contains("ENCRYPTED")
        } else if text.contains("BEGIN EC PRIVATE KEY") {
            algorithm = .ecdsa
            encrypted = text.contains("ENCRYPTED")
        } else if text.contains("BEGIN DSA PRIVATE KEY") {
            algorithm = .dsa
            encrypted = text.contains("ENCRYPTED")
        } else {
            // PKCS#8 ("BEGIN PRIVATE KEY" / "BEGIN ENCRYPTED PRIVATE KEY") hides the type.
            algorithm = Self.algorithmFromPublicKey(path) ?? .unknown("unknown")
            encrypted = text.contains("ENCRYPTED")
        }
    }

    static func algorithm(named name: String) -> Algorithm {
        switch name {
        case "ssh-ed25519": .ed25519
        case "ssh-rsa": .rsa
        case "ssh-dss": .dsa
        case let other where other.hasPrefix("ecdsa-"): .ecdsa
        default: .unknown(name)
        }
    }

    /// openssh-key-v1: magic, string cipher, string kdf, string kdfoptions, uint32 count,
    /// string public key (whose first field is the algorithm name).
    private static func parseOpenSSH(_ text: String) -> (algorithm: Algorithm?, encrypted: Bool) {
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body, options: .ignoreUnknownCharacters) else { return (nil, false) }
        let magic = Array("openssh-key-v1\0".utf8)
        guard data.count > magic.count, Array(data.prefix(magic.count)) == magic else { return (nil, false) }
        var reader = SSHWire.Reader(data)
        reader.skip(magic.count)
        let cipher = reader.string().map { String(decoding: $0, as: UTF8.self) } ?? "none"
        _ = reader.string()
        _ = reader.string()
        _ = reader.uint32()
        let algorithm = reader.string().flatMap { SSHWire.firstString(Data($0)) }.map(Self.algorithm(named:))
        return (algorithm, cipher != "none")
    }

    private static func algorithmFromPublicKey(_ path: String) -> Algorithm? {
        guard let data = FileManager.default.contents(atPath: path + ".pub"),
              let first = String(decoding: data, as: UTF8.self).split(separator: " ").first
        else { return nil }
        return algorithm(named: String(first))
    }
}
