import Foundation
import Yams

extension Inventory {
    static let groupKeys = ["hosts", "children", "vars"]

    /// Reads an Ansible YAML inventory and the group_vars/ and host_vars/ folders beside it.
    /// All problems are collected and thrown together as `LoadError`.
    public static func load(path: String) throws -> Inventory {
        var inventory = Inventory(path: path)
        var problems: [Diagnostic] = []
        let document: YAMLDocument
        document = try YAMLDocument(path: path)
        inventory.groups["all"] = Group(name: "all")
        inventory.groupOrder = ["all", "ungrouped"]
        inventory.groups["ungrouped"] = Group(name: "ungrouped")
        guard let root = document.root else {
            throw LoadError(problems: [Diagnostic(location: path, message: "the inventory is empty", fix: "start with all: hosts: ...")])
        }
        guard case .mapping(let mapping) = root else {
            throw LoadError(problems: [Diagnostic(location: document.location(root), message: "the inventory must be a mapping of groups (all: ...)")])
        }
        var seenKeys: [String: String] = [:]
        for (keyNode, groupNode) in mapping {
            let name = keyNode.string ?? ""
            if let first = seenKeys[name] {
                problems.append(Diagnostic(location: document.location(keyNode), message: "group \(name) is defined twice (first at \(first))"))
            }
            seenKeys[name] = document.location(keyNode)
            inventory.parseGroup(name, node: groupNode, parent: name == "all" ? nil : "all", document: document, problems: &problems, stack: [])
        }
        inventory.finish(problems: &problems, document: document)
        inventory.loadFolders(problems: &problems)
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return inventory
    }

    private mutating func addGroup(_ name: String, parent: String?) {
        if groups[name] == nil {
            groups[name] = Group(name: name)
            groupOrder.append(name)
        }
        if let parent, groups[parent]?.children.contains(name) == false { groups[parent]?.children.append(name) }
    }

