import Foundation

/// `network_config`: installs a host's network configuration (Debian's /etc/network/interfaces
/// or a netplan file) and applies it with a rollback armed on the host, so a wrong address or
/// gateway never loses the host: haprov reconnects at `address` and confirms, or the host puts
/// its previous configuration back by itself after `rollback_timeout` seconds.
///
/// Arguments: src (template), dest, mode, validate, renderer (interfaces | netplan), interface,
/// address (where the host answers afterwards), apply (yes; no = only write the file),
/// rollback_timeout (30).
public struct NetworkConfigModule: Module {
    public static let name = "network_config"

    enum Renderer: String, CaseIterable { case interfaces, netplan }

    let file: ManagedFile
    let renderer: Renderer
    let interface: String
    let address: String
    let apply: Bool
    let rollbackTimeout: Int

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["src", "dest", "mode", "validate", "renderer", "interface", "address", "apply", "rollback_timeout"])
        let src = try args.requiredString("src")
        file = ManagedFile(path: try args.requiredString("dest"), content: try TemplateModule.render(src, context: context), mode: try args.mode("mode"),
                           owner: nil, group: nil, validate: try args.string("validate"), backup: true, source: src)
        let rendererName = try args.requiredString("renderer")
        guard let renderer = Renderer(rawValue: rendererName) else {
            throw ModuleError(argument: "renderer", message: "unknown renderer \(rendererName)",
                              fix: "renderer is " + Renderer.allCases.map(\.rawValue).joined(separator: " or "))
        }
        self.renderer = renderer
        interface = try args.requiredString("interface")
        guard Self.isInterfaceName(interface) else {
            throw ModuleError(argument: "interface", message: "\(interface) is not an interface name",
                              fix: "a name like eth0, ens18 or enp0s3 (letters, digits, . - _ @, at most 15 characters)")
        }
        address = try args.requiredString("address")
        guard IPv4Address(address) != nil else {
            throw ModuleError(argument: "address", message: "\(address) is not an IPv4 address", fix: "the host's address without the prefix, e.g. 192.168.10.11")
        }
        apply = try args.bool("apply", default: true)
        rollbackTimeout = try args.int("rollback_timeout") ?? 30
        guard (10...600).contains(rollbackTimeout) else {
            throw ModuleError(argument: "rollback_timeout", message: "\(rollbackTimeout) s is out of range",
                              fix: "between 10 and 600 seconds: long enough for the host to come up at its new address")
        }
    }

    public var facts: [FactQuery] { file.facts + [Self.addresses(interface)] }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let filePlan = try file.plan(facts)
        guard apply else { return filePlan }
        let current = try RemoteFile(parsing: facts.output(Facts.file(file.path)))
        let live = Self.parseAddresses(try facts.output(Self.addresses(interface)).text)
        let sameContent = current.kind == .regular && current.sha256 == SHA256.hex(file.content)
        let addressLive = live.contains { $0.address == address }
        if sameContent && addressLive { return filePlan }
        let from = live.first { !$0.secondary && !$0.hostRoute }?.address
        let move = from.map { $0 == address ? "at \(address)" : "\($0) -> \(address)" } ?? "to \(address)"
        let guardScripts = NetworkGuard(renderer: renderer, interface: interface, path: file.path, address: address,
                                        mode: file.mode, timeout: rollbackTimeout)
        return Plan([Change(
            summary: "apply \(file.path) on \(interface) \(move) (rolled back after \(rollbackTimeout) s unless haprov reconnects)",
            diff: filePlan.changes.first?.diff,
            script: guardScripts.arm(validate: file.validate),
            stdin: file.content,
            checkScript: file.validate.map { FileScripts.validateOnly(path: file.path, validate: $0) },
            touches: [.file(file.path)],
            reconnect: Reconnect(address: address, timeout: rollbackTimeout, confirm: guardScripts.confirm, status: NetworkGuard.status))])
    }

    /// The IPv4 addresses on the interface, one `ip -o` line each.
    static func addresses(_ interface: String) -> FactQuery {
        FactQuery(key: "ipv4:\(interface)", command: "ip -4 -o addr show dev \(Shell.quote(interface)) 2>/dev/null")
    }

    struct LiveAddress: Equatable {
        var address: String
        var prefix: Int
        var secondary: Bool
        /// A /32: a VIP or a service address, not the host's own network.
        var hostRoute: Bool { prefix == 32 }
    }

    /// Parses `ip -4 -o addr show` lines: `2: eth0    inet 10.0.0.5/24 brd ... scope global secondary eth0`.
    static func parseAddresses(_ text: String) -> [LiveAddress] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let index = words.firstIndex(of: "inet"), index + 1 < words.count else { return nil }
            let parts = words[index + 1].split(separator: "/")
            guard let first = parts.first, IPv4Address(String(first)) != nil else { return nil }
            return LiveAddress(address: String(first), prefix: parts.count > 1 ? Int(parts[1]) ?? 32 : 32, secondary: words.contains("secondary"))
        }
    }

    static func isInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 15 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-@".contains($0)) }
    }
}
