import Foundation

/// HTTP requests sent from the client host with curl, in one remote command per burst.
struct Probe {
    /// One request: when, who answered, what client address the server saw, HTTP status.
    struct Answer: Sendable {
        var millis: Int
        var server: String
        var seenClient: String?
        var status: Int
        var ok: Bool { status == 200 }
    }

    let client: any Transport
    let url: String

    /// `count` requests, `interval` seconds apart.
    func burst(_ count: Int, interval: Double = 0) throws -> [Answer] {
        try run(loop: "i=0; while [ $i -lt \(count) ]; do i=$((i+1));", interval: interval, seconds: count * 3 + 30)
    }

    /// Requests every `interval` seconds for `seconds` seconds.
    func during(seconds: Int, interval: Double = 0.1) throws -> [Answer] {
        try run(loop: "end=$(( $(date +%s) + \(seconds) )); while [ $(date +%s) -lt $end ]; do", interval: interval, seconds: seconds + 30)
    }

    private func run(loop: String, interval: Double, seconds: Int) throws -> [Answer] {
        let script = """
            command -v curl >/dev/null || { echo 'curl is missing on the client host (apt-get install curl)' >&2; exit 127; }
            \(loop) t=$(date +%s%3N); out=$(curl -s -m 2 -w '\\n@@%{http_code}' \(Shell.quote(url)) 2>/dev/null | tr '\\n' '|'); printf '%s|%s\\n' "$t" "$out"; \(interval > 0 ? "sleep \(interval);" : "") done
            """
        let result = try client.run(script, timeout: .seconds(seconds))
        guard result.succeeded else { throw SmokeError("requests from \(client.hostName) failed: \(result.stderrText)") }
        return result.stdoutText.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard let millis = Int(fields.first ?? "") else { return nil }
            let status = fields.first { $0.hasPrefix("@@") }.flatMap { Int($0.dropFirst(2)) } ?? 0
            let body = fields.dropFirst().filter { !$0.hasPrefix("@@") && !$0.isEmpty }
            let seen = body.first { $0.hasPrefix("client ") }.map { String($0.dropFirst(7)) }
            return Answer(millis: millis, server: status == 200 ? (body.first ?? "") : "", seenClient: seen, status: status)
        }
    }
}

extension Array where Element == Probe.Answer {
    var failures: Int { filter { !$0.ok }.count }

    /// Longest stretch without a good answer, in seconds (from the last good answer before it).
    var longestOutage: Double {
        var worst = 0
        var lastGood = first?.millis
        var inOutage = false
        for answer in self {
            if answer.ok {
                if inOutage, let lastGood { worst = Swift.max(worst, answer.millis - lastGood) }
                inOutage = false
                lastGood = answer.millis
            } else {
                inOutage = true
            }
        }
        if inOutage, let lastGood, let end = last?.millis { worst = Swift.max(worst, end - lastGood) }
        return Double(worst) / 1000
    }

    var servers: [String] { filter(\.ok).map(\.server) }
}
