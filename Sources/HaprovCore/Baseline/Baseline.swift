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
                lines.append("[ -e \(d)/packages ] || dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' 2>/dev/null | awk '$1 ~ /^ii/ {print $2}' | LC_ALL=C sort > \(d)/packages")
            case .service(let unit):
                let slot = Shell.quote("\(d)/services/\(slot(unit))")
                let u = Shell.quote(unit)
                lines.append("[ -e \(slot) ] || { e=$(systemctl is-enabled \(u) 2>/dev/null); a=$(systemctl is-active \(u) 2>/dev/null); printf '%s %s %s\\n' \(u) \"${e:-absent}\" \"${a:-inactive}\" > \(slot); }")
            }
        }
        return lines.joined(separator: "\n")
    }
}
