internal import CLibSSH2
import Foundation
import HaprovCore

/// Checks the server's host key against known_hosts files, like OpenSSH's StrictHostKeyChecking
/// (`yes` by default, `accept-new` on request). A changed key is always refused.
struct HostKeyVerifier {
    let spec: ConnectionSpec

    /// The host key the server presented, in the forms errors and known_hosts need.
    struct PresentedKey {
        let blob: Data
        let libssh2Type: Int32
        /// The algorithm name inside the key blob, e.g. "ssh-ed25519".
        let algorithm: String
        /// OpenSSH-style fingerprint, "SHA256:" + unpadded base64.
        let fingerprint: String
    }

    /// The host field as OpenSSH writes it: bare for port 22, `[host]:port` otherwise.
    var knownHostsName: String {
        spec.port == 22 ? spec.address : "[\(spec.address)]:\(spec.port)"
    }

    /// Returns the key the host presented, as "algorithm base64".
    @discardableResult
    func verify(_ session: SSHSession) throws -> String {
        let key = try presentedKey(session)
        let presented = "\(key.algorithm) \(key.blob.base64EncodedString())"
        if let pin = spec.pinnedHostKey {
            guard pin == presented else {
                throw TransportError(
                    host: spec.name, step: .hostKey,
                    message: "the machine at \(knownHostsName) presents \(key.algorithm) \(key.fingerprint), not the host key \(spec.name) had a moment ago: another machine answers at this address",
                    fix: "find which machine holds \(spec.address) (an address conflict on the network) and give \(spec.name) a free address")
            }
            // The same machine at a new address: known_hosts learns the address for later runs.
            if !spec.knownHostsFiles.map(expandTilde).contains(where: { (try? KnownHostsFile(path: $0, session: session).check(name: knownHostsName, key: key.blob, keyType: key.libssh2Type)) == .match }) {
                try? record(key)
            }
            return presented
        }
        var mismatchFile: String?
        for path in spec.knownHostsFiles.map(expandTilde) {
            switch try KnownHostsFile(path: path, session: session).check(
                name: knownHostsName, key: key.blob, keyType: key.libssh2Type
            ) {
            case .match:
                return presented
            case .mismatch:
                mismatchFile = mismatchFile ?? path
            case .notFound:
                continue
            }
        }
        if let mismatchFile {
            throw TransportError(
                host: spec.name, step: .hostKey,
                message: """
                    HOST KEY CHANGED for \(knownHostsName): the server now presents \(key.algorithm) \(key.fingerprint), \
                    which does not match the key recorded in \(mismatchFile). This could be a man-in-the-middle attack \
                    (someone intercepting the connection), or the host was reinstalled. haprov refuses to connect.
                    """,
                fix: "if the change is expected, remove the old entry with `ssh-keygen -R \(Shell.quote(knownHostsName)) -f \(Shell.quote(mismatchFile))` and connect again with --accept-new-host-keys")
        }
        switch spec.unknownHostKeyPolicy {
        case .acceptNew:
            try record(key)
            return presented
        case .refuse:
            let files = spec.knownHostsFiles.joined(separator: ", ")
            let target = spec.knownHostsFiles.first.map(expandTilde) ?? "~/.ssh/known_hosts"
            throw TransportError(
                host: spec.name, step: .hostKey,
                message: "unknown host key for \(knownHostsName): \(key.algorithm) \(key.fingerprint) is not in \(files.isEmpty ? "any known_hosts file" : files)",
                fix: "check the fingerprint with the host's owner, then rerun with --accept-new-host-keys, or add it yourself: ssh-keyscan -p \(spec.port) \(Shell.quote(spec.address)) >> \(Shell.quote(target))")
        }
    }

    private func presentedKey(_ session: SSHSession) throws -> PresentedKey {
        var length = 0
        var type: Int32 = 0
        guard let pointer = libssh2_session_hostkey(session.raw, &length, &type), length > 0 else {
            throw TransportError(host: spec.name, step: .hostKey, message: "the server sent no host key", fix: "check the sshd configuration on \(spec.name)")
        }
        let blob = Data(bytes: pointer, count: length)
        var fingerprint = "SHA256:?"
        if let hash = libssh2_hostkey_hash(session.raw, LIBSSH2_HOSTKEY_HASH_SHA256) {
            let digest = Data(bytes: hash, count: 32)
            fingerprint = "SHA256:" + digest.base64EncodedString().replacingOccurrences(of: "=", with: "")
        }
        return PresentedKey(blob: blob, libssh2Type: type, algorithm: SSHWire.firstString(blob) ?? "unknown", fingerprint: fingerprint)
    }

