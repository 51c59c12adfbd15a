import Foundation

/// A oneshot systemd unit that re-applies state at boot (firewall rules, policy routes),
/// installed and enabled by the modules whose changes the kernel forgets on reboot.
struct BootUnit {
    var name: String
    var description: String
    var execStart: String
    var ordering: String

    var path: String { "/etc/systemd/system/\(name).service" }

    var content: String {
        """
        # Managed by haprov.
        [Unit]
        Description=\(description)
        DefaultDependencies=no
        \(ordering)

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=\(execStart)

        [Install]
        WantedBy=multi-user.target

        """
    }

    /// The unit's state, asked with the other units of the run in one `systemctl show`.
    var enabledQuery: FactQuery { UnitState.query("\(name).service") }
    var facts: [FactQuery] { [Facts.file(path, expecting: Data(content.utf8)), enabledQuery] }

    func plan(_ facts: HostFacts) throws -> [Change] {
        let current = try RemoteFile(parsing: facts.output(Facts.file(path)))
        let wanted = Data(content.utf8)
        let fileOK = current.holds(wanted)
        let enabled = UnitState(parsing: try facts.output(enabledQuery)).unitFileState == "enabled"
        if fileOK && enabled { return [] }
        var script = ""
        if !fileOK { script += FileScripts.atomicWrite(path: path, mode: 0o644, owner: nil, group: nil, validate: nil, backup: false) + "\n" }
        script += "systemctl daemon-reload && systemctl enable -q \(name).service"
        return [Change(summary: fileOK ? "enable \(name) at boot" : "install \(name).service (re-applies at boot)", script: script,
                       stdin: fileOK ? nil : wanted, touches: [.file(path), .service(name)])]
    }
}