    private mutating func parseGroup(_ name: String, node: Node, parent: String?, document: YAMLDocument,
                                     problems: inout [Diagnostic], stack: [String]) {
        let here = document.location(node)
        if stack.contains(name) {
            problems.append(Diagnostic(location: here, message: "group \(name) is its own ancestor (\((stack + [name]).joined(separator: " > ")))"))
            return
        }
        if !Self.isGroupName(name) {
            problems.append(Diagnostic(location: document.location(node), message: "invalid group name '\(name)'",
                                        fix: "a group name is letters, digits and _, not starting with a digit, as Ansible wants (e.g. \(Self.suggestedGroupName(name)))"))
            // Read on: the problems inside the group are reported too.
        }
        addGroup(name, parent: parent)
        if case .scalar(let scalar) = node, YAMLDocument.value(.scalar(scalar)) == .null { return }
        guard case .mapping(let mapping) = node else {
            problems.append(Diagnostic(location: here, message: "group \(name) must be a mapping with hosts, children or vars"))
            return
        }
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? ""
            let at = document.location(keyNode)
            switch key {
            case "hosts":
                if YAMLDocument.value(valueNode) == .null { continue }
                guard case .mapping(let hosts) = valueNode else {
                    problems.append(Diagnostic(location: at, message: "hosts of \(name) must be a mapping (host: vars)", fix: "write `web1:` on its own line, not a list item"))
                    continue
                }
                for (hostNode, varsNode) in hosts {
                    let written = hostNode.string ?? ""
                    let expanded = expand(written)
                    if let bad = expanded.first(where: { !Self.isHostName($0) }) {
                        problems.append(Diagnostic(location: document.location(hostNode), message: "invalid host name '\(bad)'",
                                                    fix: "a host name is letters, digits, '.', '-' and '_' (or an IP address); put the address in ansible_host"))
                        continue
                    }
                    for host in expanded {
                        if !hostNames.contains(host) { hostNames.append(host) }
                        if groups[name]?.hosts.contains(host) == false { groups[name]?.hosts.append(host) }
                        switch YAMLDocument.value(varsNode) {
                        case .null: break
                        case .map(let vars):
                            hostVars[host, default: [:]].merge(vars) { _, new in new }
                            hostVarLocations[host, default: [:]].merge(document.valueLocations(varsNode)) { _, new in new }
                            checkConnectionVars(vars, node: varsNode, document: document, problems: &problems)
                        default:
                            problems.append(Diagnostic(location: document.location(varsNode), message: "variables of host \(host) must be a mapping"))
                        }
                    }
                }
            case "children":
                if YAMLDocument.value(valueNode) == .null { continue }
                guard case .mapping(let children) = valueNode else {
                    problems.append(Diagnostic(location: at, message: "children of \(name) must be a mapping of groups"))
                    continue
                }
                for (childKey, childNode) in children {
                    parseGroup(childKey.string ?? "", node: childNode, parent: name, document: document, problems: &problems, stack: stack + [name])
                }
            case "vars":
                switch YAMLDocument.value(valueNode) {
                case .null: break
                case .map(let vars):
                    groups[name]?.vars.merge(vars) { _, new in new }
                    groups[name]?.varLocations.merge(document.valueLocations(valueNode)) { _, new in new }
                    checkConnectionVars(vars, node: valueNode, document: document, problems: &problems)
                default:
                    problems.append(Diagnostic(location: at, message: "vars of \(name) must be a mapping"))
                }
            default:
                problems.append(Diagnostic(location: at, message: "unknown key '\(key)' in group \(name)",
                                            fix: Suggest.nearest(key, in: Self.groupKeys).map { "did you mean \($0)?" } ?? "a group has hosts, children and vars"))
            }
        }
    }

    /// Ansible's valid group names: a Python identifier.
    static func isGroupName(_ name: String) -> Bool {
        name.isWord(first: ASCIIClass("A-Za-z_"), rest: ASCIIClass("A-Za-z0-9_"))
    }

    /// Host names haprov accepts: a DNS-like name or an IP address; nothing a shell would read
    /// as anything but a word.
    static func isHostName(_ name: String) -> Bool {
        name.isWord(first: ASCIIClass("A-Za-z0-9_"), rest: ASCIIClass("A-Za-z0-9._\\-"))
            || isIPv6Like(name)
    }

    /// `^[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*$`: hex digits and colons, a colon after the first
    /// character and before any dot (an IPv4 tail).
    static func isIPv6Like(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        let dot = bytes.firstIndex(of: UInt8(ascii: ".")) ?? bytes.count
        let hexColon = ASCIIClass("0-9A-Fa-f:")
        return dot > 1 && name.isWord(rest: ASCIIClass("0-9A-Fa-f:.")) && bytes[..<dot].allSatisfy(hexColon.contains)
            && bytes[1..<dot].contains(UInt8(ascii: ":"))
    }

    static func suggestedGroupName(_ name: String) -> String {
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        return cleaned.first?.isNumber == true || cleaned.isEmpty ? "g_" + cleaned : cleaned
    }

    /// `web[1:3]` → web1, web2, web3; `db[01:02]` keeps the zero padding.
    func expand(_ pattern: String) -> [String] {
        guard let open = pattern.firstIndex(of: "["), let close = pattern.firstIndex(of: "]"), open < close else { return [pattern] }
        let inner = pattern[pattern.index(after: open)..<close].split(separator: ":").map(String.init)
        guard inner.count == 2, let from = Int(inner[0]), let to = Int(inner[1]), from <= to else { return [pattern] }
        let width = inner[0].count
        let prefix = pattern[..<open], suffix = pattern[pattern.index(after: close)...]
        return (from...to).map { n in
            let digits = String(n)
            return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits + suffix
        }
    }

    private func checkConnectionVars(_ vars: [String: Value], node: Node, document: YAMLDocument, problems: inout [Diagnostic]) {
        for key in ["ansible_port", "haprov_port"] {
            guard let value = vars[key] else { continue }
            if let port = value.intValue, (1...65535).contains(port) { continue }
            problems.append(Diagnostic(location: document.location(node), message: "\(key) must be a port number from 1 to 65535, not \(value.plainString ?? "a collection")"))
        }
    }

    /// Groups that are also host names are refused; hosts in no group land in ungrouped.
    private mutating func finish(problems: inout [Diagnostic], document: YAMLDocument) {
        for group in groupOrder where hostNames.contains(group) {
            problems.append(Diagnostic(location: path, message: "\(group) is both a group and a host", fix: "rename one of them"))
        }
        // A host listed under ungrouped: by hand is there already, once.
        for host in hostNames where !groupOrder.contains(where: { $0 != "all" && $0 != "ungrouped" && groups[$0]?.hosts.contains(host) == true })
            && groups["ungrouped"]?.hosts.contains(host) == false {
            groups["ungrouped"]?.hosts.append(host)
        }
        if groups["all"]?.children.contains("ungrouped") == false { groups["all"]?.children.insert("ungrouped", at: 0) }
        for group in groupOrder where group != "all" && !groupOrder.contains(where: { groups[$0]?.children.contains(group) == true }) {
            groups["all"]?.children.append(group)
        }
    }

    /// group_vars/NAME(.yml|.yaml|/) and host_vars/NAME beside the inventory file.
    private mutating func loadFolders(problems: inout [Diagnostic]) {
        for (folder, names) in [("group_vars", groupOrder), ("host_vars", hostNames)] {
            let base = (directory as NSString).appendingPathComponent(folder)
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { continue }
            for entry in entries.sorted() {
                let full = base + "/" + entry
                let name = entry.hasSuffix(".yml") ? String(entry.dropLast(4)) : entry.hasSuffix(".yaml") ? String(entry.dropLast(5)) : entry
                guard names.contains(name) else {
                    if !entry.hasPrefix(".") {
                        problems.append(Diagnostic(location: full, message: "\(folder)/\(entry) names no \(folder == "group_vars" ? "group" : "host") of this inventory",
                                                    fix: Suggest.nearest(name, in: names).map { "did you mean \($0)?" }))
                    }
                    continue
                }
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
                let files = isDirectory.boolValue
                    ? ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted().filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.map { full + "/" + $0 }
                    : [full]
                for file in files {
                    do {
                        let (vars, locations) = try RoleLoader.loadVariablesWithLocations(file)
                        if folder == "group_vars" {
                            groups[name]?.folderVars.merge(vars) { _, new in new }
                            groups[name]?.folderVarLocations.merge(locations) { _, new in new }
                        } else {
                            hostFolderVars[name, default: [:]].merge(vars) { _, new in new }
                            hostFolderVarLocations[name, default: [:]].merge(locations) { _, new in new }
                        }
                    } catch let error as LoadError {
                        problems += error.problems
                    } catch {
                        problems.append(Diagnostic(location: file, message: "\(error)"))
                    }
                }
            }
        }
    }
}
