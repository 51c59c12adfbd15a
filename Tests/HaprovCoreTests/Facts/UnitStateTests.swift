import Foundation
import Testing
@testable import HaprovCore

/// A unit's state: one typed fact, the same query for every module that asks about the unit.
@Suite struct UnitStateTests {
    @Test func parsesSystemctlShowAndSaysWhatItMeans() {
        let enabled = UnitState(parsing: FactOutput(exitStatus: 0, output: Data("LoadState=loaded\nActiveState=active\nUnitFileState=enabled".utf8)))
        #expect(enabled == UnitState(loadState: "loaded", activeState: "active", unitFileState: "enabled"))
        #expect(enabled.exists && enabled.isActive && enabled.isEnabled)
        let missing = UnitState(parsing: FactOutput(exitStatus: 0, output: Data("LoadState=not-found\nActiveState=inactive\nUnitFileState=".utf8)))
        #expect(!missing.exists && !missing.isActive && !missing.isEnabled && missing.unitFileState == "")
        #expect(UnitState(parsing: FactOutput(exitStatus: 0, output: Data("UnitFileState=static".utf8))).isEnabled)
    }

    /// A `service` task on a boot unit and the module that installs it ask one query, batched
    /// with the host's other units; a glob is asked alone.
    @Test func modulesShareTheQuery() throws {
        let service = try ServiceModule(args: ModuleArgs(module: "service", values: ["name": .string("haprov-iptables.service"), "state": .string("started")]),
                                        context: TaskContext(hostName: "h"))
        let boot = BootUnit(name: "haprov-iptables", description: "", execStart: "/bin/true", ordering: "")
        #expect(service.facts.map(\.key) == [boot.enabledQuery.key])
        let asked = service.facts + boot.facts
        #expect(Set(asked.map(\.key)) == ["unit:haprov-iptables.service", "file:/etc/systemd/system/haprov-iptables.service"])
        #expect(UnitState.query("haproxy*").batch == nil && UnitState.query("haproxy").batch != nil)
    }
}
