import Foundation

/// What a host's baseline says against what the host holds now, read in one command: the
/// facts `haprov reset` plans from. A typed fact: the query and its parser side by side.
public struct BaselineState: Sendable, Equatable {
    /// A unit whose enabled or active state was recorded before haprov changed it.
    public struct Service: Sendable, Equatable {
        public var unit: String
        public var enabled: String
        public var active: String
        public var enabledNow: String
        public var activeNow: String
    }

    /// A file (or a folder haprov created): kept as it was, or recorded as absent.
    public struct File: Sendable, Equatable {
        public enum Now: String, Sendable { case same, differs, present, gone }
        public var path: String
        /// Where the original copy is kept; nil when the file did not exist before.
        public var original: String?
        public var now: Now
    }

    /// A kernel parameter: the recorded value and the live one, blanks collapsed.
    public struct Sysctl: Sendable, Equatable {
        public var key: String
        public var value: String
        public var now: String
    }

    /// False when haprov never changed the host (no baseline folder).
    public var recorded = false
    public var services: [Service] = []
    public var files: [File] = []
    /// Packages installed now that were not at the baseline.
    public var addedPackages: [String] = []
    public var sysctls: [Sysctl] = []
    /// The firewall's rules differ from the recorded ones (compared without counters).
    public var firewallDiffers = false
    /// iptables tables that exist now and not in the recording (they cannot be restored away).
    public var addedTables: [String] = []
    /// `ip rule` lines the baseline did not have.
    public var addedRules: [String] = []
    /// Routes added since (routes of an address, the kernel's table local and link-local left out).
    public var addedRoutes: [String] = []
    /// Recorded routes that are gone.
    public var missingRoutes: [String] = []

    public init() {}

    /// The one read-only command: one line per item, tab-separated, the free text last.
    public static func query(directory: String) -> FactQuery {
        FactQuery(key: "baseline:\(directory)", command: #"""
            d=\#(Shell.quote(directory))
            [ -d "$d" ] || exit 0
            [ -r "$d" ] && [ -x "$d" ] || { echo "cannot read $d"; exit 1; }
            echo recorded
            for f in "$d"/services/*; do
              [ -e "$f" ] || continue
              read -r unit enabled active < "$f"
              e=$(systemctl is-enabled "$unit" 2>/dev/null); a=$(systemctl is-active "$unit" 2>/dev/null)
              printf 'service\t%s\t%s\t%s\t%s\t%s\n' "$enabled" "$active" "${e:-absent}" "${a:-inactive}" "$unit"
            done
            for f in "$d"/files/*.path; do
              [ -e "$f" ] || continue
              p=$(cat "$f"); s=${f%.path}
              if [ -e "$s.orig" ] || [ -L "$s.orig" ]; then
                if cmp -s "$s.orig" "$p" 2>/dev/null; then n=same; else n=differs; fi; o="$s.orig"
              else
                if [ -e "$p" ] || [ -L "$p" ]; then n=present; else n=gone; fi; o=-
              fi
              printf 'file\t%s\t%s\t%s\n' "$n" "$o" "$p"
            done
            if [ -e "$d/packages" ]; then
              # A set difference, not comm: the list was sorted in the host's locale, this runs in C.
              dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null \
                | awk 'FILENAME == ARGV[1] { had[$0]; next } $1 ~ /^ii/ && !($2 in had) { print "package\t" $2 }' "$d/packages" -
            fi
            for f in "$d"/sysctl/*; do
              [ -e "$f" ] || continue
              read -r key value < "$f"
              printf 'sysctl\t%s\t%s\t%s\n' "$key" "$(printf '%s' "$value" | tr -s ' \t' '  ')" "$(sysctl -n "$key" 2>/dev/null | tr -s ' \t' '  ')"
            done
            if [ -e "$d/iptables.rules" ]; then
              # Without counters, and without tables that hold nothing (no rules, no chains of
              # their own, policies ACCEPT): an emptied table cannot be unloaded.
              fw() { grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | awk '
                /^\*/ { table = $0; body = ""; empty = 1; next }
                /^COMMIT/ { if (!empty) printf "%s\n%sCOMMIT\n", table, body; next }
                { body = body $0 "\n"; if (!($0 ~ /^:[A-Z]+ ACCEPT *$/)) empty = 0 }'; }
              if [ "$(iptables-save | fw)" != "$(fw < "$d/iptables.rules")" ]; then
                echo firewall
                for t in $(iptables-save | sed -n 's/^\*//p'); do grep -qx "\*$t" "$d/iptables.rules" || printf 'table\t%s\n' "$t"; done
              fi
            fi
            if [ -e "$d/ip-rules" ]; then
              ip rule show | sed 's/ *$//' | while IFS= read -r l; do sed 's/ *$//' "$d/ip-rules" | grep -qxF -- "$l" || printf 'rule\t%s\n' "$l"; done
            fi
            if [ -e "$d/ip-routes" ]; then
              # ip prints routes with a trailing space: compared without it. Routes of an address
              # (proto kernel) come and go with it; the kernel's table local is its own.
              # A multipath route's nexthop lines go with its first line.
              ours() { sed 's/ *$//' | grep -v '^[[:space:]]' | grep -v ' table local\( \|$\)' | grep -v '^\(multicast\|fe80\|ff00\)' | grep -v 'proto kernel'; }
              was=$(ours < "$d/ip-routes"); now=$(ip route show table all | ours)
              printf '%s\n' "$now" | while IFS= read -r l; do [ -n "$l" ] || continue; printf '%s\n' "$was" | grep -qxF -- "$l" || printf 'route-added\t%s\n' "$l"; done
              printf '%s\n' "$was" | while IFS= read -r l; do [ -n "$l" ] || continue; printf '%s\n' "$now" | grep -qxF -- "$l" || printf 'route-missing\t%s\n' "$l"; done
            fi
            true
            """#)
    }

    /// Reads the query's output; a line haprov does not know is an error (a newer baseline format).
    public init(parsing output: FactOutput) throws {
        guard output.exitStatus == 0 else {
            throw FactError(message: "the baseline could not be read (exit \(output.exitStatus)): \(output.text)")
        }
        for line in output.text.split(separator: "\n").map(String.init) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let rest = { (from: Int) in fields.dropFirst(from).joined(separator: "\t") }
            switch (fields[0], fields.count) {
            case ("recorded", 1): recorded = true
            case ("service", 6...):
                services.append(Service(unit: rest(5), enabled: fields[1], active: fields[2], enabledNow: fields[3], activeNow: fields[4]))
            case ("file", 4...):
                guard let now = File.Now(rawValue: fields[1]) else { throw Self.unreadable(line) }
                files.append(File(path: rest(3), original: fields[2] == "-" ? nil : fields[2], now: now))
            case ("package", 2): addedPackages.append(fields[1])
            case ("sysctl", 4): sysctls.append(Sysctl(key: fields[1], value: fields[2], now: fields[3]))
            case ("firewall", 1): firewallDiffers = true
            case ("table", 2): addedTables.append(fields[1])
            case ("rule", 2...): addedRules.append(rest(1))
            case ("route-added", 2...): addedRoutes.append(rest(1))
            case ("route-missing", 2...): missingRoutes.append(rest(1))
            default:
                throw Self.unreadable(line)
            }
        }
    }

    static func unreadable(_ line: String) -> FactError {
        FactError(message: "the baseline said something haprov cannot read: \(line) (a baseline written by another haprov version?)")
    }
}
