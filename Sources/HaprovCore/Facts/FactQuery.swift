import Foundation

/// One fact a module needs: a read-only shell command whose output the module parses.
///
/// Queries are keyed so that two tasks asking for the same fact share one command, and all the
/// queries of a host run in a single remote round trip (see `FactGatherer`).
public struct FactQuery: Sendable, Hashable {
    public var key: String
    public var command: String
    /// Set when one command answers this query together with others of its kind (see `FactBatch`).
    public var batch: FactBatch?
    /// Runs in a subshell of its own, so that an `exit` in it cannot end the queries after it.
    /// haprov's own queries that never exit run without one: a fork less per query per host.
    public var ownShell = true

    public init(key: String, command: String, batch: FactBatch? = nil, ownShell: Bool = true) {
        self.key = key
        self.command = command
        self.batch = batch
        self.ownShell = ownShell
    }

    /// The one query to run for this key when `other` has the same key: two modules expecting
    /// different contents of one file both get its content.
    func shared(with other: FactQuery) -> FactQuery {
        guard other != self, batch?.kind == .files, other.batch?.kind == .files, let path = batch?.items.first else { return self }
        return Facts.file(path)
    }
}

/// Queries that one command answers for many items at once: the dpkg status of packages, the
/// state of systemd units. Each such command costs the host a few milliseconds of CPU however
/// many items it is given, so the gatherer runs it once per host for the items of every query
/// of its kind and hands each query the part of the output about its own items, exactly as if
/// the query had run alone (modules and their fixtures do not see the difference).
public struct FactBatch: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `dpkg-query -W` lines, one per installed or known package, first field the bare name.
        case packages
        /// `systemctl show` blocks, one per unit in the order asked, separated by a blank line.
        case units
        /// `Facts.file`: one `stat` for every file, then each small file's content.
        case files
    }

    public var kind: Kind
    public var items: [String]
    /// Files only: the sha256 a module expects an item to have. A file that has it comes back
    /// as its hash alone, so an unchanged file costs no base64 process and no bytes.
    public var expected: [String: String] = [:]
    /// Files only: what the fact cache knows of an item whose expected hash it holds. A file
    /// whose stat signature is still the cached one is not hashed again (see `FactCache`).
    public var trusted: [String: FactCache.Entry] = [:]
    /// Files: dpkg's status file is stat'ed with them (see `DpkgStatus`). Packages: `.known`
    /// reads the flag the files batch set, and nothing is read when the cache's lines hold.
    public var dpkg: DpkgStatus?

    /// What the fact cache does with dpkg's status file in one gathering: learn its signature
    /// (awk reads the file), or compare it with the one the cache knows the packages' lines for.
    public enum DpkgStatus: Sendable, Hashable {
        case learn
        case known(String)
    }

    public init(_ kind: Kind, items: [String], expected: [String: String] = [:], trusted: [String: FactCache.Entry] = [:]) {
        self.kind = kind
        self.items = items
        self.expected = expected
        self.trusted = trusted
    }

    /// The command for these items; each query's own command is what `command(items)` gives for its items alone.
    public static func command(_ kind: Kind, items: [String], expected: [String: String] = [:], trusted: [String: FactCache.Entry] = [:],
                               dpkg: DpkgStatus? = nil) -> String {
        switch kind {
        case .packages:
            let query = "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' \(Shell.join(items)) 2>/dev/null; true"
            // Plain names are read from dpkg's status file by awk, which costs the host a third
            // of dpkg-query's CPU and prints the same lines (FactBatchTests compares them on every
            // package of the machine). dpkg-query itself for names with an architecture or a
            // pattern, and while dpkg has updates not yet merged into the status file. Not read
            // at all when the files batch saw the status file as the fact cache knows it.
            guard items.allSatisfy(isPlainPackageName) else { return query }
            // With the fact cache: the marker line when the files batch found the status file
            // as the cache knows it, and a marker before awk's lines (what may be learnt: not
            // dpkg-query's, which reads updates the status file does not have yet).
            let cached = dpkg.map { _ in "if [ \"${haprov_dpkg:-}\" = same ] && ! [ -e \"$1\" ]; then echo \(cachedPackages); el" } ?? ""
            let read = dpkg == nil ? "" : "echo \(readPackages); "
            return """
                set -- /var/lib/dpkg/updates/[0-9]*; \(cached)if [ -e "$1" ] || ! [ -r /var/lib/dpkg/status ]; then \(query); else \(read)\
                HAPROV_PACKAGES=\(Shell.quote(items.joined(separator: " "))) awk \(Shell.quote(statusReader)) /var/lib/dpkg/status; fi
                """
        case .units:
            return "systemctl show -p LoadState,ActiveState,UnitFileState \(Shell.join(items))"
        case .files:
            return filesCommand(items, expected: expected, trusted: trusted, dpkg: dpkg)
        }
    }

    /// What the packages batch prints when the cache's lines hold, and before awk's lines.
    static let cachedPackages = "@@dpkg-same"
    static let readPackages = "@@dpkg-read"

    /// A package name as dpkg writes it, with nothing a pattern or an architecture would add.
    static func isPlainPackageName(_ name: String) -> Bool {
        name.isWord(first: ASCIIClass("a-z0-9"), rest: ASCIIClass("a-z0-9+.\\-"))
    }

    /// `dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Version}\n'` for the names in
    /// $HAPROV_PACKAGES, from the status file: one line per stanza of an asked package (each
    /// architecture of a multi-arch one), the status abbreviated as dpkg does (desired, status,
    /// error flag).
    static let statusReader = #"""
        BEGIN {
          s1 = "unknown"; s2 = "ok"; s3 = "not-installed"
          n = split(ENVIRON["HAPROV_PACKAGES"], w, " "); for (i = 1; i <= n; i++) asked[w[i]] = 1
          split("unknown u install i hold h deinstall r purge p", a, " "); for (i = 1; i < 10; i += 2) want[a[i]] = a[i + 1]
          split("not-installed n config-files c half-installed H unpacked U half-configured F triggers-awaited W triggers-pending t installed i", b, " ")
          for (i = 1; i < 16; i += 2) state[b[i]] = b[i + 1]
        }
        function flush() {
          # dpkg forgets what it knows of a package neither installed nor wanted: "un", no version.
          if (s3 == "not-installed" && s2 == "ok" && s1 != "install" && s1 != "hold") { s1 = "unknown"; v = "" }
          if (p != "" && (p in asked)) printf "%s\t%s%s%s\t%s\n", p, want[s1], state[s3], (s2 == "ok" ? " " : "R"), v
          p = ""; v = ""; s1 = "unknown"; s2 = "ok"; s3 = "not-installed"
        }
        /^Package: / { p = $2 }
        /^Status: / { s1 = $2; s2 = $3; s3 = $4 }
        /^Version: / { v = $2 }
        /^$/ { flush() }
        END { flush() }
        """#

    /// The output about each item, from the output of `command(kind, items:)`.
    static func split(_ kind: Kind, output: String, items: [String], trusted: [String: FactCache.Entry] = [:]) -> [String: String] {
        switch kind {
        case .packages:
            // dpkg prints the bare name (no :arch, no =version); an unknown package prints nothing.
            var lines: [String: [String]] = [:]
            for line in output.split(separator: "\n") {
                let name = String(line.prefix { $0 != "\t" })
                lines[name, default: []].append(String(line))
            }
            return Dictionary(items.map { item in
                let name = item.split(separator: ":").first.map(String.init) ?? item
                return (item, (lines[name] ?? []).joined(separator: "\n"))
            }) { first, _ in first }
        case .units:
            let blocks = output.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }
            return Dictionary(zip(items, blocks + Array(repeating: "", count: max(0, items.count - blocks.count))).map { ($0, $1) }) { first, _ in first }
        case .files:
            return splitFiles(readFiles(output, items: items), items: items, trusted: trusted)
        }
    }

    /// One `stat` for every file, then one `sha256sum` for every regular file (or link to one)
    /// but those the fact cache vouches for, then base64 of each small file whose hash is not
    /// the one expected. Output: stat's lines "size|type|mode|owner|group|signature|name",
    /// "@@now" and the host's clock (bash's EPOCHREALTIME; empty in dash), "@@sums" and
    /// sha256sum's lines, then "@@content NAME" and the base64 of each file sent whole. A file
    /// whose "signature|name" is one of the trusted lines counts as holding what is expected.
    /// No pipeline, no subshell but the two command substitutions, which `exec` their command
    /// (bash would fork twice for each): each fork costs the host as much as a small process.
    /// POSIX sh (a login shell may be dash): here-documents, not here-strings; printf, not echo
    /// (dash's echo would expand backslashes in a name).
    static func filesCommand(_ items: [String], expected: [String: String], trusted: [String: FactCache.Entry] = [:], dpkg: DpkgStatus? = nil) -> String {
        let wanted = items.filter(sumsPlainly).compactMap { path in expected[path].map { "\($0)  \(path)" } }.joined(separator: "\n")
        let vouched = items.filter(sumsPlainly).compactMap { path in trusted[path].map { "\($0.signature)|\(path)" } }.joined(separator: "\n")
        // dpkg's status file, last: stat'ed for its signature only (never hashed nor sent,
        // unless a task asks for it too), and the flag the packages batch reads set when its
        // own line has the cached signature. Then /proc/self/, whose change time is the stat's
        // own start: the host's clock where the shell has none in a variable (dash).
        let status = FactCache.dpkgStatus
        let statusOnly = dpkg != nil && !items.contains(status)
        let skip = statusOnly ? " && [ \"$n\" != \(status) ]" : ""
        var flag = ""
        if case .known(let signature)? = dpkg {
            flag = "l=${s%\"$q\"*}; l=${l##*\"$q\"}; [ \"${l#*|*|*|*|*|}\" = \(Shell.quote("\(signature)|\(status)")) ] && haprov_dpkg=same; "
        }
        return """
            q='
            '; haprov_dpkg=; s=$(exec stat -c '%s|%F|%a|%U|%G|\(signatureFormat)|%n' -- \(Shell.join(items))\(statusOnly ? " " + status : "") \(FactCache.clockPath) 2>/dev/null); printf '%s\\n@@now %s\\n' "$s" "${EPOCHREALTIME:-}"; \(flag)set --
            t=\(Shell.quote(vouched)); e=\(Shell.quote(wanted)); same=$q
            while IFS= read -r l; do n=${l#*|*|*|*|*|*|}; [ -n "$l" ] && [ -f "$n" ]\(skip) || continue
            case "$q$t$q" in *"$q${l#*|*|*|*|*|}$q"*) same="$same$n$q";; *) set -- "$@" "$n";; esac; done <<HAPROV_STAT
            $s
            HAPROV_STAT
            h=; if [ $# -gt 0 ]; then h=$(exec sha256sum -- "$@" 2>/dev/null); printf '@@sums\\n%s\\n' "$h"; fi
            [ -n "$e" ] && while IFS= read -r l; do case "$q$h$q" in *"$q$l$q"*) same="$same${l#*  }$q";; esac; done <<HAPROV_SUMS
            $e
            HAPROV_SUMS
            while IFS= read -r l; do n=${l#*|*|*|*|*|*|}; z=${l%%|*}; [ -n "$l" ] && [ -f "$n" ] && [ "$z" -le \(Facts.inlineContentLimit) ]\(skip) || continue
            case "$same" in *"$q$n$q"*) continue;; esac; printf '@@content %s\\n' "$n"; base64 -w0 -- "$n" 2>/dev/null; printf '\\n'; done <<HAPROV_STAT
            $s
            HAPROV_STAT
            set --; unset s h q t e same l n z
            """
    }

    /// What identifies one state of a file: its change time in seconds (for `FactCache`'s
    /// settling), size, device and inode, modification and change times to the nanosecond
    /// (`%y`/`%z`: every coreutils prints their nanoseconds).
    static let signatureFormat = "%Z %s %d:%i %y %z"

    /// One file as the batch's stat saw it.
    struct FileStat: Equatable {
        /// "type|mode|owner|group|size", as `Facts.file` prints it alone.
        var line: String
        var signature: String
        var isRegular: Bool { line.hasPrefix("regular file|") || line.hasPrefix("regular empty file|") }
        /// The change time in seconds, the signature's first word.
        var changedAt: Int? { signature.split(separator: " ").first.flatMap { Int($0) } }
    }

    /// The files batch's output, read: stat's view of each file, the hashes sha256sum printed,
    /// the contents sent whole, and the host's clock at the stat.
    struct FileReading {
        var stats: [String: FileStat] = [:]
        var sums: [String: String] = [:]
        var contents: [String: String] = [:]
        var hostNow: Int?
        var absent: [String] = []
    }

    static func readFiles(_ output: String, items: [String]) -> FileReading {
        var reading = FileReading()
        // Stat's lines of the items (a name with a line break leaves fragments that are none)
        // and of the status file; /proc/self/ is the clock.
        let named = Set(items + [FactCache.dpkgStatus])
        var clock: Int?
        enum Section { case stat, sums, content(String) }
        var section = Section.stat
        for line in output.components(separatedBy: "\n") {
            if line == "@@sums" { section = .sums; continue }
            if line.hasPrefix("@@content ") { section = .content(String(line.dropFirst("@@content ".count))); continue }
            switch section {
            case .stat:
                if line.hasPrefix("@@now ") {
                    reading.hostNow = line.dropFirst("@@now ".count).split(separator: ".").first.flatMap { Int($0) }
                    continue
                }
                let fields = line.split(separator: "|", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
                guard fields.count == 7, Int(fields[0]) != nil else { continue }
                let stat = FileStat(line: "\(fields[1])|\(fields[2])|\(fields[3])|\(fields[4])|\(fields[0])", signature: fields[5])
                if fields[6] == FactCache.clockPath { clock = stat.changedAt; continue }
                guard named.contains(fields[6]) else { continue }
                reading.stats[fields[6]] = stat
            case .sums:
                if let (hash, name) = sumLine(line) { reading.sums[name] = hash }
            case .content(let name):
                reading.contents[name] = line
                section = .sums
            }
        }
        reading.absent = items.filter { reading.stats[$0] == nil }
        if reading.hostNow == nil { reading.hostNow = clock }
        return reading
    }

    /// Each file's part as `Facts.file` prints it alone: "type|mode|owner|group|size", then
    /// "content" and its base64, or "sha256" and the hash (sha256sum's, or the cache's for a
    /// file whose signature it vouched for); "absent" when stat did not see it.
    static func splitFiles(_ reading: FileReading, items: [String], trusted: [String: FactCache.Entry] = [:]) -> [String: String] {
        Dictionary(items.map { item in
            guard let stat = reading.stats[item] else { return (item, "absent") }
            if let content = reading.contents[item] { return (item, stat.line + "\ncontent\n" + content) }
            if let hash = reading.sums[item] { return (item, stat.line + "\nsha256\n" + hash) }
            if let entry = trusted[item], entry.signature == stat.signature, stat.isRegular { return (item, stat.line + "\nsha256\n" + entry.sha256) }
            return (item, stat.line)
        }) { first, _ in first }
    }

    /// sha256sum prints the name as it is (no escaping), so the shell can match its line. A
    /// name with a backslash, a newline or a carriage return is sent whole instead.
    static func sumsPlainly(_ path: String) -> Bool {
        !path.contains { $0 == "\\" || $0 == "\n" || $0 == "\r" }
    }

    /// A line of sha256sum: "HASH  NAME", or "\\HASH  NAME" with the name's backslashes, newlines
    /// and carriage returns escaped.
    static func sumLine(_ line: String) -> (hash: String, name: String)? {
        let escaped = line.hasPrefix("\\")
        let text = escaped ? line.dropFirst() : Substring(line)
        guard text.count > 66, let space = text.firstIndex(of: " ") else { return nil }
        let hash = String(text[..<space])
        guard hash.count == 64 else { return nil }
        var name = String(text[text.index(space, offsetBy: 2)...])
        if escaped {
            var out = "", pending = false
            for character in name {
                if pending {
                    out.append(character == "n" ? "\n" : character == "r" ? "\r" : character)
                    pending = false
                } else if character == "\\" { pending = true } else { out.append(character) }
            }
            name = out
        }
        return (hash, name)
    }
}

/// What a fact command printed and how it exited.
public struct FactOutput: Sendable, Equatable {
    public var exitStatus: Int32
    public var output: Data
    public var text: String { String(decoding: output, as: UTF8.self) }
}

/// The facts gathered for one host, by query key.
public struct HostFacts: Sendable {
    public var outputs: [String: FactOutput]

    public init(outputs: [String: FactOutput] = [:]) { self.outputs = outputs }

    /// The output of `query`; a query that was not gathered is a programming error reported as a failure.
    public func output(_ query: FactQuery) throws -> FactOutput {
        guard let output = outputs[query.key] else {
            throw FactError(message: "fact \(query.key) was not gathered")
        }
        return output
    }
}

public struct FactError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Common fact queries shared by several modules.
public enum Facts {
    /// Largest file whose content comes back with the facts (for diffs without another round trip).
    public static let inlineContentLimit = 262_144

    /// Type, mode, owner, group, size, then base64 content, or only the sha256 for big files
    /// and for a file whose content is `expecting` (a module that knows what the file should
    /// hold compares hashes, and needs the old content only for the diff of a file that differs).
    /// Batched: the files of every task of a host cost one `stat` and one `sha256sum`.
    public static func file(_ path: String, expecting: Data? = nil) -> FactQuery {
        let p = Shell.quote(path)
        let expected = expecting.flatMap { FactBatch.sumsPlainly(path) ? [path: SHA256.hex($0)] : nil } ?? [:]
        let differs = expected[path].map { " && [ \"$(exec sha256sum <\(p) 2>/dev/null)\" != \(Shell.quote($0 + "  -")) ]" } ?? ""
        return FactQuery(key: "file:\(path)", command: """
            if s=$(exec stat -c '%F|%a|%U|%G|%s' -- \(p) 2>/dev/null); then printf '%s\\n' "$s"; \
            if [ -f \(p) ] && [ "${s##*|}" -le \(inlineContentLimit) ]\(differs); then echo content; base64 -w0 -- \(p); \
            elif [ -f \(p) ]; then echo sha256; sha256sum <\(p) | cut -d' ' -f1; fi; \
            else echo absent; fi
            """, batch: FactBatch(.files, items: [path], expected: expected))
    }

    /// Runs `command` and records only whether it succeeded (guards like `unless`).
    /// The command has a subshell of its own already (an `exit` in it ends only that): the
    /// query needs no second one.
    public static func succeeds(_ command: String) -> FactQuery {
        FactQuery(key: "succeeds:\(command)", command: "(\(command)\n) >/dev/null 2>&1 </dev/null && echo yes || echo no", ownShell: false)
    }

    /// Basic host facts: OS release and init system.
    public static let os = FactQuery(key: "os", command: "cat /etc/os-release 2>/dev/null")
}

/// A file on a host as `Facts.file` reports it.
public struct RemoteFile: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case absent, regular, directory, link, other(String) }
    public var kind: Kind
    public var mode: Int = 0
    public var owner: String = ""
    public var group: String = ""
    public var size: Int = 0
    /// Content when the file is small enough to come inline.
    public var content: Data?
    public var sha256: String?

    public init(kind: Kind) { self.kind = kind }

    /// A regular file with exactly this content, whether the host sent the content or only
    /// its hash (the content was expected).
    public func holds(_ data: Data) -> Bool {
        kind == .regular && sha256 == SHA256.hex(data)
    }

    /// Parses the output of `Facts.file`.
    public init(parsing output: FactOutput) throws {
        let lines = output.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = lines.first, first != "absent" else { self.init(kind: .absent); return }
        let fields = first.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5 else { throw FactError(message: "unexpected stat output: \(first)") }
        self.init(kind: .absent)
        switch fields[0] {
        case "regular file", "regular empty file": kind = .regular
        case "directory": kind = .directory
        case "symbolic link": kind = .link
        default: kind = .other(fields[0])
        }
        mode = Int(fields[1], radix: 8) ?? 0
        owner = fields[2]
        group = fields[3]
        size = Int(fields[4]) ?? 0
        if lines.count >= 2, lines[1] == "content" {
            // An empty file's base64 is an empty line, which may be cut off the end.
            guard let data = Data(base64Encoded: lines.count >= 3 ? lines[2] : "") else { throw FactError(message: "bad base64 content") }
            content = data
            sha256 = SHA256.hex(data)
        } else if lines.count >= 3, lines[1] == "sha256" {
            sha256 = lines[2]
        }
    }
}
