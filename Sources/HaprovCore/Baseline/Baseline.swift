import Foundation

/// Something a change is about to modify on a host, recorded the first time so that
/// `haprov reset` can put it back exactly as it was before haprov touched it.
public enum Touch: Sendable, Hashable {
    /// A file: its original content, mode and owner, or the fact that it did not exist.
    case file(String)
    /// A kernel parameter's live value.
    case sysctl(String)
    /// The whole firewall (iptables-save of every table).
    case firewall
    /// Policy routing: `ip rule` and the routes of every table.
    case routing
    /// The set of installed packages.
    case packages
    /// A systemd unit's enabled and active state.
    case service(String)
}

/// The baseline kept on each host under /var/lib/haprov/baseline, written by the same remote
/// command that makes the first change (no extra round trip), never overwritten afterwards.
public enum Baseline {
    public static let defaultDirectory = "/var/lib/haprov/baseline"

    /// A file name for `value` inside the baseline folder (paths and keys contain slashes).
    static func slot(_ value: String) -> String {
        value.unicodeScalars.map { scalar -> String in
            let c = Character(scalar)
            return (c.isLetter && c.isASCII) || (c.isNumber && c.isASCII) || c == "." || c == "-" || c == "_" ? String(c) : String(format: "%%%02X", scalar.value)
        }.joined()
    }

