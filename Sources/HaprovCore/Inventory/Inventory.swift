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
        /// file:line:column of each variable, for problems found later (argument specs).
        var varLocations: [String: String] = [:]
        var folderVarLocations: [String: String] = [:]
    }

    public internal(set) var path: String
    public internal(set) var hostNames: [String] = []
    var groups: [String: Group] = [:]
    /// Group names in the order the file defines them ("all" first, "ungrouped" second).
    var groupOrder: [String] = []
    var hostVars: [String: [String: Value]] = [:]
    var hostFolderVars: [String: [String: Value]] = [:]
    var hostVarLocations: [String: [String: String]] = [:]
    var hostFolderVarLocations: [String: [String: String]] = [:]

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
        HostVariables(inventory: variableLayers(for: host), magic: magic ? magicVariables(for: host, groups: groupsVariable) : [:]).merged()
    }

    /// Ansible's `groups`: every group's hosts, the same for every host of a run.
    public var groupsVariable: Value {
        .map(Dictionary(uniqueKeysWithValues: groupOrder.map { ($0, Value.list(hosts(in: $0).map { .string($0) })) }))
    }

    /// Ansible's magic variables of a host, with `groups` when given (`hostvars` is added per
    /// run, see `jobVariables`).
    func magicVariables(for host: String, groups: Value?) -> [String: Value] {
        var magic: [String: Value] = [
            "inventory_hostname": .string(host),
            "inventory_hostname_short": .string(String(host.split(separator: ".").first ?? Substring(host))),
            "group_names": .list(self.groups(of: host).filter { $0 != "all" && $0 != "ungrouped" }.sorted().map { .string($0) }),
            "inventory_dir": .string(directory)]
        magic["groups"] = groups
        return magic
    }

    /// A host's variables for its job, layer by layer: the inventory's, the magic variables with
    /// `hostvars` (built once per run by `hostvars(extra:)` and shared by every job, as is
    /// `groups`, built here when not given), `-e`.
    public func jobVariables(for host: String, extra: [String: Value], hostvars: Value, groups: Value? = nil) -> HostVariables {
        var magic = magicVariables(for: host, groups: groups ?? groupsVariable)
        magic["hostvars"] = hostvars
        return HostVariables(inventory: variableLayers(for: host), magic: magic, extra: extra)
    }

    /// Every host's variables as templates see them through `hostvars[h]` (Ansible's magic
    /// variable): inventory and group variables, `-e`, inventory_hostname and group_names, with
    /// templated values rendered. Built once per run; `groups` is left out of each host (the
    /// template has it at the top).
    public func hostvars(extra: [String: Value] = [:]) -> Value {
        let renderer = TemplateRenderer()
        return .map(Dictionary(uniqueKeysWithValues: hostNames.map { host in
            let variables = HostVariables(inventory: variableLayers(for: host), magic: magicVariables(for: host, groups: nil), extra: extra).merged()
            return (host, Value.map(renderer.resolveVariables(variables)))
        }))
    }

    /// Where each of the host's variables is set, by the same precedence (file:line:column).
    public func variableLocations(for host: String) -> [String: String] {
        HostVariables(inventory: variableLayers(for: host)).locations
    }

    /// The host's inventory layers, lowest precedence first.
    public func variableLayers(for host: String) -> [HostVariables.Layer] {
        let memberOf = groups(of: host).sorted { a, b in
            let (da, db) = (depth(a), depth(b))
            if da != db { return da < db }
            let pa = groups[a]?.vars["ansible_group_priority"]?.intValue ?? 1
            let pb = groups[b]?.vars["ansible_group_priority"]?.intValue ?? 1
            if pa != pb { return pa < pb }
            return a < b
        }
        var layers = memberOf.map { HostVariables.Layer(kind: .group, owner: $0, values: groups[$0]?.vars ?? [:], locations: groups[$0]?.varLocations ?? [:]) }
        layers.append(HostVariables.Layer(kind: .groupVars, owner: "all", values: groups["all"]?.folderVars ?? [:], locations: groups["all"]?.folderVarLocations ?? [:]))
        layers += memberOf.filter { $0 != "all" }.map {
            HostVariables.Layer(kind: .groupVars, owner: $0, values: groups[$0]?.folderVars ?? [:], locations: groups[$0]?.folderVarLocations ?? [:])
        }
        layers.append(HostVariables.Layer(kind: .host, owner: host, values: hostVars[host] ?? [:], locations: hostVarLocations[host] ?? [:]))
        layers.append(HostVariables.Layer(kind: .hostVars, owner: host, values: hostFolderVars[host] ?? [:], locations: hostFolderVarLocations[host] ?? [:]))
        return layers
    }

    /// The folder of the inventory file; relative paths in variables resolve against it.
    public var directory: String { (path as NSString).deletingLastPathComponent }
}

extension Inventory {
    /// Hosts listed directly under `group` (not through children).
    public func directHosts(_ group: String) -> [String] { groups[group]?.hosts ?? [] }
}
