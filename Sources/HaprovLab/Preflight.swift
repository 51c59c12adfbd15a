import Foundation
import HaprovCore

/// Refuses clearly what cannot work: not root, not Linux, tools missing, a subnet that
/// overlaps a route this machine already has.
enum Preflight {
    static let tools: [(path: String, package: String)] = [
        ("/usr/bin/systemd-nspawn", "systemd-container"), ("/usr/sbin/debootstrap", "debootstrap"),
        ("/usr/bin/tinyproxy", "tinyproxy"), ("/usr/bin/ssh-keygen", "openssh-client"), ("/usr/sbin/ip", "iproute2"),
    ]

    static func check(_ config: LabConfig?, creating: Bool) throws {
        #if !os(Linux)
        throw LabError("haprov lab needs Linux (network namespaces and systemd-nspawn)")
        #endif
        try LabPaths.checkRoot()
        guard getuid() == 0 else { throw LabError("haprov lab must run as root (it creates namespaces, bridges and mounts)", fix: "sudo haprov lab ...") }
        let missing = tools.filter { !FileManager.default.isExecutableFile(atPath: $0.path) && !FileManager.default.isExecutableFile(atPath: $0.path.replacingOccurrences(of: "/usr/sbin/", with: "/sbin/")) }
        if !missing.isEmpty {
            throw LabError("missing: \(missing.map { $0.path }.joined(separator: ", "))",
                           fix: "apt-get install -y \(Set(missing.map(\.package)).sorted().joined(separator: " "))")
        }
        guard creating, let config else { return }
        // Routes of this machine that are not the lab's own bridge.
        let routes = try LabShell.run("ip -4 route show | grep -v ' dev \(config.bridge) ' | awk '{print $1}'").stdoutText
        for line in routes.split(separator: "\n") where line != "default" {
            let text = line.contains("/") ? String(line) : line + "/32"
            if let network = IPv4Network(text.hasSuffix("/32") ? String(text.dropLast(3)) + "/30" : text), network.overlaps(config.network) {
                throw LabError("the lab subnet \(config.network.description) overlaps the route \(line) this machine already has",
                               fix: "choose another haprov_lab.subnet")
            }
        }
    }
}

/// Runs shell on this machine; a failure names the step.
enum LabShell {
    @discardableResult
    static func run(_ script: String, timeout: Duration = .seconds(600)) throws -> CommandResult {
        try LocalProcess.run(["/bin/sh", "-c", script], timeout: timeout)
    }

    @discardableResult
    static func must(_ script: String, _ step: String, timeout: Duration = .seconds(600)) throws -> CommandResult {
        let result = try run(script, timeout: timeout)
        guard result.succeeded else {
            throw LabError("\(step) failed (exit \(result.exitStatus)): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result
    }
}
