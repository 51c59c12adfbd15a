import Foundation

/// `apt`: Debian packages present, absent or latest. The package cache is refreshed when a
/// source changed since haprov's last refresh, when a wanted package is unknown, and, for an
/// install, `latest` or a refresh alone, when it is older than `cache_valid_time` (installed
/// packages are not refreshed for the cache's age alone); apt waits for the dpkg lock instead
/// of failing.
///
/// Arguments: name (string, comma list or list), state, update_cache, cache_valid_time, install_recommends.
public struct AptModule: Module {
    public static let name = "apt"
    let packages: [String]
    let state: String
    let updateCache: Bool
    let cacheValidTime: Int?
    let recommends: Bool

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["name", "pkg", "state", "update_cache", "cache_valid_time", "install_recommends"])
        packages = try args.strings("name", splitCommas: true) + args.strings("pkg", splitCommas: true)
        state = try args.choice("state", ["present", "absent", "latest", "installed", "removed"], default: "present")
        cacheValidTime = try args.int("cache_valid_time")
        updateCache = try args.bool("update_cache", default: false) || cacheValidTime != nil
        recommends = try args.bool("install_recommends", default: false)
        if packages.isEmpty && !updateCache { throw ModuleError(argument: "name", message: "apt needs name (packages) or update_cache") }
        for package in packages where !package.isWord(first: ASCIIClass("a-z0-9"), rest: ASCIIClass("a-z0-9+.\\-:=~")) {
            throw ModuleError(argument: "name", message: "'\(package)' is not a Debian package name")
        }
    }

    static let stamp = "/var/lib/apt/periodic/haprov-update-success"

    /// `name[:arch][=version]` split: dpkg knows packages by `name[:arch]` and prints the bare name.
    static func parts(_ package: String) -> (query: String, name: String, version: String?) {
        let pieces = package.split(separator: "=", maxSplits: 1).map(String.init)
        let query = pieces[0]
        return (query, query.split(separator: ":").first.map(String.init) ?? query, pieces.count == 2 ? pieces[1] : nil)
    }

    var packageQuery: FactQuery {
        let items = packages.map { Self.parts($0).query }
        // dpkg prints bare names: a package asked with its architecture (libc6:i386) is asked
        // alone, or another task's libc6 line would read as its own.
        return FactQuery(key: "dpkg:\(packages.joined(separator: ","))", command: FactBatch.command(.packages, items: items),
                         batch: items.contains { $0.contains(":") } ? nil : FactBatch(.packages, items: items))
    }

    var candidateQuery: FactQuery {
        FactQuery(key: "apt-candidate:\(packages.joined(separator: ","))",
                  command: "apt-cache policy \(Shell.join(packages.map { Self.parts($0).query })) 2>/dev/null | awk '/^[^ ]/{p=$1} /Candidate:/{print p, $2}'")
    }

    /// Now, the last successful update, and the newest source or keyring change (epoch seconds):
    /// one `stat` for all of them, and `date` only where the shell is not bash (bash 5 knows the time).
    static let cacheQuery = FactQuery(key: "apt-cache-age", command: """
        stat -c '%Y %n' -- \(stamp) /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/keyrings/* 2>/dev/null \
        | { u=0; n=0; while read -r t f; do if [ "$f" = \(stamp) ]; then u=$t; elif [ "$t" -gt "$n" ]; then n=$t; fi; done; \
        echo "${EPOCHSECONDS:-$(date +%s)} $u $n"; }
        """, ownShell: false)

    /// The cache's age is a fact only where it decides the plan: a refresh alone (no packages)
    /// and `latest` (the candidates come from the cache). Installing decides it on the host, in
    /// the install script; installed packages are in sync however old the cache is, so neither
    /// a check nor a no-change apply asks for it.
    var needsCacheAge: Bool { packages.isEmpty || state == "latest" }

    /// Whether a source or keyring changed since haprov last refreshed the cache ("changed"), or
    /// it never did ("never"): the shell's own `-nt`, no process. Installed packages with
    /// update_cache or cache_valid_time refresh the cache then (a repository added since must
    /// be read, and a wrong key fail here), but not for its age alone.
    static let sourcesQuery = FactQuery(key: "apt-sources-changed", command: """
        if [ -e \(stamp) ]; then c=same; for f in /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/keyrings/*; do \
        [ "$f" -nt \(stamp) ] && c=changed; done; echo "$c"; unset c f; else echo never; fi
        """, ownShell: false)

    /// Installed packages with update_cache or cache_valid_time: whether a source changed.
    var needsSourcesChange: Bool { !needsCacheAge && updateCache && state != "absent" && state != "removed" }

    public var facts: [FactQuery] {
        var queries: [FactQuery] = needsCacheAge ? [Self.cacheQuery] : needsSourcesChange ? [Self.sourcesQuery] : []
        if !packages.isEmpty { queries.append(packageQuery) }
        if state == "latest" { queries.append(candidateQuery) }
        return queries
    }

    /// Shell test of the same staleness as `stale`, for an install script: the cache query's
    /// three numbers read on the host when the install runs.
    var staleOnHost: String {
        let old = cacheValidTime.map { "[ $(( $1 - $2 )) -gt \($0) ]" } ?? (updateCache ? "true" : "false")
        return "set -- $(\(Self.cacheQuery.command)) && { [ \"$2\" -eq 0 ] || [ \"$3\" -gt \"$2\" ] || \(old); }"
    }

    public func plan(_ facts: HostFacts) throws -> Plan {
        var installed: [String: String] = [:]
        if !packages.isEmpty {
            for line in try facts.output(packageQuery).text.split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                // Second letter of the status: i = installed (ii, and hi when held).
                if fields.count == 3, fields[1].dropFirst().hasPrefix("i") { installed[fields[0].split(separator: ":").first.map(String.init) ?? fields[0]] = fields[2] }
            }
        }
        // Stale by its age and sources (a refresh alone, latest), or, for installed packages,
        // by a source changed since the last refresh; an install decides on the host instead.
        var stale = false
        if needsCacheAge {
            let age = try facts.output(Self.cacheQuery).text.split(separator: " ").compactMap { Int($0) }
            let now = age.first ?? 0, updated = age.count > 1 ? age[1] : 0, sourcesChanged = age.count > 2 ? age[2] : 0
            stale = updated == 0 || sourcesChanged > updated || (cacheValidTime.map { now - updated > $0 } ?? updateCache)
        } else if needsSourcesChange {
            stale = try facts.output(Self.sourcesQuery).text.trimmingCharacters(in: .whitespacesAndNewlines) != "same"
        }

        let apt = "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q"
        let update = "\(apt) update && mkdir -p /var/lib/apt/periodic && touch \(Self.stamp)"
        switch state {
        case "absent", "removed":
            let present = packages.map { Self.parts($0) }.filter { installed[$0.name] != nil }.map(\.query)
            if present.isEmpty { return Plan() }
            return Plan([Change(summary: "remove \(present.joined(separator: ", "))", script: "\(apt) purge \(Shell.join(present))",
                                slow: true, touches: [.packages])])
        default:
            // A pinned version counts only when that very version is installed.
            var wanted = packages.filter { package in
                let (_, name, version) = Self.parts(package)
                return installed[name] == nil || version.map { $0 != installed[name] } == true
            }
            if state == "latest" {
                var candidates: [String: String] = [:]
                for line in try facts.output(candidateQuery).text.split(separator: "\n") {
                    let parts = line.split(separator: " ").map(String.init)
                    if parts.count == 2 { candidates[String(parts[0].dropLast())] = parts[1] }
                }
                wanted += packages.filter { package in
                    let (_, name, version) = Self.parts(package)
                    return version == nil && (installed[name].map { $0 != candidates[name] && candidates[name] != "(none)" } ?? false)
                }
            }
            if wanted.isEmpty {
                // An old cache of installed packages is not drift; `latest` refreshes only with
                // cache_valid_time.
                guard stale, updateCache, packages.isEmpty || state != "latest" || cacheValidTime != nil else { return Plan() }
                return Plan([Change(summary: "refresh the package cache", script: update, slow: true)])
            }
            // A pinned version is what the inventory asks for, even below the installed one.
            let downgrades = wanted.contains { Self.parts($0).version != nil } ? "--allow-downgrades " : ""
            // A run cut off mid-install (haprov killed, the host cut off) leaves dpkg half done:
            // finish that first, or apt refuses everything.
            // (While another dpkg runs, its updates are in flight: wait for it, up to 10 minutes.)
            let install = "i=0; while [ -n \"$(ls -A /var/lib/dpkg/updates 2>/dev/null)\" ] && pgrep -x dpkg >/dev/null && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done; "
                + "if [ -n \"$(ls -A /var/lib/dpkg/updates 2>/dev/null)\" ]; then DEBIAN_FRONTEND=noninteractive dpkg --configure -a; fi && "
                + "\(apt) install \(recommends ? "" : "--no-install-recommends ")\(downgrades)\(Shell.join(wanted))"
            // A package the cache does not know yet needs a refresh even if the cache is young.
            // Grouped: the install is several commands, and a failed refresh must stop it.
            let refreshed = "\(update) && { \(install); }", tried = "{ \(install); } || { \(update) && { \(install); }; }"
            let script = needsCacheAge ? (stale ? refreshed : tried) : "if \(staleOnHost); then \(refreshed); else \(tried); fi"
            return Plan([Change(summary: "install \(wanted.joined(separator: ", "))", script: script, slow: true, touches: [.packages])])
        }
    }
}
