/// One task of a role, as written in tasks/main.yml or handlers/main.yml.
public struct RoleTask: Sendable {
    public var name: String
    public var module: String
    /// Module arguments before rendering (`{{ var }}` inside are rendered per host).
    public var args: [String: Value]
    public var when: [String]
    public var notify: [String]
    public var tags: [String]
    public var become: Bool?
    /// `loop:` / `with_items:` — a list, or a template string that renders to a variable's list.
    public var loop: Value?
    /// Handlers may be notified by any of these names besides their own.
    public var listen: [String]
    public var ignoreErrors: Bool
    /// file:line of the task, for errors.
    public var location: String

    public init(name: String, module: String, args: [String: Value], when: [String] = [], notify: [String] = [],
                tags: [String] = [], become: Bool? = nil, loop: Value? = nil, listen: [String] = [],
                ignoreErrors: Bool = false, location: String) {
        self.name = name
        self.module = module
        self.args = args
        self.when = when
        self.notify = notify
        self.tags = tags
        self.become = become
        self.loop = loop
        self.listen = listen
        self.ignoreErrors = ignoreErrors
        self.location = location
    }
}

/// A role on disk: `Roles/NAME/{tasks,handlers,defaults}/main.yml`, `templates/`, `files/`.
public struct Role: Sendable {
    public var name: String
    public var directory: String
    public var tasks: [RoleTask]
    public var handlers: [RoleTask]
    public var defaults: [String: Value]
    /// How to change this role's hosts without dropping a request (`meta/rollout.yml`).
    public var rollout: RolloutSpec? = nil
    /// What the smoke tests run against on this role's hosts (`meta/smoke.yml`).
    public var smoke: SmokeSpec? = nil
    /// Where each default is written (defaults/main.yml:line:column).
    public var defaultLocations: [String: String] = [:]
    /// The role's variables: types, choices, required (`meta/argument_specs.yml`, Ansible's format).
    public var argumentSpecs: ArgumentSpecs? = nil

    /// Where `template` and `copy` look for `src`: the role's own folders first.
    public func searchPaths(topLevelTemplates: String?) -> [String] {
        var paths = [directory + "/templates", directory + "/files", directory]
        if let topLevelTemplates { paths.append(topLevelTemplates) }
        return paths
    }
}
