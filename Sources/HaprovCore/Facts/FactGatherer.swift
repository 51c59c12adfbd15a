import Foundation

/// Gathers many facts in one remote round trip: the queries run one after another in a single
/// shell script, each output framed by marker lines that carry a per-run random nonce.
public enum FactGatherer {
    public static func gather(_ queries: [FactQuery], on transport: any Transport, timeout: Duration = .seconds(120)) throws -> HostFacts {
        var cache = FactCache()
        return try gather(queries, on: transport, timeout: timeout, cache: &cache)
    }

    /// The same, with what `cache` knows of the host's files (a file whose stat signature is
    /// the cached one is not hashed again); `cache` learns the hashes the host computed.
    public static func gather(_ queries: [FactQuery], on transport: any Transport, timeout: Duration = .seconds(120), cache: inout FactCache) throws -> HostFacts {
        let unique = self.unique(queries)
        if unique.isEmpty { return HostFacts() }
        let (commands, batches) = merged(unique, cache: cache)
        let nonce = "HAPROV" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let result = try transport.run(script(commands, nonce: nonce), stdin: nil, timeout: timeout)
        var facts = try parse(result.stdout, queries: commands, nonce: nonce, host: transport.hostName)
        // The files batch read once: its parts, what the cache learns, and the status file's
        // signature the packages batch is learnt under.
        let files = batches.first { $0.kind == .files }.flatMap { batch in
            facts.outputs[batchKey(.files)].map { FactBatch.readFiles($0.text, items: batch.items) }
        }
        if let files { cache.learn(files) }
        for batch in batches {
            guard let output = facts.outputs.removeValue(forKey: batchKey(batch.kind)) else { continue }
            let parts: [String: String]
            switch batch.kind {
            case .files: parts = FactBatch.splitFiles(files ?? FactBatch.readFiles(output.text, items: batch.items), items: batch.items, trusted: batch.trusted)
            case .packages where batch.dpkg != nil: parts = packageParts(output.text, items: batch.items, files: files, cache: &cache)
            default: parts = FactBatch.split(batch.kind, output: output.text, items: batch.items, trusted: batch.trusted)
            }
            for query in batch.members {
                let text = (query.batch?.items ?? []).compactMap { parts[$0] }.filter { !$0.isEmpty }
                    .joined(separator: batch.kind == .units ? "\n\n" : "\n")
                facts.outputs[query.key] = FactOutput(exitStatus: output.exitStatus, output: Data(text.utf8))
            }
        }
        return facts
    }

    /// The packages batch's parts where the files' stat read dpkg's status file: the cache's
    /// lines (its marker alone), or awk's after their marker (learnt), or dpkg-query's.
    static func packageParts(_ text: String, items: [String], files: FactBatch.FileReading?, cache: inout FactCache) -> [String: String] {
        if text == FactBatch.cachedPackages, let known = cache.packages { return known.lines }
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard lines.first == Substring(FactBatch.readPackages) else { return FactBatch.split(.packages, output: text, items: items) }
        let parts = FactBatch.split(.packages, output: lines.count > 1 ? String(lines[1]) : "", items: items)
        if let files { cache.learnPackages(parts, items: items, from: files) }
        return parts
    }

    /// The queries of `wanted` that a gathering of `asked` did not answer for them: those of a
    /// new key, and a file read against one module's expected content (it came back as its
    /// hash alone) that a module built since expects otherwise or needs whole, asked again
    /// for its content.
    public static func stillToAsk(_ wanted: [FactQuery], after asked: [FactQuery]) -> [FactQuery] {
        let had = Dictionary(unique(asked).map { ($0.key, $0) }) { first, _ in first }
        return wanted.compactMap { query in
            guard let before = had[query.key] else { return query }
            let both = before.shared(with: query)
            return both == before ? nil : both
        }
    }

    /// One query per key, in the order first asked: what runs for a key asked several times
    /// (`FactQuery.shared(with:)`: two expectations of one file ask for its content).
    static func unique(_ queries: [FactQuery]) -> [FactQuery] {
        var unique: [FactQuery] = []
        var position: [String: Int] = [:]
        for query in queries {
            guard let index = position[query.key] else {
                position[query.key] = unique.count
                unique.append(query)
                continue
            }
            unique[index] = unique[index].shared(with: query)
        }
        return unique
    }

    /// The items of every query of one batch kind, run as one command.
    struct MergedBatch {
        var kind: FactBatch.Kind
        var items: [String]
        var members: [FactQuery]
        var expected: [String: String] = [:]
        /// Files whose expected hash the cache holds, under the signature it holds it for.
        var trusted: [String: FactCache.Entry] = [:]
        /// Set on both the files and the packages batch when the files' stat reads dpkg's status file.
        var dpkg: FactBatch.DpkgStatus?
        var command: String { FactBatch.command(kind, items: items, expected: expected, trusted: trusted, dpkg: dpkg) }
    }

