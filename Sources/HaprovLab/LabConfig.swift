import Foundation
import HaprovCore

/// A lab as an inventory describes it: `all.vars.haprov_lab` (name, subnet, gateway, and the
/// Debian release its hosts run) and each host's `ansible_host`, which must lie in the subnet.
public struct LabConfig: Sendable {
    public struct Host: Sendable {
        public var name: String
        public var address: String
    }

    public var name: String
    public var network: IPv4Network
    public var gateway: String
    public var hosts: [Host]
    /// The Debian release of the hosts: bookworm (12) by default, or trixie (13).
    public var release = "bookworm"
    public static let releases = ["bookworm", "trixie"]

    /// Where the lab keeps its keys, known_hosts and host trees.
    public var directory: String { LabPaths.root + "/" + name }
    public var privateKey: String { directory + "/id_ed25519" }
    public var knownHosts: String { directory + "/known_hosts" }
    public var bridge: String { String("hv-\(name)".prefix(15)) }

    public static func load(inventoryPath: String) throws -> LabConfig {
        let inventory = try Inventory.load(path: inventoryPath)
        guard case .map(let settings)? = inventory.groupVariables("all")["haprov_lab"] else {
            throw LabError("\(inventoryPath) has no all.vars.haprov_lab", fix: "add haprov_lab: {name: NAME, subnet: 10.213.7.0/24, gateway: 10.213.7.1}")
        }
        guard let name = settings["name"]?.plainString, name.range(of: "^[a-z0-9][a-z0-9-]{0,11}$", options: .regularExpression) != nil else {
            throw LabError("haprov_lab.name must be 1 to 12 lower-case letters, digits or -", fix: "e.g. name: keepalived")
        }
        guard let subnetText = settings["subnet"]?.plainString, let network = IPv4Network(subnetText) else {
            throw LabError("haprov_lab.subnet must be an IPv4 network like 10.213.7.0/24")
        }
        guard let gateway = settings["gateway"]?.plainString, network.contains(gateway) else {
            throw LabError("haprov_lab.gateway must be an address inside \(subnetText)")
        }
        var hosts: [Host] = []
        var problems: [String] = []
        for host in inventory.hostNames {
            // The name becomes the machine's hostname and part of its namespace and folder.
            guard host.range(of: "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", options: .regularExpression) != nil else {
                problems.append("\(host): a lab host's name becomes its hostname: letters, digits and - only (e.g. \(host.filter { $0.isLetter || $0.isNumber || $0 == "-" }))")
                continue
            }
            let address = inventory.variables(for: host)["ansible_host"]?.plainString ?? host
            if !network.contains(address) { problems.append("\(host): ansible_host \(address) is outside the lab subnet \(subnetText)") }
            else if address == gateway { problems.append("\(host): \(address) is the lab's gateway") }
            else if hosts.contains(where: { $0.address == address }) { problems.append("\(host): \(address) is already another host's") }
            else { hosts.append(Host(name: host, address: address)) }
        }
        if !problems.isEmpty { throw LabError(problems.joined(separator: "\n"), fix: "give every host an ansible_host inside \(subnetText)") }
        var config = LabConfig(name: name, network: network, gateway: gateway, hosts: hosts)
        if let release = settings["release"] {
            guard let text = release.plainString, releases.contains(text) else {
                throw LabError("haprov_lab.release '\(release.plainString ?? "?")' is not one of \(releases.joined(separator: ", "))", fix: "e.g. release: trixie")
            }
            config.release = text
        }
        return config
    }
}

/// An IPv4 network in CIDR form.
public struct IPv4Network: Sendable, Equatable {
    public var base: UInt32
    public var prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]), (8...30).contains(prefix), let address = IPv4Network.parse(String(parts[0])) else { return nil }
        self.prefix = prefix
        self.base = address & IPv4Network.mask(prefix)
    }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    private static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix) }

    public func contains(_ address: String) -> Bool {
        guard let value = IPv4Network.parse(address) else { return false }
        return value & IPv4Network.mask(prefix) == base
    }

    public func overlaps(_ other: IPv4Network) -> Bool {
        let shorter = min(prefix, other.prefix)
        return base & IPv4Network.mask(shorter) == other.base & IPv4Network.mask(shorter)
    }

    public var description: String {
        "\(base >> 24).\(base >> 16 & 255).\(base >> 8 & 255).\(base & 255)/\(prefix)"
    }
}

/// A refusal or failure, with the fix.
public struct LabError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var fix: String?
    public init(_ message: String, fix: String? = nil) {
        self.message = message
        self.fix = fix
    }
    public var description: String { message + (fix.map { "\n  fix: \($0)" } ?? "") }
}

enum LabPaths {
    /// HAPROV_LAB_ROOT moves every lab and the base tree elsewhere (the lab benchmark times a
    /// first `lab up` there without touching the labs in use).
    static let root = ProcessInfo.processInfo.environment["HAPROV_LAB_ROOT"] ?? "/var/lib/haprov/lab"

    /// The root must be a plain absolute path: it reaches root shell scripts.
    static func checkRoot() throws {
        guard root.range(of: "^/[A-Za-z0-9._/-]*$", options: .regularExpression) != nil, !root.contains("..") else {
            throw LabError("HAPROV_LAB_ROOT '\(root)' is not a plain absolute path", fix: "use letters, digits, '.', '-', '_' and '/', e.g. HAPROV_LAB_ROOT=/var/tmp/haprov-lab")
        }
    }
    static let base = root + "/base"

    /// The base tree of a Debian release (bookworm's keeps its first name).
    static func base(_ release: String) -> String { release == "bookworm" ? base : base + "-" + release }
}
