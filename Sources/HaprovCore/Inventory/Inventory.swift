import Foundation

/// An Ansible YAML inventory: hosts, groups (with children), and their variables, plus the
/// `group_vars/` and `host_vars/` folders beside the file. See Docs/inventory.md.
public struct Inventory: Sendable {
    struct Group: Sendable {
        var name: String
        var hosts: [String] = []
        var children: [String] = []
        var vars: [String: Value] = [:]
        /// From group_vars/NAME: above every inventory-file group var (Ansible's precedence).
        var folderVars: [String: Value] = [:]
    }

    public internal(set) var path: String
    public internal(set) var hostNames: [String] = []
    var groups: [String: Group] = [:]
    /// Group names in the order the file defines them ("all" first, "ungrouped" second).
    var groupOrder: [String] = []
    var hostVars: [String: [String: Value]] = [:]
    var hostFolderVars: [String: [String: Value]] = [:]

    public var groupNames: [String] { groupOrder }

    public func children(of group: String) -> [String] { groups[group]?.children ?? [] }

    /// Hosts of `group` and of all its descendants, in file order.
    public func hosts(in group: String) -> [String] {
        var found = Set<String>()
        var visited = Set<String>()
        func walk(_ name: String) {
            guard visited.insert(name).inserted, let group = groups[name] else { return }
            found.formUnion(group.hosts)
            group.children.forEach(walk)
        }
        walk(group)
        return hostNames.filter(found.contains)
    }

    /// Every group `host` belongs to, directly or through a child group ("all" included).
    public func groups(of host: String) -> [String] {
        groupOrder.filter { hosts(in: $0).contains(host) }
    }

    /// The group's own variables (inventory file, then its group_vars file).
    public func groupVariables(_ group: String) -> [String: Value] {
        guard let g = groups[group] else { return [:] }
        return g.vars.merging(g.folderVars) { _, folder in folder }
    }

    /// Depth of a group below "all" (Ansible merges shallow groups first).
    func depth(_ group: String) -> Int {
        if group == "all" { return 0 }
        let parents = groupOrder.filter { groups[$0]?.children.contains(group) == true }
        return 1 + (parents.map(depth).max() ?? 0)
    }

    /// The host's variables merged with Ansible's precedence (lowest first): inventory-file
    /// group vars (by depth, then ansible_group_priority, then name), group_vars/all,
    /// group_vars/GROUP, inventory-file host vars, host_vars/HOST. Dictionaries are replaced.
    public func variables(for host: String, magic: Bool = true) -> [String: Value] {
        let memberOf = groups(of: host).sorted { a, b in
            let (da, db) = (depth(a), depth(b))
            if da != db { return da < db }
            let pa = groups[a]?.vars["ansible_group_priority"]?.intValue ?? 1
            let pb = groups[b]?.vars["ansible_group_priority"]?.intValue ?? 1
            if pa != pb { return pa < pb }
            return a < b
        }
        var merged: [String: Value] = [:]
        for group in memberOf { merged.merge(groups[group]?.vars ?? [:]) { _, new in new } }
        merged.merge(groups["all"]?.folderVars ?? [:]) { _, new in new }
        for group in memberOf where group != "all" { merged.merge(groups[group]?.folderVars ?? [:]) { _, new in new } }
        merged.merge(hostVars[host] ?? [:]) { _, new in new }
        merged.merge(hostFolderVars[host] ?? [:]) { _, new in new }
        if magic {
            merged["inventory_hostname"] = .string(host)
            merged["inventory_hostname_short"] = .string(String(host.split(separator: ".").first ?? Substring(host)))
            merged["group_names"] = .list(memberOf.filter { $0 != "all" && $0 != "ungrouped" }.sorted().map { .string($0) })
            merged["inventory_dir"] = .string(directory)
            merged["groups"] = .map(Dictionary(uniqueKeysWithValues: groupOrder.map { ($0, Value.list(hosts(in: $0).map { .string($0) })) }))
        }
        return merged
    }

    /// The folder of the inventory file; relative paths in variables resolve against it.
    public var directory: String { (path as NSString).deletingLastPathComponent }
}

extension Inventory {
    /// Hosts listed directly under `group` (not through children).
    public func directHosts(_ group: String) -> [String] { groups[group]?.hosts ?? [] }
}
