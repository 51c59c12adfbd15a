import Foundation

/// The commands that move traffic away from a host and back, and the parsers of their output.
/// Pure: the rollout runs them on the right host's transport.
public enum TrafficControl {
    // MARK: VIP

    /// Prints `yes` when this host holds `vip`.
    public static func holdsVIP(_ vip: String) -> String {
        "ip -o -4 addr show | awk '{split($4, a, \"/\"); print a[1]}' | grep -qxF \(Shell.quote(vip)) && echo yes || echo no"
    }

    /// Writes the value keepalived's `vrrp_track_file` reads: negative to hand the VIP over, 0 to
    /// take part again. Where `config` does not name the file yet, `stop` hands over instead
    /// (exit 10 tells the rollout so).
    public static func writeHandover(_ value: Int, file: String, config: String? = nil, stop: String? = nil) -> String {
        let write = "printf '%s\\n' \(value) > \(Shell.quote(file))"
        guard value != 0, let config, let stop else { return write }
        return "if grep -qF \(Shell.quote(file)) \(Shell.quote(config)); then \(write); else \(stop) && exit 10; fi"
    }

    /// The value now in the track file (0 when missing).
    public static func readHandover(file: String) -> String {
        // Read by the shell: this runs in every apply's first round trip on every VIP holder.
        "v=; if [ -r \(Shell.quote(file)) ]; then read -r v < \(Shell.quote(file)) || :; fi; echo \"${v:-0}\""
    }

    // MARK: HAProxy runtime API

    /// `show stat` on the admin socket, as CSV.
    public static func haproxyStat(socket: String) -> String {
        let s = Shell.quote(socket)
        return """
            [ -S \(s) ] || { echo \(Shell.quote("no admin socket \(socket): HAProxy is not running")) >&2; exit 3; }
            command -v socat >/dev/null || { echo 'socat is missing (the haproxy role installs it)' >&2; exit 127; }
            echo 'show stat' | socat -t 2 stdio UNIX-CONNECT:\(s)
            """
    }

    /// Where a balancer keeps a mark for each server haprov drained and has not put back yet
    /// (in /run, which a reboot empties, as it empties HAProxy's runtime state).
    public static let drainMarks = "/run/haprov/drained"

    /// What the first round trip of an apply reads: `show stat` only when haprov left a drain
    /// mark (an earlier run stopped or was killed mid-rollout); on every other run, no process.
    /// No `exit` outside the subshell that asks: the query runs in the fact script's own shell,
    /// so an unmarked balancer pays no fork either.
    public static func haproxyStatIfMarked(socket: String) -> String {
        """
        set -- \(Shell.quote(drainMarks))/*; if [ -e "$1" ]; then set --; (
        \(haproxyStat(socket: socket))
        ); else set --; fi
        """
    }

    /// Sets `server` to `state` (drain, ready, maint) in every proxy of the socket's HAProxy that
    /// has it; a drain leaves a mark first, `ready` takes it away once done.
    public static func haproxySetState(socket: String, server: String, state: String) -> String {
        let s = Shell.quote(socket), sv = Shell.quote(server), st = Shell.quote(state)
        let mark = Shell.quote(drainMarks + "/" + server)
        // The mark goes down just before the first proxy that has the server is told: a server
        // HAProxy does not know (yet) leaves none behind.
        let marking = state == "ready" ? "" : "[ -n \"$marked\" ] || { mkdir -p \(Shell.quote(drainMarks)) && : > \(mark) || exit 1; marked=1; }\n  "
        let unmarking = state == "ready" ? "\nrm -f \(mark)" : ""
        return """
            [ -S \(s) ] || { \(state == "ready" ? "rm -f \(mark); " : "")exit 0; }
            command -v socat >/dev/null || { echo 'socat is missing (the haproxy role installs it)' >&2; exit 127; }
            marked=
            for px in $(echo 'show stat' | socat -t 2 stdio UNIX-CONNECT:\(s) | awk -F, -v sv=\(sv) '$2 == sv { print $1 }'); do
              \(marking)out=$(printf 'set server %s/%s state %s\\n' "$px" \(sv) \(st) | socat -t 2 stdio UNIX-CONNECT:\(s))
              [ -z "$(printf '%s' "$out" | tr -d '[:space:]')" ] || { printf '%s/%s: %s\\n' "$px" \(sv) "$out" >&2; exit 1; }
            done
            """ + unmarking
    }

