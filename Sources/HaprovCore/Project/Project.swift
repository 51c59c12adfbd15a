import Foundation

/// What a run is about, loaded in one place for every command: the inventory, the hosts a
/// limit selects, their plays' roles (with the roles' argument specs checked), their variables
/// (with -e) and their connections. Every problem found is reported at once, each with its
/// place, as one `LoadError`; the CLI only prints it.
public struct Project {
    public var inventory: Inventory
    /// The inventory's plays (`haprov_plays`), parsed once for the run.
    public var playbook: Playbook
    /// The selected hosts, in inventory order.
    public var hosts: [String]
    public var jobs: [HostJob]
    /// The inventory's other hosts, whose connection could be built: a rollout limited to some
    /// hosts reaches them (never changes them) to drain a backend or find the VIP.
    public var context: [HostJob]
    public var rolesPath: String
    public var templatesPath: String?

    public struct Request: Sendable {
        public var inventoryPath: String
        public var limit: String?
        public var rolesPath: String?
        public var extraVariables: [String: Value] = [:]
        public var connection = ConnectionDefaults()
        /// False when no host will be reached (listings, syntax checks): connection settings
        /// (key files, passwords) are not checked, as ansible-playbook does not either.
        public var connecting = true
        /// Also build the jobs of the hosts the limit leaves out (see `context`).
        public var context = false
        /// False for commands that run no role (reset): an inventory without plays is fine.
        public var plays = true

        public init(inventoryPath: String, limit: String? = nil, rolesPath: String? = nil) {
            self.inventoryPath = inventoryPath
            self.limit = limit
            self.rolesPath = rolesPath
        }
    }

    /// The inventory and the hosts `limit` selects; no roles (ping, run, inventory).
    public static func inventory(_ path: String, limit: String?) throws -> (Inventory, [String]) {
        let inventory = try Inventory.load(path: path)
        let hosts = try inventory.select(limit: limit)
        guard !hosts.isEmpty else {
            throw LoadError(problems: [Diagnostic(location: inventory.path, message: "no hosts selected" + (limit.map { " by --limit \($0)" } ?? ""),
                                                   fix: "check the host and group names with haprov inventory \(inventory.path)")])
        }
        return (inventory, hosts)
    }

    public static func load(_ request: Request) throws -> Project {
        let (inventory, hosts) = try self.inventory(request.inventoryPath, limit: request.limit)
        if let explicit = request.rolesPath, !ProjectPaths.isDirectory(explicit) {
            throw LoadError(problems: [Diagnostic(location: explicit, message: "--roles-path: no such folder", fix: "give the folder that holds the roles' folders")])
        }
        let folders = ProjectPaths.roleFolders(inventory: inventory.path, explicit: request.rolesPath)
        let declared = inventory.groupVariables("all")[Playbook.variable]
        // Without plays to run (reset of an inventory that has none) no role folder is needed.
        guard let roles = folders.first ?? (declared == nil && !request.plays ? "" : nil) else {
            throw LoadError(problems: [Diagnostic(location: inventory.path, message: "no Roles folder found; looked in: "
                                                   + ProjectPaths.candidates("Roles", inventory: inventory.path).joined(separator: ", "),
                                                   fix: "--roles-path DIR, or install haprov with Scripts/install")])
        }
        let playbook = declared == nil && !request.plays ? try Playbook(.list([]), source: inventory.path)
            : try Playbook(declared, source: inventory.path)
        let loaded = try playbook.loadRoles(from: folders)
        let byName = Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) })
        let rolesOfHost = try playbook.roles(select: { try inventory.select(limit: $0) })
        let hostvars = inventory.hostvars(extra: request.extraVariables)
        let groups = inventory.groupsVariable
        func job(_ spec: ConnectionSpec) -> HostJob {
            HostJob(name: spec.name, connection: spec, roles: (rolesOfHost[spec.name] ?? []).compactMap { byName[$0] },
                    variables: inventory.jobVariables(for: spec.name, extra: request.extraVariables, hostvars: hostvars, groups: groups))
        }
        // The roles' argument specs for every host before any host is reached, reported
        // together with any connection problem.
        let unconnected = hosts.map { job(ConnectionSpec(name: $0, address: $0)) }
        SecretMasking.register(jobs: unconnected)
        let locations = Dictionary(uniqueKeysWithValues: unconnected.map { ($0.name, $0.variables.locations) })
        var problems = ArgumentSpecs.validate(unconnected) { locations[$0] ?? [:] }
        var project = Project(inventory: inventory, playbook: playbook, hosts: hosts, jobs: unconnected, context: [], rolesPath: roles,
                              templatesPath: ProjectPaths.find("Templates", inventory: inventory.path, explicit: nil))
        if request.connecting {
            do { project.jobs = try inventory.connectionSpecs(hosts: hosts, defaults: request.connection).map(job) } catch let error as LoadError {
                problems += error.problems
            }
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        if request.connecting, request.context {
            let chosen = Set(hosts)
            project.context = try inventory.select(limit: nil).filter { !chosen.contains($0) }.compactMap { host in
                (try? inventory.connectionSpec(for: host, defaults: request.connection)).map(job)
            }
        }
        return project
    }
}

extension Inventory {
    /// Connection specs for `hosts`; every problem (a missing key file, a bad port) of every
    /// host at once.
    public func connectionSpecs(hosts: [String], defaults: ConnectionDefaults) throws -> [ConnectionSpec] {
        var specs: [ConnectionSpec] = []
        var problems: [Diagnostic] = []
        for host in hosts {
            SecretMasking.register(SecretMasking.secrets(in: variables(for: host)))
            do { specs.append(try connectionSpec(for: host, defaults: defaults)) } catch let error as LoadError {
                problems += error.problems
            } catch {
                problems.append(Diagnostic(location: path, message: "\(host): \(error)"))
            }
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return specs
    }
}
