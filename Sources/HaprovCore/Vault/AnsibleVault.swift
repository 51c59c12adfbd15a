import Crypto
import _CryptoExtras
import Foundation

/// Reads values encrypted by ansible-vault (formats 1.1 and 1.2, AES256): a header line
/// `$ANSIBLE_VAULT;1.1;AES256` (1.2 adds a vault id), then hex lines of
/// hex(salt) "\n" hex(hmac) "\n" hex(ciphertext). The keys come from PBKDF2-HMAC-SHA256 of the
/// password and salt (10,000 rounds, 80 bytes: AES key, HMAC key, counter block); the HMAC of
/// the ciphertext is checked before AES-256-CTR decrypts it; the plaintext is PKCS#7 padded.
public enum AnsibleVault {
    public static let header = "$ANSIBLE_VAULT;"

    public static func isEncrypted(_ text: String) -> Bool {
        text.drop { $0.isWhitespace }.hasPrefix(header)
    }

    /// The plaintext of `text`, or why not (a wrong password says so).
    public static func decrypt(_ text: String, password: Data) throws -> String {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw VaultError.malformed("empty") }
        let fields = lines.removeFirst().split(separator: ";").map(String.init)
        guard fields.count >= 3, fields[0] == "$ANSIBLE_VAULT" else { throw VaultError.malformed("no $ANSIBLE_VAULT header") }
        guard fields[1] == "1.1" || fields[1] == "1.2" else { throw VaultError.malformed("format \(fields[1]) is not 1.1 or 1.2") }
        guard fields[2].trimmingCharacters(in: .whitespaces) == "AES256" else { throw VaultError.malformed("cipher \(fields[2]) is not AES256") }
        guard let outer = hex(lines.joined()), let body = String(data: outer, encoding: .ascii) else { throw VaultError.malformed("the body is not hex") }
        let parts = body.split(separator: "\n").map(String.init)
        guard parts.count == 3, let salt = hex(parts[0]), let mac = hex(parts[1]), let ciphertext = hex(parts[2]), !ciphertext.isEmpty else {
            throw VaultError.malformed("the body is not salt, HMAC and ciphertext")
        }
        let derived = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: .sha256, outputByteCount: 80, unsafeUncheckedRounds: 10_000)
        let bytes = derived.withUnsafeBytes { Data($0) }
        let cipherKey = SymmetricKey(data: bytes[0..<32])
        let macKey = SymmetricKey(data: bytes[32..<64])
        let counter = bytes[64..<80]
        guard HMAC<Crypto.SHA256>.isValidAuthenticationCode(mac, authenticating: ciphertext, using: macKey) else { throw VaultError.wrongPassword }
        let padded = try AES._CTR.decrypt(ciphertext, using: cipherKey, nonce: AES._CTR.Nonce(nonceBytes: counter))
        guard let pad = padded.last, pad >= 1, pad <= 16, Int(pad) <= padded.count,
              padded.suffix(Int(pad)).allSatisfy({ $0 == pad }) else { throw VaultError.malformed("bad padding") }
        guard let plain = String(data: padded.dropLast(Int(pad)), encoding: .utf8) else { throw VaultError.malformed("the plaintext is not UTF-8") }
        return plain
    }

    private static func hex(_ text: String) -> Data? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var data = Data(capacity: digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

public enum VaultError: Error, Sendable, CustomStringConvertible, Equatable {
    case wrongPassword
    case noPassword
    case malformed(String)

    public var description: String {
        switch self {
        case .wrongPassword: return "the vault password does not open it (HMAC mismatch): check --vault-password-file"
        case .noPassword: return "encrypted with ansible-vault, and no vault password was given (fix: --vault-password-file FILE, or HAPROV_VAULT_PASSWORD_FILE=FILE)"
        case .malformed(let why): return "not a readable ansible-vault text: \(why)"
        }
    }
}
