import Foundation

/// The scripts behind `network_config`'s armed rollback, run as root on the host.
///
/// `arm` stages the new file (validated), keeps the previous one with the live addresses and
/// default routes of the interface, and starts a guard detached from haprov's session (a
/// transient systemd unit, so neither the session's end nor sshd can kill it). The guard
/// applies the new configuration half a second later (the arming command's answer is back by then),
/// waits for `confirm`, and without it restores the previous file, addresses and routes.
struct NetworkGuard {
    static let directory = "/run/haprov/network"

    var renderer: NetworkConfigModule.Renderer
    var interface: String
    var path: String
    var address: String
    var mode: Int?
    var timeout: Int

    /// Stages stdin as the new file and starts the guard; fails, changing nothing, when the
    /// file does not validate or an earlier change still waits for its confirmation.
    func arm(validate: String?) -> String {
        let d = Self.directory
        let dq = Shell.quote(d)
        let p = Shell.quote(path)
        let i = Shell.quote(interface)
        return """
            set -e
            if [ -s \(dq)/guard.pid ] && kill -0 "$(cat \(dq)/guard.pid)" 2>/dev/null; then
              echo "a network change made earlier on this host still waits for its confirmation; it rolls back by itself within \(timeout) s: run haprov again then" >&2; exit 3
            fi
            \(toolCheck)
            rm -rf \(dq); mkdir -p \(dq); chmod 700 \(dq)
            """ + "\n" + FileScripts.atomicWrite(path: d + "/next", mode: mode, owner: nil, group: nil, validate: validate, backup: false) + "\n" + """
            if [ -f \(p) ]; then cp -p -- \(p) \(dq)/previous; cp -p -- \(p) \(p).$(date +%Y%m%dT%H%M%S).haprov~; fi
            # What to restore besides the file: the host's own addresses (not VIPs: /32 or secondary) and default routes.
            ip -4 -o addr show dev \(i) scope global | awk '!/ secondary / && $4 !~ /\\/32$/ {print $4}' > \(dq)/addresses
            ip -4 route show default dev \(i) > \(dq)/routes
            cat > \(dq)/guard <<'HAPROV_GUARD'
            \(guardScript)
            HAPROV_GUARD
            echo armed > \(dq)/status
            if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1 &&
               systemd-run --quiet --collect --unit="haprov-network-$(date +%s)" /bin/sh \(dq)/guard; then
              :
            else
              setsid /bin/sh \(dq)/guard </dev/null >/dev/null 2>&1 &
            fi
            echo "armed: \(interface) changes in 0.5 s and goes back in \(timeout) s unless confirmed"
            """
    }

    /// The tool that applies the file must be there before anything is touched.
    private var toolCheck: String {
        let (tool, package) = renderer == .interfaces ? ("ifup", "ifupdown") : ("netplan", "netplan.io")
        return "command -v \(tool) >/dev/null 2>&1 || { echo \(Shell.quote("\(tool) is not installed, so \(path) cannot be applied: install \(package), or set network_apply: false to only write the file")) >&2; exit 3; }"
    }

    /// Run at the new address: keeps the change, then drops the address haprov came from ($1)
    /// unless the new configuration has it.
    var confirm: String {
        let dq = Shell.quote(Self.directory)
        let i = Shell.quote(interface)
        return """
            [ -f \(dq)/status ] || { echo "no network change waits for confirmation on this host" >&2; exit 3; }
            touch \(dq)/confirm
            n=0
            while [ $n -lt 50 ]; do
              s=$(cat \(dq)/status)
              case "$s" in confirmed|rolled*) break ;; esac
              sleep 0.1; n=$((n + 1))
            done
            [ "$s" = confirmed ] || { echo "$s" >&2; exit 4; }
            if [ -n "${1:-}" ] && [ "$1" != \(Shell.quote(address)) ]; then
              ip -4 -o addr show dev \(i) | awk -v a="$1" '{ split($4, p, "/"); if (p[1] == a) print $4 }' |
                while read -r cidr; do ip addr del "$cidr" dev \(i); done
            fi
            echo confirmed
            """
    }

