/// Unified diffs of text files, for `--diff` and for drift reports.
public enum UnifiedDiff {
    /// A unified diff (3 lines of context) from `old` to `new`, or "" when they are equal.
    public static func make(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = lines(old), b = lines(new)
        if a == b { return "" }
        let ops = editScript(a, b)
        var out = "--- \(oldName)\n+++ \(newName)\n"
        // Group edits into hunks with `context` unchanged lines around them.
        var index = 0
        while index < ops.count {
            guard let firstChange = ops[index...].firstIndex(where: { $0.kind != .same }) else { break }
            var end = firstChange
            var last = firstChange
            while end < ops.count {
                if ops[end].kind != .same { last = end; end += 1; continue }
                if end - last > context * 2 { break }
                end += 1
            }
            let start = max(index, firstChange - context)
            let stop = min(ops.count, last + context + 1)
            let hunk = ops[start..<stop]
            let oldStart = hunk.first.map { $0.oldLine } ?? 0
            let newStart = hunk.first.map { $0.newLine } ?? 0
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            out += "@@ -\(oldCount == 0 ? oldStart : oldStart + 1),\(oldCount) +\(newCount == 0 ? newStart : newStart + 1),\(newCount) @@\n"
            for op in hunk {
                switch op.kind {
                case .same: out += " \(op.text)\n"
                case .delete: out += "-\(op.text)\n"
                case .insert: out += "+\(op.text)\n"
                }
            }
            index = stop
        }
        return out
    }

    private static func lines(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    private enum Kind { case same, delete, insert }
    private struct Op { var kind: Kind; var text: String; var oldLine: Int; var newLine: Int }

    /// Longest-common-subsequence edit script; config files are small, so O(n·m) is fine.
    private static func editScript(_ a: [String], _ b: [String]) -> [Op] {
        let n = a.count, m = b.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                ops.append(Op(kind: .same, text: a[i], oldLine: i, newLine: j)); i += 1; j += 1
            } else if j < m, i == n || table[i][j + 1] >= table[i + 1][j] {
                ops.append(Op(kind: .insert, text: b[j], oldLine: i, newLine: j)); j += 1
            } else {
                ops.append(Op(kind: .delete, text: a[i], oldLine: i, newLine: j)); i += 1
            }
        }
        return ops
    }
}
