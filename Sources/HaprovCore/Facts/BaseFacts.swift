import Foundation

/// Facts about the host itself (OS, hostname, default route), exposed to `when:` and templates
/// under Ansible's names: ansible_os_family, ansible_distribution, ansible_default_ipv4, ...
public enum BaseFacts {
    /// One process on the host (`ip -batch` for the default route, the addresses and the route
    /// back to haprov; the files are read by the shell): these facts are read on every run of
    /// every host.
    public static let query = FactQuery(key: "base", command: """
        if [ -r /etc/os-release ]; then while IFS= read -r h || [ -n "$h" ]; do printf '%s\n' "$h"; done </etc/os-release; fi
        read -r h </proc/sys/kernel/hostname; echo "@hostname=$h"
        c=${HAPROV_SSH_CONNECTION:-$SSH_CONNECTION}; c=${c%% *}
        echo "@ip client=$c"
        ip -4 -o -force -batch - 2>/dev/null <<HAPROV_IP
        route show default
        addr show
        ${c:+route get $c}
        HAPROV_IP
        unset h c
        """, ownShell: false)

    /// Parses `query`'s output into variables.
    public static func variables(from output: FactOutput) -> [String: Value] {
        var release: [String: String] = [:]
        var hostname = ""
        var route = ""
        var client = "", clientGateway = ""
        var addresses: [(iface: String, cidr: String)] = []
        var ipClient: String?
        for raw in output.text.split(separator: "\n").map(String.init) {
            var line = raw
            // After "@ip client=C": ip's own lines, told apart by their start.
            if line.hasPrefix("@ip client=") { ipClient = String(line.dropFirst(11)); continue }
            if let ipClient {
                if line.hasPrefix("default ") { if route.isEmpty { route = line }; continue }
                if line.first?.isNumber == true, line.split(separator: " ").first?.hasSuffix(":") == true { line = "@addr=" + line }
                else if !ipClient.isEmpty, line.hasPrefix(ipClient + " ") || line.hasPrefix("local \(ipClient) ") {
                    line = "@client=\(ipClient) " + (line.hasPrefix("local ") ? String(line.dropFirst(6)) : line)
                }
                else { continue }
            }
            if line.hasPrefix("@hostname=") { hostname = String(line.dropFirst(10)); continue }
            if line.hasPrefix("@route=") { route = String(line.dropFirst(7)); continue }
            if line.hasPrefix("@client=") {
                // "ADDRESS ADDRESS [via GATEWAY] dev IF src ...": how this host answers haprov.
                let words = line.dropFirst(8).split(separator: " ").map(String.init)
                client = words.first ?? ""
                if let via = words.firstIndex(of: "via"), via + 1 < words.count { clientGateway = words[via + 1] }
                continue
            }
            if line.hasPrefix("@addr=") {
                let words = line.dropFirst(6).split(separator: " ").map(String.init)
                if words.count >= 4, let i = words.firstIndex(of: "inet"), i + 1 < words.count {
                    addresses.append((words[1], words[i + 1]))
                }
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { release[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        let id = release["ID"] ?? "unknown"
        let family = (id == "debian" || id == "ubuntu" || (release["ID_LIKE"] ?? "").contains("debian")) ? "Debian" : id.capitalized
        var defaultIPv4: [String: Value] = [:]
        let routeWords = route.split(separator: " ").map(String.init)
        if let via = routeWords.firstIndex(of: "via"), via + 1 < routeWords.count { defaultIPv4["gateway"] = .string(routeWords[via + 1]) }
        if let dev = routeWords.firstIndex(of: "dev"), dev + 1 < routeWords.count {
            let iface = routeWords[dev + 1]
            defaultIPv4["interface"] = .string(iface)
            if let addr = addresses.first(where: { $0.iface == iface }) {
                let pieces = addr.cidr.split(separator: "/").map(String.init)
                defaultIPv4["address"] = .string(pieces[0])
                if pieces.count == 2 { defaultIPv4["prefix"] = .string(pieces[1]) }
            }
        }
        let version = release["VERSION_ID"] ?? ""
        return [
            "ansible_os_family": .string(family),
            "ansible_distribution": .string(release["NAME"].map { $0.split(separator: " ").first.map(String.init) ?? $0 } ?? id),
            "ansible_distribution_release": .string(release["VERSION_CODENAME"] ?? ""),
            "ansible_distribution_version": .string(version),
            "ansible_distribution_major_version": .string(version.split(separator: ".").first.map(String.init) ?? ""),
            "ansible_hostname": .string(hostname),
            "ansible_default_ipv4": .map(defaultIPv4),
            // haprov's address as this host sees it, and the gateway its answers go through
            // ("" when haprov is on the same link): what a network change must not cut.
            "haprov_client_address": .string(client),
            "haprov_client_gateway": .string(clientGateway),
            "ansible_all_ipv4_addresses": .list(addresses.map { .string(String($0.cidr.split(separator: "/").first ?? "")) }),
        ]
    }
}
