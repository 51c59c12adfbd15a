import Foundation
import HaprovCore

/// The lab's bridge (with the gateway address this machine uses to reach the hosts) and the
/// HTTP proxy on it through which hosts reach Debian's mirror (they have no other way out).
enum LabNetwork {
    static let proxyPort = 3128

    static func up(_ config: LabConfig, log: (String) -> Void = { _ in }) throws {
        let b = config.bridge
        try LabShell.must("""
            set -e
            ip link show \(b) >/dev/null 2>&1 || ip link add \(b) type bridge
            ip addr show dev \(b) | grep -qw \(config.gateway) || ip addr add \(config.gateway)/\(config.network.prefix) dev \(b)
            ip link set \(b) up
            """, "bridge \(b)")
        let dir = config.directory
        // Through the machine's package cache when there is one (one download per class).
        let upstream = LabCache.ensureRunning(log: log) ? "Upstream http 127.0.0.1:\(LabCache.port)\n" : ""
        let conf = """
            \(upstream)Port \(proxyPort)
            Listen \(config.gateway)
            Timeout 600
            MaxClients 100
            Allow \(config.network.description)
            PidFile "\(dir)/tinyproxy.pid"
            LogFile "\(dir)/tinyproxy.log"
            LogLevel Warning

            """
        do { try conf.write(toFile: dir + "/tinyproxy.conf", atomically: true, encoding: .utf8) } catch {
            throw LabError("cannot write \(dir)/tinyproxy.conf", fix: "check that \(dir) exists and is writable by root")
        }
        // tinyproxy drops privileges to nobody: its pid and log files must be writable by it.
        try LabShell.must("""
            touch \(dir)/tinyproxy.log && chown nobody \(dir)/tinyproxy.log
            if [ -s \(dir)/tinyproxy.pid ] && kill -0 "$(cat \(dir)/tinyproxy.pid)" 2>/dev/null; then exit 0; fi
            rm -f \(dir)/tinyproxy.pid; touch \(dir)/tinyproxy.pid; chown nobody \(dir)/tinyproxy.pid
            # Detached from our pipes, or reading its output would wait for the daemon to exit.
            tinyproxy -c \(dir)/tinyproxy.conf </dev/null >/dev/null 2>&1
            """, "apt proxy (tinyproxy)")
    }

    static func down(_ config: LabConfig) throws {
        try LabShell.run("""
            [ -s \(config.directory)/tinyproxy.pid ] && kill "$(cat \(config.directory)/tinyproxy.pid)" 2>/dev/null
            ip link del \(config.bridge) 2>/dev/null
            true
            """)
    }
}
