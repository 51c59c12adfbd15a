import Foundation

/// Settings that come from the command line rather than the inventory.
public struct ConnectionDefaults: Sendable {
    /// Record unknown host keys instead of refusing them (--accept-new-host-keys).
    public var acceptNewHostKeys = false
    public var connectTimeout: Duration = .seconds(10)
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init() {}
}

extension Inventory {
    /// How to reach `host`, from Ansible's connection variables (ansible_host, ansible_port,
    /// ansible_user, ansible_ssh_private_key_file, ansible_password, ansible_become*,
    /// ansible_ssh_common_args with ProxyJump) or haprov's own (haprov_host, haprov_port,
    /// haprov_user, haprov_known_hosts_file, haprov_password_env, haprov_password_file,
    /// haprov_become_password_env, haprov_key_passphrase_env, haprov_jump).
    public func connectionSpec(for host: String, defaults: ConnectionDefaults = ConnectionDefaults(), nested: Bool = false) throws -> ConnectionSpec {
        let vars = variables(for: host, magic: false)
        func text(_ names: String...) -> String? {
            for name in names { if let value = vars[name]?.plainString, !value.isEmpty { return value } }
            return nil
        }
        // Where the variable is written (file:line:column), else the inventory.
        let places = variableLocations(for: host)
        func fail(_ message: String, _ variables: String...) -> LoadError {
            LoadError(problems: [Diagnostic(location: variables.lazy.compactMap { places[$0] }.first ?? path, message: "\(host): \(message)")])
        }
        if let connection = text("ansible_connection"), connection != "ssh" {
            throw fail("ansible_connection \(connection) is not supported: haprov connects over SSH", "ansible_connection")
        }
        var spec = ConnectionSpec(name: host, address: text("ansible_host", "haprov_host") ?? host)
        if let port = text("ansible_port", "haprov_port") {
            guard let number = Int(port), (1...65535).contains(number) else { throw fail("port \(port) is not a number from 1 to 65535", "ansible_port", "haprov_port") }
            spec.port = number
        }
        spec.user = text("ansible_user", "ansible_ssh_user", "haprov_user") ?? "root"
        if let key = text("ansible_ssh_private_key_file", "ansible_private_key_file", "haprov_private_key_file") {
            let resolved = resolvePath(key, environment: defaults.environment)
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw fail("private key \(resolved) does not exist (ansible_ssh_private_key_file)", "ansible_ssh_private_key_file", "ansible_private_key_file", "haprov_private_key_file")
            }
            spec.privateKeyFiles = [resolved]
        } else {
            let home = defaults.environment["HOME"] ?? NSHomeDirectory()
            spec.privateKeyFiles = ["id_ed25519", "id_ecdsa", "id_rsa"].map { home + "/.ssh/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
        }
        spec.useAgent = defaults.environment["SSH_AUTH_SOCK"] != nil
        spec.passphraseEnvironment = text("haprov_key_passphrase_env")
        if let literal = text("ansible_password", "ansible_ssh_pass", "ansible_ssh_password") { spec.password = .literal(literal) }
        if let env = text("haprov_password_env") { spec.password = .environment(env) }
        if let file = text("haprov_password_file") { spec.password = .file(resolvePath(file, environment: defaults.environment)) }
        var knownHosts = ConnectionSpec.defaultKnownHostsFiles
        if let file = text("haprov_known_hosts_file") { knownHosts.insert(resolvePath(file, environment: defaults.environment), at: 0) }
        spec.knownHostsFiles = knownHosts
        spec.unknownHostKeyPolicy = defaults.acceptNewHostKeys ? .acceptNew : .refuse
        spec.connectTimeout = defaults.connectTimeout
        spec.become = vars["ansible_become"]?.boolValue ?? vars["haprov_become"]?.boolValue ?? false
        spec.becomeUser = text("ansible_become_user") ?? "root"
        if let literal = text("ansible_become_password", "ansible_become_pass") { spec.becomePassword = .literal(literal) }
        if let env = text("haprov_become_password_env") { spec.becomePassword = .environment(env) }
        else if spec.becomePassword == nil, defaults.environment["HAPROV_BECOME_PASSWORD"] != nil { spec.becomePassword = .environment("HAPROV_BECOME_PASSWORD") }
        if let jump = text("haprov_jump") ?? proxyJump(in: text("ansible_ssh_common_args", "ansible_ssh_extra_args")) {
            guard !nested else { throw fail("jump host chains are not supported: the bastion has its own haprov_jump", "haprov_jump") }
            spec.jump = JumpHost(try jumpSpec(jump, defaults: defaults, for: spec))
        }
        return spec
    }

    /// `-o ProxyJump=user@host:port` or `-J user@host` inside ansible_ssh_common_args.
    func proxyJump(in args: String?) -> String? {
        guard let args else { return nil }
        let words = args.split(separator: " ").map(String.init)
        for (index, word) in words.enumerated() {
            if word.hasPrefix("ProxyJump=") { return String(word.dropFirst(10)) }
            if word.hasPrefix("-oProxyJump=") { return String(word.dropFirst(12)) }
            if (word == "-J" || word == "-o"), index + 1 < words.count {
                let next = words[index + 1]
                if word == "-J" { return next }
                if next.hasPrefix("ProxyJump=") { return String(next.dropFirst(10)) }
            }
        }
        return nil
    }

    /// A bastion named by inventory host name, or as user@host:port.
    private func jumpSpec(_ text: String, defaults: ConnectionDefaults, for target: ConnectionSpec) throws -> ConnectionSpec {
        if hostNames.contains(text) { return try connectionSpec(for: text, defaults: defaults, nested: true) }
        var rest = text
        var spec = ConnectionSpec(name: "jump \(text)", address: text)
        spec.user = target.user
        if let at = rest.lastIndex(of: "@") { spec.user = String(rest[..<at]); rest = String(rest[rest.index(after: at)...]) }
        if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) { spec.port = port; rest = String(rest[..<colon]) }
        spec.address = rest
        spec.privateKeyFiles = target.privateKeyFiles
        spec.useAgent = target.useAgent
        spec.knownHostsFiles = target.knownHostsFiles
        spec.unknownHostKeyPolicy = target.unknownHostKeyPolicy
        spec.connectTimeout = target.connectTimeout
        return spec
    }

    func resolvePath(_ path: String, environment: [String: String]) -> String {
        if path.hasPrefix("~/") { return (environment["HOME"] ?? NSHomeDirectory()) + String(path.dropFirst()) }
        if path.hasPrefix("/") { return path }
        return (directory as NSString).appendingPathComponent(path)
    }
}
