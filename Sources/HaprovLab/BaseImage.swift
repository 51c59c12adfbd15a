import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HaprovCore

/// The Debian tree every lab host boots from (read-only, under an overlay per host), one per
/// release (bookworm, trixie). Built once with debootstrap and cached; the mirror comes from
/// this machine's apt sources.
enum BaseImage {
    static let packages = "openssh-server,systemd,systemd-sysv,dbus,iproute2,iptables,python3,sudo,curl,ca-certificates,procps,psmisc,iputils-ping"

    /// Bumped when `bake` changes, so an existing base tree gets the new settings.
    static let revision = "4"
    static func marker(_ release: String) -> String { LabPaths.base(release) + "/.haprov-complete" }
    static func isReady(_ release: String) -> Bool { FileManager.default.fileExists(atPath: marker(release)) }
    static func isCurrent(_ release: String) -> Bool {
        (try? String(contentsOfFile: marker(release), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == revision
    }

    /// The first Debian mirror named in /etc/apt (deb822 `URIs:` or a `deb` line).
    static func mirror() throws -> String {
        let found = try LabShell.run("""
            { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}'; \
              grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; break}}'; } \
            | grep -v security | head -n1
            """).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !found.isEmpty else { throw LabError("no Debian mirror in /etc/apt/sources.list*", fix: "configure apt first") }
        return found
    }

    static func ensure(release: String = "bookworm", log: (String) -> Void) throws {
        let base = LabPaths.base(release)
        let marker = marker(release)
        // Two labs coming up at once must not both build (or update) the shared tree.
        try FileManager.default.createDirectory(atPath: LabPaths.root, withIntermediateDirectories: true)
        let lock = open(LabPaths.root + "/.base.lock", O_CREAT | O_RDWR, 0o600)
        guard lock >= 0 else { throw LabError("cannot open \(LabPaths.root)/.base.lock") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        if isReady(release) {
            if !isCurrent(release) {
                log("updating the \(release) base tree's settings")
                try bake(base)
                try LabShell.must("echo \(revision) > \(Shell.quote(marker))", "base tree")
            }
            return
        }
        let tmp = base + ".tmp"
        let mirror = try mirror()
        let logFile = LabPaths.root + "/debootstrap" + (release == "bookworm" ? "" : "-" + release) + ".log"
        log("building the \(release) base tree (debootstrap, a minute or two; cached afterwards)")
        try LabShell.must("mkdir -p \(Shell.quote(LabPaths.root)) && rm -rf \(Shell.quote(tmp)) && debootstrap --variant=minbase --include=\(packages) \(release) \(Shell.quote(tmp)) \(Shell.quote(mirror)) >\(Shell.quote(logFile)) 2>&1",
                          "debootstrap \(release) (log: \(logFile))", timeout: .seconds(1200))
        try bake(tmp)
        try LabShell.must("rm -rf \(Shell.quote(base)) && mv \(Shell.quote(tmp)) \(Shell.quote(base)) && echo \(revision) > \(Shell.quote(marker))", "base tree")
    }

    /// What every host shares (idempotent): quick shutdown, no consoles, sshd keys made per host, apt quiet.
    static func bake(_ root: String) throws {
        try LabShell.must("""
            set -e
            r=\(Shell.quote(root))
            mkdir -p $r/etc/systemd/system.conf.d
            printf '[Manager]\\nDefaultTimeoutStopSec=5s\\n' > $r/etc/systemd/system.conf.d/haprov-lab.conf
            for u in getty@tty1.service console-getty.service systemd-update-utmp.service systemd-update-utmp-runlevel.service systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer; do
              ln -sf /dev/null $r/etc/systemd/system/$u
            done
            # systemd runs every generator at boot and at each daemon-reload, and installing a
            # package with a unit reloads: in a class's first apply the generators took about 7%
            # of the machine. These nine have nothing to find in a container (no block devices,
            # consoles, hibernation, offline updates nor kernel command line of its own); fstab,
            # rc-local and sysv stay, as a role could use them.
            mkdir -p $r/etc/systemd/system-generators
            for g in cryptsetup veritysetup integritysetup hibernate-resume gpt-auto debug getty run system-update; do
              ln -sf /dev/null $r/etc/systemd/system-generators/systemd-$g-generator
            done
            rm -f $r/etc/ssh/ssh_host_*
            printf 'PermitRootLogin prohibit-password\\nPasswordAuthentication no\\nUseDNS no\\n' > $r/etc/ssh/sshd_config.d/haprov-lab.conf
            # A class's hosts share the lab machine's cores, and every ping, check and apply is one
            # login per host: 23 ms of host CPU each with Debian's defaults, 11 ms without what a
            # key login to a throwaway host does not need (measured per login from the host's
            # cgroup): PAM (pam_motd ran run-parts of update-motd.d, five programs, on every
            # login), bookworm's sshd executing itself again per connection (trixie's always
            # starts sshd-session), and OpenSSH's own X25519 (ECDH P-256 is done by OpenSSL).
            printf 'UsePAM no\\nKexAlgorithms -curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512@openssh.com\\n' > $r/etc/ssh/sshd_config.d/haprov-lab-logins.conf
            if grep -q '^VERSION_CODENAME=bookworm' $r/etc/os-release; then printf 'SSHD_OPTS=-r\\n' > $r/etc/default/ssh; fi
            chroot $r id student >/dev/null 2>&1 || chroot $r useradd -m -s /bin/bash -G sudo student
            # Without PAM, sshd itself refuses a key login to an account whose password is locked ('!').
            chroot $r usermod -p '*' student
            printf 'student ALL=(ALL) NOPASSWD:ALL\\n' > $r/etc/sudoers.d/student
            chmod 440 $r/etc/sudoers.d/student
            # A class's first apply is the hosts' apt and dpkg on the lab machine's cores (a lab's
            # first apply: about 33 s of host CPU, measured per host cgroup). What a throwaway host
            # does not need: the translated descriptions (32 MB fetched, decompressed and parsed
            # by every host's first refresh), an fsync after every file dpkg writes, and the
            # packages' documentation, manual pages and translations; and the package cache is
            # built once here rather than by every host's first apt-get.
            printf 'APT::Install-Recommends "false";\\nAcquire::Languages "none";\\n' > $r/etc/apt/apt.conf.d/90haprov-lab
            mkdir -p $r/etc/dpkg/dpkg.cfg.d
            printf 'force-unsafe-io\\npath-exclude=/usr/share/doc/*\\npath-include=/usr/share/doc/*/copyright\\npath-exclude=/usr/share/man/*\\npath-exclude=/usr/share/info/*\\npath-exclude=/usr/share/locale/*\\n' > $r/etc/dpkg/dpkg.cfg.d/90haprov-lab
            rm -f $r/var/lib/apt/lists/*_i18n_Translation-*
            # apt's first refresh drops debootstrap's Release files (InRelease has them), which
            # would make it build the cache again.
            if ls $r/var/lib/apt/lists/*_InRelease >/dev/null 2>&1; then rm -f $r/var/lib/apt/lists/*_Release $r/var/lib/apt/lists/*_Release.gpg; fi
            chroot $r apt-cache gencaches >/dev/null
            """, "preparing the base tree")
    }
}