    /// What the guard did, and the end of its log.
    static var status: String {
        let dq = Shell.quote(directory)
        return "cat \(dq)/status 2>/dev/null || echo 'no record of a network change'; tail -n 8 \(dq)/log 2>/dev/null || true"
    }

    /// The detached guard (POSIX sh). Its output goes to the log, its state to `status`.
    private var guardScript: String {
        let i = Shell.quote(interface)
        let p = Shell.quote(path)
        let install: String
        if let mode {
            install = "cp -- \"$d/next\" \(p).haprov-new && chmod \(String(mode, radix: 8)) \(p).haprov-new && mv -f -- \(p).haprov-new \(p)"
        } else {
            install = "cp -p -- \"$d/next\" \(p).haprov-new && mv -f -- \(p).haprov-new \(p)"
        }
        let restoreFile = "if [ -f \"$d/previous\" ]; then cp -p -- \"$d/previous\" \(p).haprov-old && mv -f -- \(p).haprov-old \(p); else rm -f -- \(p); fi"
        // Addresses set outside ifupdown (the installer's, DHCP's) go too, or ifup finds its
        // address taken; ifdown would flush them as well.
        let flush = "ip -4 addr flush dev \(i) scope global; ip -4 route flush dev \(i)"
        let up, down, restore: String
        switch renderer {
        case .interfaces:
            down = "[ ! -f \"$d/previous\" ] || ifdown --force -i \"$d/previous\" \(i) >>\"$d/log\" 2>&1; \(flush)"
            up = "\(install) && ifup --force \(i) >>\"$d/log\" 2>&1"
            restore = """
                ifdown --force \(i) >>"$d/log" 2>&1; \(flush)
                  \(restoreFile)
                  ip link set dev \(i) up
                  if [ -f "$d/previous" ] && grep -Eq '^[[:space:]]*iface[[:space:]]+'\(Shell.quote(NSRegularExpression.escapedPattern(for: interface)))'[[:space:]]' "$d/previous"; then ifup --force \(i) >>"$d/log" 2>&1; fi
                """
        case .netplan:
            down = ":"
            up = "\(install) && netplan apply >>\"$d/log\" 2>&1"
            restore = """
                \(restoreFile)
                  netplan apply >>"$d/log" 2>&1
                """
        }
        return """
            d=\(Shell.quote(Self.directory))
            say() { printf '%s\\n' "$1" > "$d/status.new" && mv -f "$d/status.new" "$d/status"; }
            log() { printf '%s %s\\n' "$(date +%T)" "$1" >> "$d/log"; }
            echo $$ > "$d/guard.pid"
            # Counted from the arming, so the host is back within the timeout of the change.
            end=$(($(date +%s) + \(timeout - 1)))
            rollback() {
              say "rolling back: $1"; log "rolling back: $1"
              \(restore)
              ip link set dev \(i) up
              while read -r cidr; do
                ip -4 -o addr show dev \(i) | grep -q " $cidr " || ip addr add "$cidr" dev \(i) >>"$d/log" 2>&1
              done < "$d/addresses"
              if [ -z "$(ip -4 route show default)" ]; then
                while read -r route; do ip route add $route dev \(i) >>"$d/log" 2>&1; done < "$d/routes"
              fi
              say "rolled back: $1"; log "rolled back"
              rm -f "$d/guard.pid"
              exit 1
            }
            say applying
            sleep 0.5
            log "applying the new configuration of \(interface)"
            \(down)
            if ! { \(up); }; then rollback "the new configuration did not come up ($(tail -n 1 "$d/log"))"; fi
            say waiting; log "waiting \(timeout) s for haprov at \(address)"
            while [ "$(date +%s)" -lt "$end" ]; do
              if [ -e "$d/confirm" ]; then say confirmed; log confirmed; rm -f "$d/guard.pid"; exit 0; fi
              sleep 0.2
            done
            rollback "haprov did not reconnect at \(address) within \(timeout) s"
            """
    }
}
