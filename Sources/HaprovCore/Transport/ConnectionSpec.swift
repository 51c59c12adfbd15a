import Foundation

/// How to reach and log in to one host: plain values, filled from the inventory.
public struct ConnectionSpec: Sendable, Equatable {
    /// What to do with a host key that no known_hosts file lists.
    public enum UnknownHostKeyPolicy: String, Sendable, Codable {
        /// Refuse, print the fingerprint and the flag that accepts it (the default).
        case refuse
        /// Accept and record it in the first known_hosts file, like OpenSSH's accept-new.
        case acceptNew = "accept-new"
    }

    /// Where a password comes from: never the command line.
    public enum Secret: Sendable, Equatable {
        case environment(String)
        case file(String)
        /// A literal, as read from an inventory variable (e.g. ansible_password in a vault-less lab).
        case literal(String)
    }

    /// Inventory name of the host.
    public var name: String
    /// Address or DNS name to connect to.
    public var address: String
    public var port: Int
    public var user: String
    /// Private key files tried in order (ed25519 recommended with libssh2 1.10).
    public var privateKeyFiles: [String]
    /// Environment variable holding the key passphrase; prompted on a TTY when absent.
    public var passphraseEnvironment: String?
    public var useAgent: Bool
    public var password: Secret?
    /// known_hosts files checked in order; the first is where accept-new records keys.
    public var knownHostsFiles: [String]
    public var unknownHostKeyPolicy: UnknownHostKeyPolicy
    public var connectTimeout: Duration
    /// Bastion the session is tunnelled through (direct-tcpip channel), like ProxyJump.
    public var jump: JumpHost?
    /// Run commands as `becomeUser` through sudo when the login user is someone else.
    public var become: Bool
    public var becomeUser: String
    public var becomePassword: Secret?
    /// The host key this host must present ("algorithm base64"), whatever its address: set when
    /// haprov follows a host it moved to a new address, so it is known to be the same machine.
    public var pinnedHostKey: String?

    public init(
        name: String,
        address: String,
        port: Int = 22,
        user: String = "root",
        privateKeyFiles: [String] = [],
        passphraseEnvironment: String? = nil,
        useAgent: Bool = false,
        password: Secret? = nil,
        knownHostsFiles: [String] = ConnectionSpec.defaultKnownHostsFiles,
        unknownHostKeyPolicy: UnknownHostKeyPolicy = .refuse,
        connectTimeout: Duration = .seconds(10),
        jump: JumpHost? = nil,
        become: Bool = false,
        becomeUser: String = "root",
        becomePassword: Secret? = nil
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.privateKeyFiles = privateKeyFiles
        self.passphraseEnvironment = passphraseEnvironment
        self.useAgent = useAgent
        self.password = password
        self.knownHostsFiles = knownHostsFiles
        self.unknownHostKeyPolicy = unknownHostKeyPolicy
        self.connectTimeout = connectTimeout
        self.jump = jump
        self.become = become
        self.becomeUser = becomeUser
        self.becomePassword = becomePassword
    }

    public static var defaultKnownHostsFiles: [String] {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return [home + "/.ssh/known_hosts"]
    }
}

/// A bastion host (one level; chain jump hosts by nesting specs).
public final class JumpHost: Sendable, Equatable {
    public let spec: ConnectionSpec
    public init(_ spec: ConnectionSpec) { self.spec = spec }
    public static func == (lhs: JumpHost, rhs: JumpHost) -> Bool { lhs.spec == rhs.spec }
}

extension ConnectionSpec.Secret {
    /// Reads the secret's value, or says where it was expected.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch self {
        case .literal(let value):
            return value
        case .environment(let name):
            guard let value = environment[name] else {
                throw SecretError(message: "environment variable \(name) is not set", fix: "export \(name)=... before running haprov")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SecretError(message: "cannot read password file \(path)", fix: "create it (mode 600) or fix the path in the inventory")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        }
    }
}

public struct SecretError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var fix: String
    public var description: String { "\(message) (fix: \(fix))" }
}
