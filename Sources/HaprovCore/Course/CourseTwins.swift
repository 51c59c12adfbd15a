import Foundation

/// `haprov course new`: a class of lab twins written from one lab inventory, the text changed
/// where a twin must differ (lab name, key folder, subnet, VRRP router id) and nowhere else, so
/// the teacher's comments stay. Names, subnets and bridges never collide between twins.
public enum CourseTwins {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public struct Twin: Sendable {
        public var name: String
        public var subnet: String
        public var text: String
    }

    /// `count` twins of `source` (an inventory with haprov_lab), named PREFIXNN, in subnets
    /// 10.213.FIRST.0/24, 10.213.FIRST+1.0/24, ...
    public static func make(from source: String, text: String, count: Int, prefix: String?, firstOctet: Int) throws -> [Twin] {
        let inventory = try Inventory.load(path: source)
        guard case .map(let lab)? = inventory.groupVariables("all")["haprov_lab"], let name = lab["name"]?.plainString,
              let subnet = lab["subnet"]?.plainString else {
            throw Problem(description: "\(source) is not a lab inventory: it needs all.vars.haprov_lab with name and subnet")
        }
        let parts = subnet.split(separator: "/")[0].split(separator: ".")
        guard parts.count == 4, subnet.hasSuffix("/24") else {
            throw Problem(description: "\(source): haprov_lab.subnet \(subnet) must be a /24 for twins")
        }
        let base = parts[0...2].joined(separator: ".") + "."
        guard (1...100).contains(count) else { throw Problem(description: "--count \(count): give 1 to 100 labs") }
        guard (1...254).contains(firstOctet), firstOctet + count - 1 <= 254 else {
            throw Problem(description: "--first-subnet: 10.213.\(firstOctet).0/24 and the \(count - 1) after it must stay within 10.213.1-254")
        }
        let digits = count >= 100 ? 3 : 2
        let stem = prefix ?? String(name.prefix(12 - digits))
        guard stem.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) != nil, stem.count + digits <= 12 else {
            throw Problem(description: "--prefix \(stem): lower-case letters, digits and -, at most \(12 - digits) characters (a lab name has 12 at most)")
        }
        return (1...count).map { index in
            let twinName = stem + String(format: "%0\(digits)d", index)
            let octet = firstOctet + index - 1
            var twin = text.replacingOccurrences(of: "/lab/\(name)/", with: "/lab/\(twinName)/")
            twin = twin.replacingOccurrences(of: "name: \(name),", with: "name: \(twinName),")
                .replacingOccurrences(of: "name: \(name)}", with: "name: \(twinName)}")
                .replacingOccurrences(of: "name: \(name)\n", with: "name: \(twinName)\n")
            twin = twin.replacingOccurrences(of: base, with: "10.213.\(octet).")
            // VRRP router ids differ too, although each twin has a bridge of its own.
            if let regex = try? NSRegularExpression(pattern: #"(keepalived_router_id:\s*)(\d+)"#) {
                let range = NSRange(twin.startIndex..., in: twin)
                for match in regex.matches(in: twin, range: range).reversed() {
                    guard let number = Range(match.range(at: 2), in: twin), let old = Int(twin[number]) else { continue }
                    twin.replaceSubrange(number, with: String((old - 1 + index - 1) % 255 + 1))
                }
            }
            return Twin(name: twinName, subnet: "10.213.\(octet).0/24", text: "# Lab twin \(index) of \(count), made by haprov course new from \((source as NSString).lastPathComponent).\n" + twin)
        }
    }
}
