import Foundation

/// A `--limit` or `hosts:` pattern that names no host or group of the inventory.
public struct HostPatternError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension Inventory {
    /// Hosts matched by an Ansible pattern: names, groups, `all`/`*`, globs (`web*`), `~regex`,
    /// joined by `,` or `:`; `!x` excludes, `&x` intersects. nil selects every host.
    public func select(limit: String?) throws -> [String] {
        guard let limit, !limit.trimmingCharacters(in: .whitespaces).isEmpty else { return hostNames }
        let terms = limit.split(whereSeparator: { $0 == "," || $0 == ":" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var selected = Set<String>()
        var intersections: [Set<String>] = []
        var exclusions = Set<String>()
        for term in terms {
            if term.hasPrefix("!") { exclusions.formUnion(try match(String(term.dropFirst()))) }
            else if term.hasPrefix("&") { intersections.append(try match(String(term.dropFirst()))) }
            else { selected.formUnion(try match(term)) }
        }
        if selected.isEmpty, terms.allSatisfy({ $0.hasPrefix("!") || $0.hasPrefix("&") }) { selected = Set(hostNames) }
        for set in intersections { selected.formIntersection(set) }
        selected.subtract(exclusions)
        return hostNames.filter(selected.contains)
    }

    private func match(_ term: String) throws -> Set<String> {
        if term == "all" || term == "*" { return Set(hostNames) }
        if groups[term] != nil { return Set(hosts(in: term)) }
        if hostNames.contains(term) { return [term] }
        if term.hasPrefix("~") {
            let regex = try NSRegularExpression(pattern: String(term.dropFirst()))
            let hit = { (name: String) in regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil }
            return Set(hostNames.filter(hit)).union(groupOrder.filter(hit).flatMap(hosts(in:)))
        }
        if term.contains("*") || term.contains("?") {
            let hit = { (name: String) in fnmatch(term, name, 0) == 0 }
            let found = Set(hostNames.filter(hit)).union(groupOrder.filter(hit).flatMap(hosts(in:)))
            if !found.isEmpty { return found }
        }
        let near = Suggest.nearest(term, in: hostNames + groupOrder)
        throw HostPatternError(description: "\(path): no host or group matches '\(term)'" + (near.map { " (did you mean \($0)?)" } ?? ""))
    }
}
