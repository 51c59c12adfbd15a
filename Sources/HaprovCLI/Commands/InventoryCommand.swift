import ArgumentParser
import Foundation
import HaprovCore

/// `haprov inventory FILE`: what haprov reads from an inventory, in ansible-inventory's shapes.
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show an inventory as haprov reads it (--list: ansible-inventory's JSON; --graph; --host).",
        discussion: "Exit status: 0, or 1 when the inventory has problems (all of them are printed).")

    @Argument(help: "Inventory file (Ansible YAML format).", completion: .file())
    var inventory: String

    @Flag(name: .long, help: "JSON in the shape of `ansible-inventory --list`.")
    var list = false

    @Flag(name: .long, help: "Tree of groups and hosts like `ansible-inventory --graph`.")
    var graph = false

    @Argument(help: "With --graph: the group the tree starts from (default: all).")
    var group: String?

    @Option(name: .long, help: "Variables of one host, merged, as JSON.")
    var host: String?

    @Option(name: [.short, .long], help: "Only these hosts (same patterns as the other commands).")
    var limit: String?

    @Option(name: .long, help: ArgumentHelp("Password of the values encrypted with ansible-vault (default: $HAPROV_VAULT_PASSWORD_FILE).", valueName: "FILE"), completion: .file())
    var vaultPasswordFile: String?

    func run() throws {
        if let vaultPasswordFile { try VaultPassword.use(file: vaultPasswordFile) }
        let loaded = try Inventory.load(path: inventory)
        let selected = try loaded.select(limit: limit)
        if let host {
            guard loaded.hostNames.contains(host) else {
                throw CommandFailure("no host \(host) in \(inventory)" + (Suggest.nearest(host, in: loaded.hostNames).map { " (did you mean \($0)?)" } ?? ""))
            }
            // Values encrypted with ansible-vault stay hidden here too.
            print(SecretMasking.mask(json(Value.map(loaded.variables(for: host, magic: false)).jsonObject)))
        } else if graph {
            let start = group ?? "all"
            guard loaded.groupNames.contains(start) else {
                throw CommandFailure("no group \(start) in \(inventory)" + (Suggest.nearest(start, in: loaded.groupNames).map { " (did you mean \($0)?)" } ?? ""))
            }
            print(graphText(loaded, from: start, hosts: Set(selected)), terminator: "")
        } else {
            print(SecretMasking.mask(json(listObject(loaded, hosts: Set(selected)))))
        }
    }

    private func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// `{"_meta": {"hostvars": ...}, "all": {"children": [...]}, "group": {"hosts": [...], "children": [...]}}`.
    func listObject(_ inventory: Inventory, hosts: Set<String>) -> [String: Any] {
        var object: [String: Any] = [:]
        var hostvars: [String: Any] = [:]
        for host in inventory.hostNames where hosts.contains(host) {
            // As ansible-inventory: a host with no variables has no entry.
            let variables = inventory.variables(for: host, magic: false)
            if !variables.isEmpty { hostvars[host] = Value.map(variables).jsonObject }
        }
        // ansible-core 2.19 marks its --list output with this profile; scripts may check it.
        object["_meta"] = ["hostvars": hostvars, "profile": "inventory_legacy"]
        for group in inventory.groupNames {
            var entry: [String: Any] = [:]
            let direct = inventory.directHosts(group).filter(hosts.contains)
            let children = inventory.children(of: group).filter { !inventory.hosts(in: $0).filter(hosts.contains).isEmpty || $0 == "ungrouped" }
            if !direct.isEmpty, group != "all" { entry["hosts"] = direct }
            if !children.isEmpty { entry["children"] = children }
            if group == "all" || !entry.isEmpty { object[group] = entry }
        }
        return object
    }

    func graphText(_ inventory: Inventory, from group: String, hosts: Set<String>) -> String {
        var text = ""
        func walk(_ name: String, _ indent: String) {
            text += (indent.isEmpty ? "" : indent + "|--") + "@\(name):\n"
            let inner = indent.isEmpty ? "  " : indent + "|  "
            for child in inventory.children(of: name) where !inventory.hosts(in: child).filter(hosts.contains).isEmpty {
                walk(child, inner)
            }
            for host in inventory.directHosts(name) where hosts.contains(host) && name != "all" {
                text += inner + "|--\(host)\n"
            }
        }
        walk(group, "")
        return text
    }
}
