import Foundation

/// The hashes of a host's files as haprov last read them, each under the file's stat signature
/// (device, inode, size, modification and change times to the nanosecond): a file whose
/// signature is the same has not been written since, so the host need not hash it again (git's
/// index trusts a file's stat the same way). Only a change time can be neither set back nor
/// kept by a write, which is why it is part of the signature.
///
/// The same for dpkg's status file: a host whose status file has the cached signature is not
/// read by awk again for the packages the cache knows.
///
/// Kept on the control machine, one small file per host (`haprov` never writes a host to
/// remember what it read). `HAPROV_CACHE_DIR` moves it, `HAPROV_FACT_CACHE=off` turns it off;
/// without it every file is hashed, as before.
public struct FactCache: Sendable, Equatable {
    public struct Entry: Sendable, Hashable {
        public var signature: String
        public var sha256: String
    }

    /// What dpkg's status file said of some packages (the batch's lines for each, empty for a
    /// package dpkg does not know), under the status file's signature: dpkg writes the file
    /// anew (a new inode) whenever a package changes.
    public struct Packages: Sendable, Hashable {
        public var signature: String
        public var lines: [String: String]
    }

    /// By path.
    public var files: [String: Entry] = [:]
    public var packages: Packages?
    /// Where the cache is kept; nil keeps it in memory only (tests, a disabled cache).
    public var url: URL?

    static let dpkgStatus = "/var/lib/dpkg/status"

    /// A change this recent may have come in the same clock tick as the read (the signature
    /// would not tell a second write in that tick): such a file is hashed again next time.
    static let settleSeconds = 2

    public init(files: [String: Entry] = [:], packages: Packages? = nil, url: URL? = nil) {
        self.files = files
        self.packages = packages
        self.url = url
    }

    /// The status file's signature, when the cache knows every one of `items`.
    func packagesSignature(for items: [String]) -> String? {
        guard let packages, items.allSatisfy({ packages.lines[$0] != nil }) else { return nil }
        return packages.signature
    }

    /// Learns what the status file said of `items` (the packages batch's lines, split, as awk
    /// read them), when the files batch saw the file settled.
    mutating func learnPackages(_ lines: [String: String], items: [String], from reading: FactBatch.FileReading) {
        guard let stat = reading.stats[Self.dpkgStatus], Self.isSettled(stat, now: reading.hostNow) else { packages = nil; return }
        var known = packages?.signature == stat.signature ? packages?.lines ?? [:] : [:]
        for item in items { known[item] = lines[item] ?? "" }
        packages = Packages(signature: stat.signature, lines: known)
    }

    /// Learns from one reading of the files batch: a hashed regular file whose last change is
    /// older than `settleSeconds` before the host's clock at the stat; a file gone is forgotten.
    mutating func learn(_ reading: FactBatch.FileReading) {
        for (path, stat) in reading.stats {
            // Not hashed: vouched for, or the status file stat'ed for its signature (kept), or
            // not a regular file (forgotten).
            guard let sum = reading.sums[path] else {
                if !stat.isRegular { files[path] = nil }
                continue
            }
            files[path] = Self.isSettled(stat, now: reading.hostNow) && Self.isKept(path) ? Entry(signature: stat.signature, sha256: sum) : nil
        }
        for path in reading.absent { files[path] = nil }
    }

    /// A regular file, not empty, last changed `settleSeconds` or more before the host's clock.
    static func isSettled(_ stat: FactBatch.FileStat, now: Int?) -> Bool {
        guard stat.isRegular, !stat.line.hasPrefix("regular empty file|"), let now, let changed = stat.changedAt else { return false }
        return now - changed >= settleSeconds
    }

    /// Files of kernel filesystems change without a change time (a sysctl, a cgroup knob).
    static func isKept(_ path: String) -> Bool {
        !["/proc/", "/sys/", "/dev/"].contains { path.hasPrefix($0) } && FactBatch.sumsPlainly(path) && !path.contains("\t")
    }

