import Foundation
import HaprovCore

/// The packages lab hosts download, fetched once for every lab on this machine: a squid on
/// 127.0.0.1 that each lab's proxy (tinyproxy on the lab's gateway) forwards to. Package files
/// are kept for 90 days, the package lists revalidated; the cache outlives the labs, so a
/// class's 30th lab and every apply after a reset come from it. Without squid, labs fetch
/// straight from the mirror as before.
enum LabCache {
    static let port = 3129
    /// Not a possible lab name (they have no dot), so no lab's folder can be this one.
    static var directory: String { LabPaths.root + "/.apt-cache" }
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/squid") }

    static var configuration: String {
        """
        # haprov's package cache for lab hosts (written by haprov lab up).
        http_port 127.0.0.1:\(port)
        pid_filename \(directory)/squid.pid
        cache_dir ufs \(directory)/spool 8000 16 256
        maximum_object_size 1024 MB
        cache_mem 64 MB
        access_log \(directory)/access.log
        cache_log \(directory)/cache.log
        cache_effective_user proxy
        coredump_dir \(directory)
        # Stopped with the last lab: no 30 s of graceful shutdown left running after a test run.
        shutdown_lifetime 1 seconds
        acl haprov_local src 127.0.0.1/32
        http_access allow haprov_local
        http_access deny all
        # Package files never change under one name; lists do.
        refresh_pattern \\.(deb|udeb)$ 129600 100% 129600
        refresh_pattern (Release|Release\\.gpg|InRelease|Packages(\\.gz|\\.xz)?|Sources(\\.gz|\\.xz)?|Translation-.*)$ 0 0% 0 refresh-ims
        refresh_pattern . 0 20% 4320

        """
    }

    /// Starts the cache unless it runs; false when there is none (squid missing or failing):
    /// labs then fetch from the mirror directly.
    static func ensureRunning(log: (String) -> Void) -> Bool {
        guard available else { return false }
        let d = Shell.quote(directory)
        do {
            try configuration.write(toFile: directory + ".conf", atomically: true, encoding: .utf8)
            try LabShell.must("""
                mkdir -p \(d)/spool && chown -R proxy:proxy \(d)
                if [ -s \(d)/squid.pid ] && kill -0 "$(cat \(d)/squid.pid)" 2>/dev/null; then exit 0; fi
                [ -d \(d)/spool/00 ] || squid -z -N -f \(d).conf >/dev/null 2>&1
                squid -f \(d).conf </dev/null >/dev/null 2>&1
                i=0; while ! ss -ltn | grep -q '127.0.0.1:\(port) '; do
                  i=$((i + 1)); [ $i -lt 100 ] || { echo "squid did not listen on 127.0.0.1:\(port): $(tail -n 3 \(d)/cache.log)" >&2; exit 1; }
                  sleep 0.1
                done
                """, "package cache (squid)", timeout: .seconds(60))
            return true
        } catch {
            log("package cache not started (\(error)); lab hosts fetch packages from the mirror directly")
            return false
        }
    }

    /// Stops the cache once no lab is left on this machine; its files stay for the next class.
    static func stopIfUnused() {
        let d = Shell.quote(directory)
        _ = try? LabShell.run("""
            ip -o link show type bridge 2>/dev/null | grep -q ': hv-' && exit 0
            [ -s \(d)/squid.pid ] || exit 0
            pid=$(cat \(d)/squid.pid); kill "$pid" 2>/dev/null || exit 0
            i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
            """)
    }
}
