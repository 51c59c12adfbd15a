internal import CLibSSH2
import Foundation
import HaprovCore

/// Process-wide libssh2 state. `libssh2_init` is not thread-safe, so it runs exactly once,
/// through a static let (initialised under swift_once).
enum LibSSH2 {
    private static let initStatus: Int32 = libssh2_init(0)

    static func ensureInitialized(host: String) throws {
        guard initStatus == 0 else {
            throw TransportError(
                host: host, step: .connect, message: "libssh2_init failed (\(initStatus))",
                fix: "check the libssh2 installation (apt-get install libssh2-1)")
        }
    }

    /// The linked library's version, e.g. "1.10.0" (errors mention it for RSA key trouble).
    static var version: String {
        guard let text = libssh2_version(0) else { return "unknown" }
        return String(cString: text)
    }

    static let eagain = Int32(LIBSSH2_ERROR_EAGAIN)
}

/// A point in time after which a blocking wait gives up, with the budget it was made from
/// (so the error can say "within 1 s").
struct Deadline: Sendable {
    let instant: ContinuousClock.Instant
    let budget: Duration

    init(_ budget: Duration) {
        self.budget = budget
        instant = .now + budget
    }

    var expired: Bool { ContinuousClock.now >= instant }

    /// Milliseconds left, rounded up so poll() never spins on a sub-millisecond remainder.
    var remainingMilliseconds: Int32 {
        let left = instant - ContinuousClock.now
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }

    var budgetDescription: String { Deadline.describe(budget) }

    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.3g s", value)
    }
}
