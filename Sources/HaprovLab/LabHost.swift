import Foundation
import HaprovCore

/// One lab host: network namespace, veth into the bridge, overlay root, systemd-nspawn.
struct LabHost {
    let config: LabConfig
    let host: LabConfig.Host

    var namespace: String { "hv-\(config.name)-\(host.name)" }
    /// veth names are limited to 15 characters: a short stable hash of lab and host.
    var veth: String {
        var hash: UInt32 = 2166136261
        for byte in "\(config.name)/\(host.name)".utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        return "hv" + String(hash, radix: 16)
    }
    var directory: String { config.directory + "/hosts/" + host.name }
    var root: String { directory + "/root" }
    var pidFile: String { directory + "/nspawn.pid" }

    var isRunning: Bool {
        (try? LabShell.run("[ -s \(Shell.quote(pidFile)) ] && kill -0 \"$(cat \(Shell.quote(pidFile)))\" 2>/dev/null").succeeded) ?? false
    }

    /// Creates what is missing and boots the host when it is not running.
    func up() throws {
        if isRunning { try network(); return }
        try network()
        try mountRoot()
        try personalise()
        try boot()
    }

    /// The host's MAC, fixed by its address like a VM's: after a power cycle its neighbours'
    /// ARP caches are still right (a new random MAC left it unreachable for half a minute).
    var mac: String {
        let bytes = host.address.split(separator: ".").compactMap { UInt8($0) }
        return (["02", "48"] + bytes.map { String(format: "%02x", $0) }).joined(separator: ":")
    }

    func network() throws {
        let ns = namespace, prefix = config.network.prefix
        try LabShell.must("""
            set -e
            [ -e /run/netns/\(Shell.quote(ns)) ] || ip netns add \(Shell.quote(ns))
            if ! ip -n \(Shell.quote(ns)) link show host0 >/dev/null 2>&1; then
              ip link del \(Shell.quote(veth)) 2>/dev/null || true
              ip link add \(Shell.quote(veth)) type veth peer name host0 address \(Shell.quote(mac)) netns \(Shell.quote(ns))
            fi
            ip link set \(Shell.quote(veth)) master \(Shell.quote(config.bridge)) up
            ip -n \(Shell.quote(ns)) link set lo up
            ip -n \(Shell.quote(ns)) link set host0 up
            ip -n \(Shell.quote(ns)) addr show dev host0 | grep -qw \(Shell.quote(host.address)) || ip -n \(Shell.quote(ns)) addr add \(Shell.quote(host.address))/\(prefix) dev host0
            # Only what is missing: a running host's routes may be the stack's own (backends
            # routed through a VIP).
            [ -n "$(ip -n \(Shell.quote(ns)) route show \(config.network.description) dev host0)" ] ||
              ip -n \(Shell.quote(ns)) route add \(config.network.description) dev host0 proto kernel scope link src \(Shell.quote(host.address))
            [ -n "$(ip -n \(Shell.quote(ns)) route show default)" ] || ip -n \(Shell.quote(ns)) route add default via \(Shell.quote(config.gateway))
            """, "network of \(host.name)")
    }

    func mountRoot() throws {
        try LabShell.must("""
            set -e
            mkdir -p \(Shell.quote(directory))/upper \(Shell.quote(directory))/work \(Shell.quote(root))
            mountpoint -q \(Shell.quote(root)) || mount -t overlay overlay -o lowerdir=\(Shell.quote(LabPaths.base(config.release))),upperdir=\(Shell.quote(directory))/upper,workdir=\(Shell.quote(directory))/work \(Shell.quote(root))
            """, "root filesystem of \(host.name)")
    }

    /// Hostname, host keys (kept in the lab folder so a reset keeps known_hosts valid), the
    /// lab's user key for root and student, and the apt proxy.
    func personalise() throws {
        try LabShell.must("""
            set -e
            r=\(Shell.quote(root)); keys=\(Shell.quote(directory))/keys
            echo \(Shell.quote(host.name)) > $r/etc/hostname
            printf '127.0.0.1 localhost\\n127.0.1.1 %s\\n' \(Shell.quote(host.name)) > $r/etc/hosts
            mkdir -p $keys
            [ -e $keys/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -C \(Shell.quote(host.name)) -f $keys/ssh_host_ed25519_key
            cp $keys/ssh_host_ed25519_key $keys/ssh_host_ed25519_key.pub $r/etc/ssh/
            chmod 600 $r/etc/ssh/ssh_host_ed25519_key
            for home in $r/root $r/home/student; do
              mkdir -p $home/.ssh && cp \(Shell.quote(config.privateKey)).pub $home/.ssh/authorized_keys && chmod 700 $home/.ssh && chmod 600 $home/.ssh/authorized_keys
            done
            chroot $r chown -R student:student /home/student/.ssh
            printf 'Acquire::http::Proxy "http://%s:%s";\\n' \(Shell.quote(config.gateway)) \(LabNetwork.proxyPort) > $r/etc/apt/apt.conf.d/01haprov-proxy
            """, "keys and settings of \(host.name)")
    }

