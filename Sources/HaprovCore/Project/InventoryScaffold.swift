import Foundation

/// `haprov init STACK`: an inventory for the user's own machines, made from the seed's
/// inventory of that stack (Inventories/, commented in the seeds' terms) with the user's
/// addresses, VIP, gateway, interface and prefix in place of the seed's.
public struct InventoryScaffold: Sendable {
    /// The stacks and the seed inventory each starts from.
    public static let stacks: [(name: String, file: String, summary: String)] = [
        ("sam", "sam.yml", "HAProxy in front of two Flask servers in Docker, netplan (seed 001)"),
        ("keepalived", "keepalived-haproxy.yml", "two HAProxy load balancers sharing a VIP with Keepalived (seeds 000, 004)"),
        ("apache", "keepalived-apache.yml", "Keepalived + Apache mod_proxy_balancer (seed 002)"),
        ("transparent", "transparent.yml", "HAProxy transparent mode with TPROXY, backends see clients (seed 003)"),
    ]

    /// One value the user may give: its key (`address:HOST`, `vip`, `gateway`, `interface`,
    /// `prefix`), what to ask, and the seed's value.
    public struct Question: Sendable, Equatable {
        public enum Kind: Sendable { case address, vip, interface, prefix }
        public var key: String
        public var prompt: String
        public var seed: String
        public var kind: Kind
    }

    public let stack: String
    public let source: String
    public let questions: [Question]

    /// The scaffold of `stack`, from haprov's own Inventories folder.
    public static func load(stack: String) throws -> InventoryScaffold {
        guard let entry = stacks.first(where: { $0.name == stack }) else {
            throw ScaffoldError("no stack \(stack): choose \(stacks.map(\.name).joined(separator: ", "))"
                                + (Suggest.nearest(stack, in: stacks.map(\.name)).map { " (did you mean \($0)?)" } ?? ""))
        }
        guard let folder = ProjectPaths.builtInCandidates("Inventories").first(where: ProjectPaths.isDirectory) else {
            throw ScaffoldError("haprov's own Inventories folder is missing; looked in \(ProjectPaths.builtInCandidates("Inventories").joined(separator: ", ")) (fix: reinstall with Scripts/install)")
        }
        let path = folder + "/" + entry.file
        let inventory = try Inventory.load(path: path)
        var questions: [Question] = []
        for host in inventory.hostNames {
            if let address = inventory.variables(for: host, magic: false)["ansible_host"]?.plainString {
                questions.append(Question(key: "address:\(host)", prompt: "address of \(host)", seed: address, kind: .address))
            }
        }
        let all = inventory.hostNames.map { inventory.variables(for: $0, magic: false) }
        func first(_ name: String) -> String? { all.lazy.compactMap { $0[name]?.plainString }.first }
        if let vip = first("keepalived_vip") { questions.append(Question(key: "vip", prompt: "virtual IP address (VIP) shared by the load balancers", seed: vip, kind: .vip)) }
        if let gateway = first("network_gateway") { questions.append(Question(key: "gateway", prompt: "gateway of the network", seed: gateway, kind: .address)) }
        if let prefix = first("network_prefix") { questions.append(Question(key: "prefix", prompt: "prefix length of the network (24 for 255.255.255.0)", seed: prefix, kind: .prefix)) }
        if let interface = first("keepalived_interface") ?? first("network_interface") {
            questions.append(Question(key: "interface", prompt: "network interface of the machines (ip -br link)", seed: interface, kind: .interface))
        }
        return InventoryScaffold(stack: stack, source: try String(contentsOfFile: path, encoding: .utf8), questions: questions)
    }

