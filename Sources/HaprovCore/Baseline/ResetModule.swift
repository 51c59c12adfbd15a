import Foundation

/// `reset`: a host back to its baseline, the state it had before haprov first changed it
/// (`haprov reset` runs it on every host; a role may use it too).
///
/// Facts: `BaselineState`, one command. Plan: services first (stopping keepalived releases the
/// VIP), then files, packages installed since (after the files, so a package's config file haprov
/// replaced does not come back), kernel parameters, firewall, policy routing, routes, and last
/// the baseline itself forgotten, so that an interrupted reset can be run again. SSH access is
/// kept: sshd, its keys, the login keys and the packages SSH needs are never touched.
///
/// Arguments: directory (/var/lib/haprov/baseline).
public struct ResetModule: Module {
    public static let name = "reset"
    let directory: String

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["directory"])
        directory = try args.string("directory") ?? Baseline.defaultDirectory
        guard directory.hasPrefix("/"), directory.count > 1, !directory.contains(where: { $0 == "\t" || $0 == "\n" }) else {
            throw ModuleError(argument: "directory", message: "'\(directory)' is not an absolute path without tabs or newlines", fix: "e.g. \(Baseline.defaultDirectory)")
        }
    }

    var query: FactQuery { BaselineState.query(directory: directory) }
    public var facts: [FactQuery] { [query] }

    static let sshUnits: Set<String> = ["ssh", "ssh.service", "sshd", "sshd.service"]
    static let sshPackages: Set<String> = ["openssh-server", "openssh-client", "openssh-sftp-server", "sudo", "systemd", "systemd-sysv", "dbus"]

    static func keepsSSH(_ path: String) -> Bool {
        path.hasPrefix("/etc/ssh/") || path.hasPrefix("/root/.ssh/") || path.hasSuffix("/.ssh/authorized_keys")
    }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let state = try BaselineState(parsing: facts.output(query))
        guard state.recorded else { return Plan() }
        var changes: [Change] = []
        for service in state.services where !Self.sshUnits.contains(service.unit) {
            let unit = try Self.plain(service.unit, what: "unit")
            if service.enabled != "enabled", service.enabledNow == "enabled" {
                changes.append(Change(summary: "disable \(service.unit)", script: "systemctl disable \(unit)"))
            }
            if service.enabled == "enabled", service.enabledNow != "enabled" {
                changes.append(Change(summary: "enable \(service.unit)", script: "systemctl enable \(unit)"))
            }
            if service.active != "active", service.activeNow == "active" {
                changes.append(Change(summary: "stop \(service.unit)", script: "systemctl stop \(unit)"))
            }
        }
        for file in state.files where !Self.keepsSSH(file.path) {
            guard file.path.hasPrefix("/"), file.path != "/", !file.path.split(separator: "/").contains("..") else {
                throw ModuleError(message: "the baseline names '\(file.path)', which is not a file haprov would have written",
                                  fix: "look at \(directory)/files on the host")
            }
            switch (file.original, file.now) {
            case (let original?, .differs):
                changes.append(Change(summary: "restore \(file.path)", script: "cp -a -- \(Shell.quote(original)) \(Shell.quote(file.path))"))
            case (nil, .present):
                changes.append(Change(summary: "remove \(file.path)", script: "rm -rf -- \(Shell.quote(file.path))"))
            default:
                break
            }
        }
        let packages = state.addedPackages.filter { !Self.sshPackages.contains($0) }
        if !packages.isEmpty {
            for package in packages where package.range(of: #"^[a-z0-9][a-z0-9+.\-]*(:[a-z0-9]+)?$"#, options: .regularExpression) == nil {
                throw ModuleError(message: "dpkg listed '\(package)', which is not a package name")
            }
            changes.append(Change(summary: "purge packages: \(packages.joined(separator: " "))",
                                  script: "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q purge --auto-remove \(Shell.join(packages))",
                                  slow: true))
        }
        // A key the kernel no longer has (a module unloaded) reads empty: nothing to put back.
        for sysctl in state.sysctls where !sysctl.value.isEmpty && !sysctl.now.isEmpty && sysctl.now != sysctl.value {
            changes.append(Change(summary: "sysctl \(sysctl.key) = \(sysctl.value) (now \(sysctl.now))",
                                  script: "sysctl -q -w \(Shell.quote("\(sysctl.key)=\(sysctl.value)"))"))
        }
        if state.firewallDiffers {
            // iptables-restore rewrites only the tables it is given: a table the baseline did not
            // have (mangle on a bare host) is emptied, its policies back to ACCEPT.
            for table in state.addedTables {
                let t = try Self.plain(table, what: "iptables table")
                changes.append(Change(summary: "empty table \(table)", script: """
                    iptables -t \(t) -F && iptables -t \(t) -X && \
                    for c in $(iptables -t \(t) -S | sed -n 's/^-P \\([^ ]*\\) .*/\\1/p'); do iptables -t \(t) -P "$c" ACCEPT || exit 1; done
                    """))
            }
            changes.append(Change(summary: "restore firewall rules", script: "iptables-restore \(Shell.quote(directory + "/iptables.rules"))"))
        }
        for rule in state.addedRules {
            guard let priority = rule.split(separator: ":").first, !priority.isEmpty, priority.allSatisfy(\.isASCII), priority.allSatisfy(\.isNumber) else {
                throw ModuleError(message: "ip rule printed '\(rule)', which has no priority")
            }
            // Gone already (a service that stopped took it with it) is as good as deleted.
            changes.append(Change(summary: "ip rule del \(rule)", script: "ip rule del prio \(priority) 2>/dev/null || ! ip rule show | grep -q '^\(priority):'"))
        }
        for route in state.addedRoutes {
            changes.append(Change(summary: "ip route del \(route)", script: """
                ip route del \(Self.words(route)) 2>/dev/null || ! ip route show table all | sed 's/ *$//' | grep -qxF -- \(Shell.quote(route))
                """))
        }
        for route in state.missingRoutes {
            changes.append(Change(summary: "ip route add \(route)", script: "ip route add \(Self.words(route))"))
        }
        if !changes.isEmpty {
            let parent = (directory as NSString).deletingLastPathComponent
            changes.append(Change(summary: "forget the baseline (the next apply records a new one)",
                                  script: "systemctl daemon-reload 2>/dev/null; rm -rf -- \(Shell.quote(directory)) && { rmdir -- \(Shell.quote(parent)) 2>/dev/null; true; }"))
        }
        return Plan(changes)
    }

    /// A unit or table name read from the host, quoted, and refused when it could be taken for an option.
    static func plain(_ name: String, what: String) throws -> String {
        guard !name.isEmpty, !name.hasPrefix("-") else { throw ModuleError(message: "the baseline names the \(what) '\(name)'") }
        return Shell.quote(name)
    }

    /// A route as `ip route` printed it, one quoted argument per word.
    static func words(_ route: String) -> String {
        Shell.join(route.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
    }
}