    /// The commands to run: unbatched queries as they are, and one command per batch kind for
    /// the items of all its queries (in the order first asked), in place of the first of them.
    static func merged(_ queries: [FactQuery], cache: FactCache = FactCache()) -> (commands: [FactQuery], batches: [MergedBatch]) {
        var batches: [MergedBatch] = []
        for query in queries {
            guard let batch = query.batch else { continue }
            let index = batches.firstIndex { $0.kind == batch.kind } ?? {
                batches.append(MergedBatch(kind: batch.kind, items: [], members: []))
                return batches.count - 1
            }()
            batches[index].members.append(query)
            for item in batch.items where !batches[index].items.contains(item) { batches[index].items.append(item) }
            batches[index].expected.merge(batch.expected) { first, _ in first }
        }
        let files = batches.firstIndex { $0.kind == .files }
        if let files {
            for (path, hash) in batches[files].expected {
                if let entry = cache.files[path], entry.sha256 == hash { batches[files].trusted[path] = entry }
            }
        }
        // Packages read by awk on a host whose files are stat'ed: the stat reads dpkg's status
        // file too, for the cache (and runs first: the packages batch reads its flag).
        if let files, let packages = batches.firstIndex(where: { $0.kind == .packages }), batches[packages].items.allSatisfy(FactBatch.isPlainPackageName) {
            let status = cache.packagesSignature(for: batches[packages].items).map(FactBatch.DpkgStatus.known) ?? .learn
            batches[files].dpkg = status
            batches[packages].dpkg = status
        }
        var commands: [FactQuery] = []
        var emitted: Set<FactBatch.Kind> = []
        func emit(_ kind: FactBatch.Kind) {
            guard !emitted.contains(kind), let batch = batches.first(where: { $0.kind == kind }) else { return }
            emitted.insert(kind)
            commands.append(FactQuery(key: batchKey(kind), command: batch.command, ownShell: false))
        }
        for query in queries {
            guard let kind = query.batch?.kind else { commands.append(query); continue }
            if kind == .packages, let files, batches[files].dpkg != nil { emit(.files) }
            emit(kind)
        }
        return (commands, batches)
    }

    static func batchKey(_ kind: FactBatch.Kind) -> String { "batch:\(kind.rawValue)" }

    /// The script: `LC_ALL=C` so tools print stable text; each query in a subshell so an `exit`
    /// in one cannot end the others.
    static func script(_ queries: [FactQuery], nonce: String) -> String {
        var lines = ["export LC_ALL=C"]
        for (index, query) in queries.enumerated() {
            lines.append("printf '%s\\n' '\(nonce) begin \(index)'")
            lines.append(query.ownShell ? "( \(query.command)\n) 2>/dev/null </dev/null" : "{ \(query.command)\n} 2>/dev/null </dev/null")
            lines.append("printf '\\n%s %d\\n' '\(nonce) end' $?")
        }
        return lines.joined(separator: "\n")
    }

    static func parse(_ data: Data, queries: [FactQuery], nonce: String, host: String) throws -> HostFacts {
        let bytes = [UInt8](data)
        var outputs: [String: FactOutput] = [:]
        var cursor = 0
        for (index, query) in queries.enumerated() {
            let begin = Array("\(nonce) begin \(index)\n".utf8)
            let end = Array("\n\(nonce) end ".utf8)
            guard let beginAt = find(begin, in: bytes, from: cursor),
                  let endAt = find(end, in: bytes, from: beginAt + begin.count) else {
                // The host answered, but not as expected: that host fails with the reason; it is
                // not unreachable.
                throw FactError(message: "\(host): the facts came back cut short at \(query.key) (\(data.count) bytes read); run `haprov run INV --limit \(host) -- true` to see what the login prints")
            }
            let body = Data(bytes[(beginAt + begin.count)..<endAt])
            var statusEnd = endAt + end.count
            while statusEnd < bytes.count, bytes[statusEnd] != UInt8(ascii: "\n") { statusEnd += 1 }
            let status = Int32(String(decoding: bytes[(endAt + end.count)..<statusEnd], as: UTF8.self)) ?? -1
            outputs[query.key] = FactOutput(exitStatus: status, output: trimTrailingNewline(body))
            cursor = statusEnd
        }
        return HostFacts(outputs: outputs)
    }

    private static func trimTrailingNewline(_ data: Data) -> Data {
        // The end marker starts with its own newline; drop one trailing newline the command printed.
        if data.last == UInt8(ascii: "\n") { return data.dropLast() }
        return data
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count - start else { return nil }
        var i = start
        let limit = haystack.count - needle.count
        while i <= limit {
            if haystack[i] == needle[0], Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