    /// One server's rows of `show stat`: its proxy, current sessions and status (UP, DOWN, DRAIN, MAINT...).
    public struct ServerStat: Sendable, Equatable {
        public var proxy: String
        public var server: String
        public var sessions: Int
        public var status: String
    }

    /// Parses `show stat` CSV (header `# pxname,svname,...`), keeping the rows of `server`.
    public static func parseStat(_ csv: String, server: String) -> [ServerStat] {
        var columns: [String: Int] = [:]
        var rows: [ServerStat] = []
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if line.hasPrefix("# ") {
                var header = fields
                header[0] = String(header[0].dropFirst(2))
                for (index, name) in header.enumerated() { columns[name] = index }
                continue
            }
            guard let px = columns["pxname"], let sv = columns["svname"], let scur = columns["scur"], let status = columns["status"],
                  fields.count > max(px, sv, scur, status), fields[sv] == server else { continue }
            rows.append(ServerStat(proxy: fields[px], server: fields[sv], sessions: Int(fields[scur]) ?? 0, status: fields[status]))
        }
        return rows
    }

    // MARK: Apache balancer-manager

    /// Disables (or enables) a member in Apache's balancer through balancer-manager on 127.0.0.1.
    /// Apache takes the change only with the balancer's nonce (read from its page) and a Referer
    /// naming the server asked.
    public static func apacheSetMember(balancer: String, member: String, disabled: Bool) -> String {
        let page = Shell.quote("http://127.0.0.1/balancer-manager?b=\(balancer)")
        let form = "b=\(balancer)&w=\(member)&w_status_D=\(disabled ? 1 : 0)&nonce="
        return """
            systemctl is-active -q apache2 || exit 0
            nonce=$(curl -s -m 5 \(page) | grep -o 'nonce=[0-9a-f-]*' | head -n 1 | cut -d= -f2)
            [ -n "$nonce" ] || { echo \(Shell.quote("balancer-manager shows no nonce for \(balancer)")) >&2; exit 1; }
            code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H 'Referer: http://127.0.0.1/balancer-manager' --data \(Shell.quote(form))"$nonce" http://127.0.0.1/balancer-manager)
            [ "$code" = 200 ] || { echo "balancer-manager answered HTTP $code" >&2; exit 1; }
            """
    }

    /// balancer-manager's page, to read a member's state and busy count.
    public static func apacheStatus(balancer: String) -> String {
        "curl -s -m 5 \(Shell.quote("http://127.0.0.1/balancer-manager?b=\(balancer)"))"
    }

    /// A member's row of balancer-manager's HTML: whether it is disabled, and its busy count.
    public static func parseApacheMember(_ html: String, member: String) -> (disabled: Bool, busy: Int, up: Bool)? {
        guard let start = html.range(of: ">\(member)</a>") else { return nil }
        let rest = html[start.upperBound...]
        let row = rest[..<(rest.range(of: "</tr>")?.lowerBound ?? rest.endIndex)]
        let cells = row.components(separatedBy: "<td>").dropFirst().map { $0.components(separatedBy: "</td>")[0] }
        let status = cells.first { $0.contains("Init") || $0.contains("Ok") || $0.contains("Dis") || $0.contains("Err") } ?? ""
        // Columns after the URL: route, redirect, factor, set, status, elected, busy, ...
        let busy = cells.count > 6 ? Int(cells[6].trimmingCharacters(in: .whitespaces)) ?? 0 : 0
        return (status.contains("Dis"), busy, status.contains("Ok") && !status.contains("Dis") && !status.contains("Err"))
    }
}