    /// Appends the key to the first known_hosts file, creating it (and its directory) if needed.
    private func record(_ key: PresentedKey) throws {
        guard let first = spec.knownHostsFiles.first.map(expandTilde) else {
            throw TransportError(host: spec.name, step: .hostKey, message: "no known_hosts file to record the new host key in",
                                 fix: "set a known_hosts file in the inventory (haprov_known_hosts_file)")
        }
        let line = "\(knownHostsName) \(key.algorithm) \(key.blob.base64EncodedString())\n"
        do {
            try KnownHostsFile.append(line: line, to: first)
        } catch {
            throw TransportError(host: spec.name, step: .hostKey, message: "cannot record the host key in \(first): \(error)",
                                 fix: "check the permissions of \(first) and its directory")
        }
    }
}

/// One known_hosts file loaded into libssh2's knownhost collection.
struct KnownHostsFile {
    enum Result { case match, mismatch, notFound }

    let path: String
    let session: SSHSession

    /// Reads the file line by line so one entry libssh2 cannot parse (a new key type, a
    /// @cert-authority line) does not hide the rest, as libssh2_knownhost_readfile would.
    /// `name` is the exact host field (`[host]:port` off port 22). libssh2's own port
    /// handling also tries the bare host for any port, which OpenSSH does not, so the port is
    /// passed as -1 and the name matched as written (hashed entries hash the same string).
    func check(name: String, key: Data, keyType: Int32) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else { return .notFound }
        guard let hosts = libssh2_knownhost_init(session.raw) else {
            throw TransportError(host: session.host, step: .hostKey, message: "libssh2 could not allocate a known-hosts collection",
                                 fix: "check free memory on this machine")
        }
        defer { libssh2_knownhost_free(hosts) }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            // Shaped like an fgets() line: libssh2's parser scans some fields with strlen(),
            // so a bare slice would let it read past the end (seen as random key mismatches).
            let bytes = Array(line) + [UInt8(ascii: "\n"), 0]
            _ = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    libssh2_knownhost_readline(hosts, $0.baseAddress, $0.count - 1, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
                }
            }
        }
        let typeMask = Self.typePlain | Self.keyEncodingRaw | Self.keyBits(for: keyType)
        let rc = key.withUnsafeBytes { raw in
            libssh2_knownhost_checkp(hosts, name, -1, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, typeMask, nil)
        }
        switch rc {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH: return .match
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: return .mismatch
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND: return .notFound
        default:
            throw TransportError(host: session.host, step: .hostKey, message: "cannot check the host key against \(path)",
                                 fix: "check that \(path) is a valid known_hosts file")
        }
    }

    static func append(line: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var text = line
        if let existing = FileManager.default.contents(atPath: path) {
            if let last = existing.last, last != UInt8(ascii: "\n") { text = "\n" + line }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } else {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
    }

    // libssh2 defines these with shifts the Swift importer does not carry over.
    private static let typePlain: Int32 = 1
    private static let keyEncodingRaw: Int32 = 1 << 16
    private static func keyBits(for hostKeyType: Int32) -> Int32 {
        let index: Int32
        switch hostKeyType {
        case LIBSSH2_HOSTKEY_TYPE_RSA: index = 2
        case LIBSSH2_HOSTKEY_TYPE_DSS: index = 3
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: index = 4
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: index = 5
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: index = 6
        case LIBSSH2_HOSTKEY_TYPE_ED25519: index = 7
        default: return 0  // compare against entries of any type
        }
        return index << 18
    }
}

/// Reading SSH wire-format values (RFC 4251 `string`: uint32 length + bytes).
enum SSHWire {
    static func firstString(_ data: Data) -> String? {
        var reader = Reader(data)
        return reader.string().map { String(decoding: $0, as: UTF8.self) }
    }

    struct Reader {
        private let bytes: [UInt8]
        private var offset = 0
        init(_ data: Data) { bytes = Array(data) }

        mutating func uint32() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            offset += 4
            return value
        }

        mutating func string() -> [UInt8]? {
            guard let length = uint32(), offset + Int(length) <= bytes.count else { return nil }
            defer { offset += Int(length) }
            return Array(bytes[offset..<offset + Int(length)])
        }

        mutating func skip(_ count: Int) { offset += count }
    }
}

func expandTilde(_ path: String) -> String {
    guard path.hasPrefix("~/") else { return path }
    let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    return home + path.dropFirst(1)
}
