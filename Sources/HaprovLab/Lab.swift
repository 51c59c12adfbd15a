import Foundation
import HaprovCore

/// The lab of an inventory: bring it up (idempotent), report, tear down, reset hosts, inject faults.
public struct Lab: Sendable {
    public let config: LabConfig
    let log: @Sendable (String) -> Void

    public init(config: LabConfig, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.config = config
        self.log = log
    }

    func host(_ name: String) throws -> LabHost {
        guard let found = config.hosts.first(where: { $0.name == name }) else {
            throw LabError("no host \(name) in the lab", fix: "hosts: \(config.hosts.map(\.name).joined(separator: ", "))")
        }
        return LabHost(config: config, host: found)
    }

    var hosts: [LabHost] { config.hosts.map { LabHost(config: config, host: $0) } }

    /// Creates what is missing, leaves running hosts alone, waits until every sshd answers.
    public func up(timeout: Duration = .seconds(120)) throws {
        try Preflight.check(config, creating: true)
        try refuseOverlappingLabs()
        try BaseImage.ensure(release: config.release, log: log)
        try LabShell.must("mkdir -p \(Shell.quote(config.directory))/hosts && chmod 700 \(Shell.quote(config.directory))", "lab folder")
        if !FileManager.default.fileExists(atPath: config.privateKey) {
            try LabShell.must("ssh-keygen -q -t ed25519 -N '' -C haprov-lab-\(config.name) -f \(Shell.quote(config.privateKey))", "lab key")
        }
        try raiseInotifyLimits()
        try LabNetwork.up(config, log: log)
        let wasRunning = Set(Parallel.map(hosts) { $0.isRunning ? $0.host.name : nil }.compactMap { $0 })
        try Self.onEach(hosts) { try $0.up() }
        try writeKnownHosts()
        try repairSilentHosts(hosts.filter { wasRunning.contains($0.host.name) })
        try waitForSSH(hosts, timeout: timeout)
        try LabShell.must("echo \(Shell.quote(config.network.description)) > \(Shell.quote(config.directory))/subnet", "lab record")
    }

    /// Every host's systemd takes inotify instances from root's shared budget (128 by default):
    /// beyond a dozen hosts, new ones fail to boot with "Too many open files". Only ever raised.
    func raiseInotifyLimits() throws {
        try LabShell.must("""
            [ "$(sysctl -n fs.inotify.max_user_instances)" -ge 8192 ] || sysctl -qw fs.inotify.max_user_instances=8192
            [ "$(sysctl -n fs.inotify.max_user_watches)" -ge 524288 ] || sysctl -qw fs.inotify.max_user_watches=524288
            """, "raising the inotify limits")
    }

    func writeKnownHosts() throws {
        var lines = ""
        for host in hosts {
            let path = host.directory + "/keys/ssh_host_ed25519_key.pub"
            guard let key = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw LabError("\(host.host.name): its host key \(path) is missing (the host was not set up to the end)",
                               fix: "haprov lab reset INVENTORY \(host.host.name)")
            }
            let fields = key.split(separator: " ")
            guard fields.count >= 2 else { continue }
            lines += "\(host.host.address) \(fields[0]) \(fields[1])\n"
        }
        do { try lines.write(toFile: config.knownHosts, atomically: true, encoding: .utf8) } catch {
            throw LabError("cannot write \(config.knownHosts)", fix: "check that \(config.directory) exists and is writable by root")
        }
    }

    /// A host left running whose sshd no longer answers (hung, or its network undone by hand)
    /// is a missing piece too: it is rebooted, its changes kept.
    func repairSilentHosts(_ running: [LabHost]) throws {
        let silent = Parallel.map(running) { $0.sshAnswers(within: 5) ? nil : $0 }.compactMap { $0 }
        for host in silent { log("\(host.host.name): sshd does not answer; rebooting it (its changes are kept)") }
        try Self.onEach(silent) { try $0.stop(); try $0.up() }
    }

    /// Runs `body` on every host at once; one host's failure does not stop the others, and
    /// every failure is reported together.
    static func onEach(_ hosts: [LabHost], _ body: @escaping @Sendable (LabHost) throws -> Void) throws {
        let failures = Parallel.map(hosts) { host -> String? in
            do { try body(host); return nil } catch { return "\(error)" }
        }.compactMap { $0 }
        if !failures.isEmpty { throw LabError(failures.joined(separator: "\n")) }
    }

    func waitForSSH(_ hosts: [LabHost], timeout: Duration) throws {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        var waiting = hosts
        while !waiting.isEmpty {
            waiting = waiting.filter { !$0.sshAnswers }
            if waiting.isEmpty { break }
            if Date() > deadline {
                throw LabError("sshd did not answer on \(waiting.map(\.host.name).joined(separator: ", ")) within \(timeout)",
                               fix: "see \(waiting[0].directory)/console.log")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Two labs on overlapping subnets would fight over addresses and routes.
    func refuseOverlappingLabs() throws {
        let others = (try? FileManager.default.contentsOfDirectory(atPath: LabPaths.root)) ?? []
        for other in others where other != config.name {
            guard let text = try? String(contentsOfFile: LabPaths.root + "/" + other + "/subnet", encoding: .utf8),
                  let network = IPv4Network(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            if network.overlaps(config.network) {
                throw LabError("lab \(other) already uses \(network.description), which overlaps \(config.network.description)",
                               fix: "haprov lab down its inventory first, or choose another subnet")
            }
        }
    }

    public struct HostStatus: Sendable {
        public var name: String
        public var address: String
        public var running: Bool
        public var ssh: Bool
        /// What the host's memory cgroup holds now, when it runs.
        public var memoryBytes: Int?
    }

    public func status() throws -> [HostStatus] {
        try Preflight.check(nil, creating: false)
        return Parallel.map(hosts) { host in
            let running = host.isRunning
            return HostStatus(name: host.host.name, address: host.host.address, running: running, ssh: running && host.sshAnswers,
                              memoryBytes: running ? host.memoryBytes : nil)
        }
    }

    /// Nothing left behind: processes, mounts, namespaces, links, the proxy, the lab folder.
    public func down() throws {
        try Preflight.check(nil, creating: false)
        _ = Parallel.map(hosts) { host in (try? host.destroy()) != nil }
        try LabNetwork.down(config)
        try LabShell.run("rm -rf \(Shell.quote(config.directory))")
        LabCache.stopIfUnused()
    }

    /// Back to the pristine base tree in seconds; all hosts when `names` is empty.
    public func reset(_ names: [String]) throws {
        try Preflight.check(nil, creating: false)
        let chosen = names.isEmpty ? hosts : try names.map(host)
        try Self.onEach(chosen) { try $0.reset() }
        try waitForSSH(chosen, timeout: .seconds(120))
    }

    public enum Fault: String, CaseIterable, Sendable { case stop, start, cut, heal }

    public func inject(_ fault: Fault, on name: String) throws {
        try Preflight.check(nil, creating: false)
        let host = try host(name)
        switch fault {
        case .stop: try host.stop()
        case .start:
            try host.up()
            try waitForSSH([host], timeout: .seconds(120))
        case .cut: try host.link(up: false)
        case .heal: try host.link(up: true)
        }
    }
}
