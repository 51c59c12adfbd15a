import Foundation
import HaprovCore

/// Packets seen by one lab host, written as a pcap file students open in Wireshark: tcpdump
/// runs on this machine inside the host's network namespace, so the host needs nothing.
extension Lab {
    /// Named filters for what the course looks at; anything else is a tcpdump filter expression.
    public static let captureFilters = ["vrrp": "ip proto 112", "arp": "arp", "http": "tcp port 80", "all": ""]

    /// Captures on the host's interface for `seconds`; returns how many packets were written.
    @discardableResult
    public func capture(on name: String, filter: String, seconds: Int, to path: String) throws -> Int {
        try Preflight.check(nil, creating: false)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") || FileManager.default.isExecutableFile(atPath: "/usr/sbin/tcpdump") else {
            throw LabError("tcpdump is not installed on this machine", fix: "apt-get install -y tcpdump")
        }
        let host = try host(name)
        guard (1...3600).contains(seconds) else { throw LabError("--seconds \(seconds): give 1 to 3600 seconds") }
        let expression = Self.captureFilters[filter] ?? filter
        // A filter is one argument to tcpdump; this keeps it to what filter expressions use.
        guard expression.range(of: #"^[A-Za-z0-9 ._:/()!&|=<>\[\]-]*$"#, options: .regularExpression) != nil else {
            throw LabError("--filter \(filter): not a tcpdump filter expression", fix: "vrrp, arp, http, all, or an expression such as 'tcp port 443'")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw LabError("cannot write \(path): \(directory) does not exist")
        }
        // timeout ends tcpdump with SIGTERM (exit 124): the file is complete then (-U flushes each packet).
        let run = try LabShell.run("""
            ip netns exec \(Shell.quote(host.namespace)) timeout \(seconds) tcpdump -i host0 -n -U -Z root -w \(Shell.quote(path)) \(expression.isEmpty ? "" : Shell.quote(expression)) 2>&1
            status=$?; [ $status -eq 124 ] || [ $status -eq 0 ] || exit $status
            tcpdump -n -r \(Shell.quote(path)) 2>/dev/null | wc -l
            """, timeout: .seconds(seconds + 30))
        guard run.succeeded, let count = Int(run.stdoutText.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") else {
            throw LabError("tcpdump in \(name)'s namespace failed: \(run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))",
                           fix: "check the filter expression (man pcap-filter)")
        }
        return count
    }
}
