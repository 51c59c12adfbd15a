import Stencil

/// Finds variables a template uses but the host does not define, before rendering.
///
/// Stencil renders an undefined variable as "", which would ship a broken config silently.
/// Checked: `{{ ... }}` expressions (unless filtered through `default`) and `for` sources.
/// `if` conditions stay lenient so templates can test optional settings.
enum StrictVariables {
    static func check(_ tokens: [Token], variables: [String: Value], name: String) throws {
        var loopNames: [[String]] = []
        for token in tokens {
            let line = Int(token.sourceMap.location.lineNumber)
            switch token.kind {
            case .variable:
                let filters = token.contents.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
                if filters.contains(where: { $0.hasPrefix("default") }) { continue }
                var expression = token.contents.split(separator: "|").first.map(String.init) ?? ""
                if let ifRange = expression.range(of: " if ") { expression = String(expression[..<ifRange.lowerBound]) }
                try require(expression.trimmingCharacters(in: .whitespaces), loopNames: loopNames.flatMap { $0 }, variables: variables, name: name, line: line)
            case .block:
                let words = token.components
                guard let tag = words.first else { continue }
                if tag == "for", let inIndex = words.firstIndex(of: "in"), inIndex + 1 < words.count {
                    let source = words[inIndex + 1]
                    try require(source, loopNames: loopNames.flatMap { $0 }, variables: variables, name: name, line: line)
                    let declared = words[1..<inIndex].joined(separator: " ").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    loopNames.append(declared + ["forloop"])
                } else if tag == "endfor", !loopNames.isEmpty {
                    loopNames.removeLast()
                }
            default:
                continue
            }
        }
    }

    private static func require(_ path: String, loopNames: [String], variables: [String: Value], name: String, line: Int) throws {
        guard let first = path.first, first.isLetter || first == "_" else { return }  // literal
        let parts = path.split(separator: ".").map(String.init)
        guard let root = parts.first, root != "true", root != "false" else { return }
        if loopNames.contains(root) { return }
        guard var current = variables[root] else {
            throw TemplateError(template: name, line: line, message: "undefined variable '\(root)' (define it in the inventory, group_vars, host_vars or the role's defaults)")
        }
        for part in parts.dropFirst() {
            switch current {
            case .map(let entries):
                guard let next = entries[part] else {
                    throw TemplateError(template: name, line: line, message: "undefined variable '\(path)': '\(part)' is not a key of '\(root)'")
                }
                current = next
            case .list(let items):
                if ["count", "first", "last"].contains(part) { return }
                guard let index = Int(part), items.indices.contains(index) else {
                    throw TemplateError(template: name, line: line, message: "undefined variable '\(path)'")
                }
                current = items[index]
            default:
                return
            }
        }
    }
}