    /// Whether `answer` fits the question; the reason when it does not.
    public static func problem(_ answer: String, for question: Question) -> String? {
        switch question.kind {
        case .address: return IPv4Address(answer) != nil ? nil : "'\(answer)' is not an IPv4 address (e.g. \(question.seed))"
        case .vip: return IPv4Address.isNetwork(answer) ? nil : "'\(answer)' is not an IPv4 address with an optional /prefix (e.g. \(question.seed))"
        case .prefix: return Int(answer).map { (1...32).contains($0) } == true ? nil : "'\(answer)' is not a prefix length from 1 to 32"
        case .interface: return NetworkConfigModule.isInterfaceName(answer) ? nil : "'\(answer)' is not an interface name (e.g. \(question.seed))"
        }
    }

    /// The inventory with `answers` (by question key) in place of the seed's values; unknown
    /// keys and bad values are refused, all at once.
    public func render(answers: [String: String], command: String) throws -> String {
        var problems: [String] = []
        let machines = questions.compactMap { $0.key.hasPrefix("address:") ? String($0.key.dropFirst(8)) : nil }
        for key in answers.keys.sorted() where !questions.contains(where: { $0.key == key }) {
            if key.hasPrefix("address:") {
                let host = String(key.dropFirst(8))
                problems.append("--address \(host): the \(stack) stack has no machine \(host) (its machines: \(machines.joined(separator: ", ")))"
                                + (Suggest.nearest(host, in: machines).map { "; did you mean \($0)?" } ?? ""))
            } else {
                problems.append("--\(key): the \(stack) stack has no \(key)")
            }
        }
        for question in questions {
            if let answer = answers[question.key], let why = Self.problem(answer, for: question) {
                problems.append((question.key.hasPrefix("address:") ? "--address \(question.key.dropFirst(8))" : "--\(question.key)") + ": " + why)
            }
        }
        if !problems.isEmpty { throw ScaffoldError(problems.joined(separator: "\n")) }
        // Addresses everywhere they appear (backends, web_gateway, comments), in two steps so
        // that two hosts may swap addresses.
        var text = source
        var replacements: [(old: String, new: String)] = []
        for question in questions {
            guard let answer = answers[question.key], answer != question.seed else { continue }
            switch question.kind {
            case .address: replacements.append((question.seed, answer))
            case .vip:
                let (oldIP, newIP) = (String(question.seed.split(separator: "/")[0]), String(answer.split(separator: "/")[0]))
                if oldIP != newIP { replacements.append((oldIP, newIP)) }
                if answer.contains("/") { text = Self.replaceValue(of: "keepalived_vip", in: text, with: answer) }
            case .prefix: text = Self.replaceValue(of: "network_prefix", in: text, with: answer)
            case .interface:
                text = Self.replaceValue(of: "keepalived_interface", in: text, with: answer)
                text = Self.replaceValue(of: "network_interface", in: text, with: answer)
            }
        }
        for (index, replacement) in replacements.enumerated() {
            let pattern = #"(?<![0-9.])"# + NSRegularExpression.escapedPattern(for: replacement.old) + #"(?![0-9])"#
            text = text.replacingOccurrences(of: pattern, with: "@@haprov-init-\(index)@@", options: .regularExpression)
        }
        for (index, replacement) in replacements.enumerated() {
            text = text.replacingOccurrences(of: "@@haprov-init-\(index)@@", with: replacement.new)
        }
        let header = """
            # Written by `\(command)` for your own machines, from the seed's inventory below.
            # ansible_host is where haprov reaches each machine now; with the network role it is also
            # the static address it gets (see the README, From DHCP to the addressing plan).
            # Next: haprov apply --syntax-check inventory/lab.yaml, then haprov apply inventory/lab.yaml

            """
        return header + text
    }

    /// `KEY: value` lines get `value`, keeping their indentation.
    static func replaceValue(of key: String, in text: String, with value: String) -> String {
        text.replacingOccurrences(of: #"(?m)^(\s*"# + key + #":\s*)\S.*$"#, with: "$1" + NSRegularExpression.escapedTemplate(for: value), options: .regularExpression)
    }
}

public struct ScaffoldError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