    /// Shell that records each touch not recorded yet; prepended to a change's script.
    public static func recordScript(_ touches: [Touch], directory: String = defaultDirectory) -> String {
        guard !touches.isEmpty else { return "" }
        let d = Shell.quote(directory)
        var lines = ["mkdir -p \(d)/files \(d)/sysctl \(d)/services && chmod 700 \(d)"]
        for touch in touches {
            switch touch {
            case .file(let path):
                let p = Shell.quote(path)
                let slot = Shell.quote("\(d)/files/\(slot(path))")
                lines.append("""
                    if [ ! -e \(slot).path ]; then \
                    if [ -e \(p) ] || [ -L \(p) ]; then cp -a -- \(p) \(slot).orig; else : > \(slot).absent; fi; \
                    printf '%s\\n' \(p) > \(slot).path; fi
                    """)
                // Folders the file brings with it go too (the topmost one that did not exist).
                lines.append("""
                    a=$(dirname -- \(p)); top=; while [ ! -e "$a" ]; do top=$a; a=$(dirname -- "$a"); done; \
                    if [ -n "$top" ]; then s=\(d)/files/dir-$(printf '%s' "$top" | md5sum | cut -c1-16); \
                    [ -e "$s.path" ] || { : > "$s.absent"; printf '%s\\n' "$top" > "$s.path"; }; fi
                    """)
            case .sysctl(let key):
                let slot = Shell.quote("\(d)/sysctl/\(slot(key))")
                lines.append("[ -e \(slot) ] || printf '%s %s\\n' \(Shell.quote(key)) \"$(sysctl -n \(Shell.quote(key)) 2>/dev/null)\" > \(slot)")
            case .firewall:
                lines.append("[ -e \(d)/iptables.rules ] || iptables-save > \(d)/iptables.rules 2>/dev/null || true")
            case .routing:
                lines.append("[ -e \(d)/ip-rules ] || ip rule show > \(d)/ip-rules 2>/dev/null || true")
                lines.append("[ -e \(d)/ip-routes ] || ip route show table all > \(d)/ip-routes 2>/dev/null || true")
            case .packages:
                lines.append("[ -e \(d)/packages ] || dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' 2>/dev/null | awk '$1 ~ /^ii/ {print $2}' | sort > \(d)/packages")
            case .service(let unit):
                let slot = Shell.quote("\(d)/services/\(slot(unit))")
                let u = Shell.quote(unit)
                lines.append("[ -e \(slot) ] || { e=$(systemctl is-enabled \(u) 2>/dev/null); a=$(systemctl is-active \(u) 2>/dev/null); printf '%s %s %s\\n' \(u) \"${e:-absent}\" \"${a:-inactive}\" > \(slot); }")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension Baseline {
    /// Shell that puts a host back to its baseline, printing one line per action; with `dryRun`
    /// it only prints what it would do. SSH access is kept: sshd, its keys and the login user's
    /// keys are never touched, and the firewall goes back to a state in which SSH worked.
    public static func resetScript(dryRun: Bool, directory: String = defaultDirectory) -> String {
        #"""
        d=\#(Shell.quote(directory))
        dry=\#(dryRun ? 1 : 0)
        if [ ! -d "$d" ]; then echo "clean: haprov never changed this host"; exit 0; fi
        act() { echo "$1"; shift; if [ "$dry" = 0 ]; then "$@" >/dev/null 2>&1 || echo "  (failed: $*)"; fi; }
        # Services first: stopping keepalived also releases the VIP.
        for f in "$d"/services/*; do
          [ -e "$f" ] || continue
          read -r unit enabled active < "$f"
          case "$unit" in ssh|ssh.service|sshd|sshd.service) continue;; esac
          now_enabled=$(systemctl is-enabled "$unit" 2>/dev/null); now_active=$(systemctl is-active "$unit" 2>/dev/null)
          if [ "$enabled" != enabled ] && [ "$now_enabled" = enabled ]; then act "disable $unit" systemctl disable "$unit"; fi
          if [ "$enabled" = enabled ] && [ "$now_enabled" != enabled ]; then act "enable $unit" systemctl enable "$unit"; fi
          if [ "$active" != active ] && [ "$now_active" = active ]; then act "stop $unit" systemctl stop "$unit"; fi
        done
        # Files: original content back, files that did not exist removed.
        for f in "$d"/files/*.path; do
          [ -e "$f" ] || continue
          path=$(cat "$f"); slot=${f%.path}
          case "$path" in /etc/ssh/*|/root/.ssh/*|*/.ssh/authorized_keys) continue;; esac
          if [ -e "$slot.orig" ] || [ -L "$slot.orig" ]; then
            if ! cmp -s "$slot.orig" "$path" 2>/dev/null; then act "restore $path" cp -a "$slot.orig" "$path"; fi
          elif [ -e "$path" ] || [ -L "$path" ]; then
            act "remove $path" rm -rf -- "$path"
          fi
        done
        # Packages installed since the baseline are purged, after the files: a package's config
        # file that haprov replaced must not come back once the package is gone.
        if [ -e "$d/packages" ]; then
          dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 ~ /^ii/ {print $2}' | sort > "$d/.packages-now"
          extra=$(comm -13 "$d/packages" "$d/.packages-now" | grep -vE '^(openssh-server|openssh-client|openssh-sftp-server|sudo|systemd|systemd-sysv|dbus)$' | tr '\n' ' ')
          rm -f "$d/.packages-now"
          if [ -n "$extra" ]; then act "purge packages: $extra" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q purge --auto-remove $extra; fi
        fi
        for f in "$d"/sysctl/*; do
          [ -e "$f" ] || continue
          read -r key value < "$f"
          [ -n "$value" ] || continue
          if [ "$(sysctl -n "$key" 2>/dev/null)" != "$value" ]; then act "sysctl $key = $value" sysctl -w "$key=$value"; fi
        done
        if [ -e "$d/iptables.rules" ]; then
          # Compared without counters, and without tables that hold nothing (no rules, no
          # chains of their own, policies ACCEPT): an emptied table cannot be unloaded.
          fw() { grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | awk '
            /^\*/ { table = $0; body = ""; empty = 1; next }
            /^COMMIT/ { if (!empty) printf "%s\n%sCOMMIT\n", table, body; next }
            { body = body $0 "\n"; if (!($0 ~ /^:[A-Z]+ ACCEPT *$/)) empty = 0 }'; }
          if [ "$(iptables-save | fw)" != "$(fw < "$d/iptables.rules")" ]; then
            # iptables-restore only rewrites the tables it is given: a table the baseline did
            # not have (mangle on a bare host) is emptied here, its policies back to ACCEPT.
            for t in $(iptables-save | sed -n 's/^\*//p'); do
              grep -qx "\*$t" "$d/iptables.rules" && continue
              act "empty table $t" sh -c "iptables -t $t -F && iptables -t $t -X && iptables -t $t -S | sed -n 's/^-P \([^ ]*\) .*/\1/p' | while read -r c; do iptables -t $t -P \$c ACCEPT; done"
            done
            act "restore firewall rules" iptables-restore "$d/iptables.rules"
          fi
        fi
        if [ -e "$d/ip-rules" ]; then
          ip rule show | sed 's/ *$//' | while read -r line; do
            sed 's/ *$//' "$d/ip-rules" | grep -qxF "$line" && continue
            prio=${line%%:*}
            act "ip rule del $line" ip rule del prio "$prio"
          done
        fi
        if [ -e "$d/ip-routes" ]; then
          # ip prints routes with a trailing space that `read` drops: compare without it.
          # Routes of an address (proto kernel) come and go with it and are never touched;
          # extra routes go first, then the recorded ones come back (a replaced default route).
          # The kernel's own table local is left alone; a `local` route in table 100 is ours.
          ours() { sed 's/ *$//' | grep -v ' table local\( \|$\)' | grep -v '^\(multicast\|fe80\|ff00\)' | grep -v 'proto kernel'; }
          routes() { ip route show table all | ours; }
          was=$(ours < "$d/ip-routes")
          routes | while read -r line; do
            printf '%s\n' "$was" | grep -qxF "$line" && continue
            act "ip route del $line" sh -c "ip route del $line"
          done
          now=$(routes)
          printf '%s\n' "$was" | while read -r line; do
            [ -n "$line" ] || continue
            printf '%s\n' "$now" | grep -qxF "$line" && continue
            act "ip route add $line" sh -c "ip route add $line"
          done
        fi
        if [ "$dry" = 0 ]; then systemctl daemon-reload 2>/dev/null; rm -rf "$d"; rmdir "$(dirname "$d")" 2>/dev/null; echo "baseline restored"; fi
        """#
    }
}
