/// A systemd unit's state, a typed fact shared by the modules that manage units (`service`,
/// `systemd`, the boot units of `iptables` and `iproute`): the query and its parser together.
/// Asked with every other unit of the host in one `systemctl show` (see `FactBatch`).
public struct UnitState: Sendable, Equatable {
    public var loadState: String?
    public var activeState: String?
    public var unitFileState: String?

    /// The query for `unit`; a glob is asked alone (systemctl answers it with any number of blocks).
    public static func query(_ unit: String) -> FactQuery {
        FactQuery(key: "unit:\(unit)", command: FactBatch.command(.units, items: [unit]),
                  batch: unit.contains { "*?[".contains($0) } ? nil : FactBatch(.units, items: [unit]))
    }

    public init(loadState: String? = nil, activeState: String? = nil, unitFileState: String? = nil) {
        self.loadState = loadState
        self.activeState = activeState
        self.unitFileState = unitFileState
    }

    /// `Property=value` lines of `systemctl show -p LoadState,ActiveState,UnitFileState`.
    public init(parsing output: FactOutput) {
        for line in output.text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "LoadState": loadState = parts[1]
            case "ActiveState": activeState = parts[1]
            case "UnitFileState": unitFileState = parts[1]
            default: break
            }
        }
    }

    public var exists: Bool { loadState != "not-found" }
    public var isActive: Bool { activeState == "active" }
    /// Starts at boot, or needs no enabling (static, an alias, pulled in by another unit).
    public var isEnabled: Bool { ["enabled", "enabled-runtime", "static", "alias", "indirect", "generated"].contains(unitFileState ?? "") }
}
