import Foundation

/// Four dotted decimal numbers, 0-255 each.
struct IPv4Address: Equatable {
    var octets: [Int]

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part), (0...255).contains(value) else { return nil }
            octets.append(value)
        }
        self.octets = octets
    }

    /// An address with an optional /prefix (0-32): a VIP, a firewall rule's source.
    static func isNetwork(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard IPv4Address(String(parts[0])) != nil else { return false }
        guard parts.count == 2 else { return true }
        return (1...2).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isNumber } && (Int(parts[1]).map { (0...32).contains($0) } ?? false)
    }
}
