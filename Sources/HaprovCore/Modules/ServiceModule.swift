/// `service` / `systemd`: a unit enabled or not, started, stopped; restarted or reloaded
/// (always a change: handlers use these).
///
/// Arguments: name, state (started, stopped, restarted, reloaded), enabled, daemon_reload.
public struct ServiceModule: Module {
    public static let name = "service"
    let unit: String
    let state: String?
    let enabled: Bool?
    let daemonReload: Bool

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["name", "state", "enabled", "daemon_reload"])
        unit = try args.requiredString("name")
        state = try args.string("state")
        if let state, !["started", "stopped", "restarted", "reloaded"].contains(state) {
            throw ModuleError(argument: "state", message: "\(state) is not one of started, stopped, restarted, reloaded")
        }
        enabled = args.values["enabled"] == nil ? nil : try args.bool("enabled", default: false)
        daemonReload = try args.bool("daemon_reload", default: false)
    }

    var query: FactQuery { UnitState.query(unit) }

    public var facts: [FactQuery] { [query] }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let current = UnitState(parsing: try facts.output(query))
        let u = Shell.quote(unit)
        let reload = daemonReload ? "systemctl daemon-reload && " : ""
        if !current.exists && !daemonReload {
            throw ModuleError(argument: "name", message: "no systemd unit \(unit) on this host", fix: "install the package that provides it first")
        }
        var changes: [Change] = []
        if let enabled, enabled != current.isEnabled || (enabled && !current.exists) {
            changes.append(Change(summary: "\(enabled ? "enable" : "disable") \(unit)", script: "\(reload)systemctl \(enabled ? "enable" : "disable") \(u)",
                                  touches: [.service(unit)]))
        }
        let active = current.isActive
        switch state {
        case "started" where !active:
            changes.append(Change(summary: "start \(unit)", script: "\(reload)systemctl start \(u)", touches: [.service(unit)]))
        case "stopped" where active:
            changes.append(Change(summary: "stop \(unit)", script: "systemctl stop \(u)", touches: [.service(unit)]))
        case "restarted":
            changes.append(Change(summary: "restart \(unit)", script: "\(reload)systemctl restart \(u)", touches: [.service(unit)]))
        case "reloaded":
            // A stopped unit cannot reload: start it instead.
            changes.append(Change(summary: "reload \(unit)", script: "\(reload)systemctl reload-or-restart \(u)", touches: [.service(unit)]))
        default:
            break
        }
        return Plan(changes)
    }
}

/// `systemd`: the same as `service`, under Ansible's other name.
public struct SystemdModule: Module {
    public static let name = "systemd"
    let inner: ServiceModule
    public init(args: ModuleArgs, context: TaskContext) throws { inner = try ServiceModule(args: args, context: context) }
    public var facts: [FactQuery] { inner.facts }
    public func plan(_ facts: HostFacts) throws -> Plan { try inner.plan(facts) }
}
