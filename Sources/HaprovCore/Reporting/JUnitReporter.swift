import Foundation

/// `--junit FILE`: every task of every host as a JUnit test case (a suite per host; failed tasks
/// as failures, skipped ones skipped, an unreachable host as a failed "reachable" case), written
/// when the run ends, next to what the chosen reporter prints. Secrets masked.
public final class JUnitReporter: Reporter, @unchecked Sendable {
    private struct Case { var name: String; var failure: String?; var skipped: Bool; var seconds: Double }

    private let inner: any Reporter
    private let path: String
    private let command: String
    private let lock = NSLock()
    private var cases: [String: [Case]] = [:]
    private var order: [String] = []
    /// Why the file could not be written, once the run has ended.
    public private(set) var writeError: String?

    public init(wrapping inner: any Reporter, path: String, command: String) {
        self.inner = inner
        self.path = path
        self.command = command
    }

    public func report(_ event: EngineEvent) {
        inner.report(event)
        lock.withLock {
            switch event {
            case .started(let hosts, _):
                order = hosts
            case .task(let result):
                let name = (result.isHandler ? "handler " : "") + "\(result.role) | \(result.task)"
                cases[result.host, default: []].append(Case(name: name, failure: result.status == .failed ? (result.message ?? "failed") : nil,
                                                            skipped: result.status == .skipped, seconds: result.seconds))
            case .unreachable(let host, let error):
                cases[host, default: []].append(Case(name: "reachable", failure: error, skipped: false, seconds: 0))
            case .finished:
                write()
            default:
                break
            }
        }
    }

    private func write() {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "\n", with: "&#10;")
        }
        var body = ""
        var total = 0, failures = 0, skipped = 0
        for host in order + cases.keys.filter({ !order.contains($0) }).sorted() {
            let list = cases[host] ?? []
            let failed = list.filter { $0.failure != nil }.count, skips = list.filter(\.skipped).count
            total += list.count; failures += failed; skipped += skips
            body += "  <testsuite name=\"\(escape(host))\" tests=\"\(list.count)\" failures=\"\(failed)\" errors=\"0\" skipped=\"\(skips)\">\n"
            for item in list {
                body += "    <testcase classname=\"\(escape(host))\" name=\"\(escape(item.name))\" time=\"\(String(format: "%.3f", item.seconds))\""
                if let failure = item.failure {
                    body += "><failure message=\"\(escape(failure))\"/></testcase>\n"
                } else if item.skipped {
                    body += "><skipped/></testcase>\n"
                } else {
                    body += "/>\n"
                }
            }
            body += "  </testsuite>\n"
        }
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"haprov \(escape(command))\" tests=\"\(total)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n\(body)</testsuites>\n"
        do { try SecretMasking.mask(xml).write(toFile: path, atomically: true, encoding: .utf8) } catch {
            writeError = "cannot write \(path): \(error.localizedDescription)"
        }
    }
}