    /// Boots systemd in the namespace, in its own cgroup; with the capabilities and writable
    /// /proc/sys/net that sysctl, iptables and VRRP need, the unified cgroup hierarchy and the
    /// system calls (keyring, bpf) that let Docker run containers. Detached, so the host
    /// outlives the command.
    func boot() throws {
        try LabShell.must("""
            cd /
            folders=$(\(cgroupFolders))
            for cg in $folders; do
              mkdir -p "$cg" 2>/dev/null || continue
              case "$cg" in */cpuset/*) cat "${cg%/*}/cpuset.cpus" > "$cg/cpuset.cpus"; cat "${cg%/*}/cpuset.mems" > "$cg/cpuset.mems";; esac 2>/dev/null
              echo $$ > "$cg/cgroup.procs" 2>/dev/null || true
            done
            SYSTEMD_NSPAWN_API_VFS_WRITABLE=network SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
              setsid nohup systemd-nspawn -q -b -D \(Shell.quote(root)) -M \(Shell.quote(host.name)) \
              --network-namespace-path=/run/netns/\(Shell.quote(namespace)) --register=no --keep-unit \
              --capability=CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN \
              --system-call-filter='add_key keyctl request_key bpf' >\(Shell.quote(directory))/console.log 2>&1 </dev/null &
            echo $! > \(Shell.quote(pidFile))
            """, "booting \(host.name)")
    }

    /// Power off at once (SIGKILL: the overlay stays consistent and reset throws it away anyway).
    /// Every process of the host goes: nspawn, what runs in its network namespace, and what
    /// runs in its cgroups (Docker's containers have namespaces of their own). The root is then
    /// unmounted for real, or the stop fails: a reset must never delete the layer of a live host.
    func stop() throws {
        try LabShell.must("""
            if [ -s \(Shell.quote(pidFile)) ]; then p=$(cat \(Shell.quote(pidFile))); pkill -KILL -P "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; fi
            rm -f \(Shell.quote(pidFile))
            members() {
              ip netns pids \(Shell.quote(namespace)) 2>/dev/null
              for cg in $(\(cgroupFolders)); do [ -d "$cg" ] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null; done
            }
            for i in $(seq 50); do
              left=$(members | sort -u)
              [ -z "$left" ] && break
              echo "$left" | xargs -r kill -KILL 2>/dev/null
              sleep 0.1
            done
            for i in $(seq 20); do mountpoint -q \(Shell.quote(root)) || break; umount -R \(Shell.quote(root)) 2>/dev/null || sleep 0.2; done
            if mountpoint -q \(Shell.quote(root)); then
              echo "\(Shell.quote(root)) is still mounted; held by: $(fuser -m \(Shell.quote(root)) 2>&1 | tr -s ' ')" >&2; exit 1
            fi
            # The host's cgroups, deepest first (what systemd and Docker made inside them too).
            for cg in $(\(cgroupFolders)); do
              [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
            done
            # Its kernel network state (addresses, sysctl, iptables, rules, routes) lives in the
            # namespace: powered off, a machine loses it, so the namespace goes too.
            ip link del \(Shell.quote(veth)) 2>/dev/null
            ip netns del \(Shell.quote(namespace)) 2>/dev/null
            true
            """, "stopping \(host.name)")
    }

    /// Back to the pristine base: the host's own changes are its overlay's upper layer.
    func reset() throws {
        try stop()
        try LabShell.must("rm -rf \(Shell.quote(directory))/upper \(Shell.quote(directory))/work \(Shell.quote(root))", "discarding \(host.name)'s changes")
        try up()
    }

    func destroy() throws {
        try stop()
        try LabShell.run("rm -rf \(Shell.quote(directory))")
    }

    /// Unplug or plug the host's network cable.
    func link(up: Bool) throws {
        try LabShell.must("ip link set \(Shell.quote(veth)) \(up ? "up" : "down")", "\(up ? "heal" : "cut") \(host.name)")
    }

    /// Whether sshd answers (a TCP connect from this machine through the bridge).
    var sshAnswers: Bool {
        (try? LabShell.run("timeout 1 bash -c 'exec 3<>/dev/tcp/\(host.address)/22' 2>/dev/null", timeout: .seconds(5)).succeeded) ?? false
    }

    func sshAnswers(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if sshAnswers { return true }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return false
    }
}