    /// Stat'ed last by the files batch: a fresh process's own /proc folder changes when it starts.
    static let clockPath = "/proc/self/"

    /// The cache of one host, read from where it is kept (an unreadable or damaged one is empty).
    public static func load(for connection: ConnectionSpec, environment: [String: String] = FactCache.environment) -> FactCache {
        guard let url = location(for: connection, environment: environment) else { return FactCache() }
        guard let data = try? Data(contentsOf: url), var cache = FactCache(text: String(decoding: data, as: UTF8.self)) else {
            return FactCache(url: url)
        }
        cache.url = url
        return cache
    }

    /// The cache as lines (read on every run of every host: a line format costs a fraction of
    /// a JSON decoder): "f SIGNATURE<tab>SHA256<tab>PATH", "p SIGNATURE", then "l NAME<tab>LINES"
    /// with dpkg's lines for the package joined by US (0x1F). Only paths `isKept` allows (none
    /// with a tab or a line break).
    var text: String {
        var lines = [Self.header]
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) where Self.isKept(path) {
            lines.append("f \(entry.signature)\t\(entry.sha256)\t\(path)")
        }
        if let packages {
            lines.append("p \(packages.signature)")
            for (name, text) in packages.lines.sorted(by: { $0.key < $1.key }) {
                lines.append("l \(name)\t" + text.replacingOccurrences(of: "\n", with: "\u{1F}"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let header = "haprov fact cache 1"

    /// Reads `text`; nil when it is not a cache this haprov wrote.
    init?(text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard lines.first == Substring(Self.header) else { return nil }
        lines = lines.dropFirst()
        for line in lines {
            let body = line.dropFirst(2)
            switch line.prefix(2) {
            case "f ":
                let fields = body.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3 else { return nil }
                files[String(fields[2])] = Entry(signature: String(fields[0]), sha256: String(fields[1]))
            case "p ":
                packages = Packages(signature: String(body), lines: [:])
            case "l ":
                let fields = body.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                guard fields.count == 2, packages != nil else { return nil }
                packages?.lines[String(fields[0])] = fields[1].replacingOccurrences(of: "\u{1F}", with: "\n")
            default:
                return nil
            }
        }
    }

    /// Writes the cache where it was read, whole (two haprov runs on one host at once: the
    /// last one's stays). A cache that cannot be written is left alone: it only saves the host work.
    public func save() {
        guard let url else { return }
        let folder = url.deletingLastPathComponent().path
        let manager = FileManager.default
        if !manager.fileExists(atPath: folder) {
            try? manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // createFile writes a temporary file beside it and renames it over the cache.
        _ = manager.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    /// The process's environment, read once (ProcessInfo builds it anew on every call).
    public static let environment = ProcessInfo.processInfo.environment

    /// `HAPROV_CACHE_DIR`, else `$XDG_CACHE_HOME/haprov`, else `~/.cache/haprov`; the file is
    /// named by a hash of who logs in where (the host's inventory name, user, address, port).
    static func location(for connection: ConnectionSpec, environment: [String: String]) -> URL? {
        if environment["HAPROV_FACT_CACHE"] == "off" { return nil }
        let folder: String
        if let dir = environment["HAPROV_CACHE_DIR"], !dir.isEmpty { folder = dir }
        else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { folder = xdg + "/haprov" }
        else if let home = environment["HOME"], home.hasPrefix("/") { folder = home + "/.cache/haprov" }
        else { return nil }
        let jump = connection.jump.map { "\($0.spec.user)@\($0.spec.address):\($0.spec.port)" } ?? ""
        let identity = "\(connection.name)\n\(connection.user)@\(connection.address):\(connection.port)\n\(connection.become ? connection.becomeUser : "")\n\(jump)"
        return URL(fileURLWithPath: folder + "/facts/" + String(SHA256.hex(Array(identity.utf8)).prefix(32)))
    }
}
