/// One host's variables, kept layer by layer, lowest precedence first: role defaults, the
/// inventory file's group variables (by depth, then ansible_group_priority, then name),
/// group_vars/all, group_vars/GROUP, the inventory file's host variables, host_vars/HOST,
/// haprov's magic variables (inventory_hostname, group_names, groups, hostvars), the facts
/// gathered on the host, and `-e` on top.
///
/// Facts sit above the inventory as in Ansible, so `ansible_*` facts are what the host says;
/// `-e` wins over everything. Built once per host by `Project.load` (through
/// `Inventory.jobVariables`); tasks, handlers, the smoke tests, the reports, argument specs and
/// reset all read it through `merged(defaults:)`, so no part of haprov orders them its own way.
public struct HostVariables: Sendable {
    /// One layer and where its values were written.
    public struct Layer: Sendable {
        public enum Kind: String, Sendable {
            case group, groupVars = "group_vars", host, hostVars = "host_vars", given
        }
        public var kind: Kind
        /// The group or host it belongs to.
        public var owner: String
        public var values: [String: Value]
        /// file:line:column of each value, for problems found later.
        public var locations: [String: String]

        public init(kind: Kind, owner: String, values: [String: Value], locations: [String: String] = [:]) {
            self.kind = kind
            self.owner = owner
            self.values = values
            self.locations = locations
        }
    }

    /// The inventory's layers, lowest first.
    public var inventory: [Layer]
    public var magic: [String: Value]
    /// Facts gathered on the host (empty until the first round trip).
    public var facts: [String: Value] = [:]
    /// `-e NAME=VALUE`.
    public var extra: [String: Value]

    public init(inventory: [Layer], magic: [String: Value] = [:], facts: [String: Value] = [:], extra: [String: Value] = [:]) {
        self.inventory = inventory
        self.magic = magic
        self.facts = facts
        self.extra = extra
    }

    /// Variables given as they are (tests, tools), as one inventory layer.
    public init(_ given: [String: Value]) {
        self.init(inventory: [Layer(kind: .given, owner: "-", values: given)])
    }

    /// Every layer merged, role defaults (lowest, later roles over earlier ones) under all of them.
    public func merged(defaults: [[String: Value]] = []) -> [String: Value] {
        var merged: [String: Value] = [:]
        for layer in defaults { merged.merge(layer) { _, new in new } }
        for layer in inventory { merged.merge(layer.values) { _, new in new } }
        merged.merge(magic) { _, new in new }
        merged.merge(facts) { _, new in new }
        merged.merge(extra) { _, new in new }
        return merged
    }

    /// The value templates see for `name`, role defaults aside.
    public subscript(name: String) -> Value? { merged()[name] }

    /// The same host with its gathered facts in their layer.
    public func with(facts: [String: Value]) -> HostVariables {
        var copy = self
        copy.facts = facts
        return copy
    }

    /// Where the value of `name` comes from: "-e", "facts", the file:line:column of the inventory
    /// layer that set it last, or nil (a role default or unset).
    public func origin(of name: String) -> String? {
        if extra[name] != nil { return "-e \(name)" }
        if facts[name] != nil { return "facts" }
        if magic[name] != nil { return "magic variable" }
        guard let layer = inventory.last(where: { $0.values[name] != nil }) else { return nil }
        return layer.locations[name] ?? "\(layer.kind.rawValue) \(layer.owner)"
    }

    /// Where each inventory variable and -e value is set, by the same precedence.
    public var locations: [String: String] {
        var merged: [String: String] = [:]
        for layer in inventory { merged.merge(layer.locations) { _, new in new } }
        for name in extra.keys { merged[name] = "-e \(name)" }
        return merged
    }
}
