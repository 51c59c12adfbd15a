import Foundation
import Testing
@testable import HaprovCore

/// Batched queries: one command per kind on the host, each query handed what it would have read alone.
@Suite struct FactBatchTests {
    /// Run for real on this machine's dpkg: three apt-like queries (one with an unknown package
    /// and one repeating a package) become one dpkg-query, and each gets the output of its own
    /// command run alone.
    @Test func packageQueriesShareOneDpkgQueryAndReadWhatTheyWouldAlone() throws {
        let sets = [["bash", "coreutils"], ["haprov-no-such-package", "bash"], ["dpkg"]]
        let queries = sets.enumerated().map { index, items in
            FactQuery(key: "dpkg:\(index)", command: FactBatch.command(.packages, items: items), batch: FactBatch(.packages, items: items))
        }
        let merged = FactGatherer.merged(queries + [FactQuery(key: "plain", command: "echo plain")])
        #expect(merged.commands.map(\.key) == ["batch:packages", "plain"])
        #expect(merged.commands[0].command == FactBatch.command(.packages, items: ["bash", "coreutils", "haprov-no-such-package", "dpkg"]))
        let transport = LocalTransport(hostName: "here")
        let together = try FactGatherer.gather(queries, on: transport)
        for query in queries {
            let alone = try FactGatherer.gather([FactQuery(key: query.key, command: query.command)], on: transport)
            #expect(together.outputs[query.key]?.text == alone.outputs[query.key]?.text, "\(query.key)")
            #expect(together.outputs[query.key]?.text.isEmpty == false)
        }
        #expect(together.outputs["dpkg:1"]?.text.hasPrefix("bash\t") == true)
    }

    /// Plain package names are read from dpkg's status file by awk: on every package this
    /// machine's dpkg knows (and one it does not), the lines are dpkg-query's own.
    @Test func theStatusFileReaderPrintsWhatDpkgQueryPrints() throws {
        let transport = LocalTransport()
        let names = try transport.run("dpkg-query -W -f='${Package}\\n' | sort -u").stdoutText.split(separator: "\n").map(String.init)
        #expect(names.count > 50)
        let items = names + ["haprov-no-such-package"]
        let command = FactBatch.command(.packages, items: items)
        #expect(command.contains("awk") && command.contains("dpkg-query"))
        let fromStatus = try transport.run(command).stdoutText.split(separator: "\n").map(String.init).sorted()
        let fromDpkg = try transport.run("dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' \(Shell.join(items)) 2>/dev/null; true")
            .stdoutText.split(separator: "\n").map(String.init).sorted()
        #expect(fromStatus == fromDpkg, "\(Set(fromStatus).symmetricDifference(fromDpkg).sorted().prefix(10))")
        // Names with an architecture or a pattern go to dpkg-query itself.
        #expect(!FactBatch.command(.packages, items: ["libc6:amd64"]).contains("awk"))
        #expect(!FactBatch.command(.packages, items: ["haproxy*"]).contains("awk"))
    }

    /// The states this machine has none of (removed, held, half-installed, multi-arch), in a
    /// status file of their own: the reader's lines equal dpkg-query's on the same file.
    @Test func theStatusFileReaderAbbreviatesEveryStateAsDpkgDoes() throws {
        let admin = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: admin) }
        try FileManager.default.createDirectory(atPath: admin + "/updates", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: admin + "/info", withIntermediateDirectories: true)
        let stanzas = [("apache2", "deinstall ok config-files", "2.4.62-1"), ("haproxy", "hold ok installed", "2.6.12-1"),
                       ("keepalived", "install reinstreq half-installed", "1:2.2.7-1"), ("socat", "purge ok not-installed", "1.7.4"),
                       ("psmisc", "install ok unpacked", "23.6-1"), ("curl", "install ok half-configured", "7.88.1-10"),
                       ("libc6", "install ok installed", "2.36-9"), ("python3", "install ok triggers-pending", "3.11.2-1"),
                       ("sudo", "install ok not-installed", "1.9"), ("dbus", "deinstall ok not-installed", "1.14"),
                       ("iptables", "deinstall reinstreq not-installed", "1.8")]
        var status = stanzas.map { name, state, version in
            "Package: \(name)\nStatus: \(state)\nPriority: optional\nMaintainer: m <m@example.org>\nArchitecture: amd64\nVersion: \(version)\n"
                + (name == "python3" ? "Triggers-Pending: ldconfig\n" : "") + (name == "libc6" ? "Multi-Arch: same\n" : "") + "Description: a package\n more text\n"
        }
        status.append("Package: nostatus\nMaintainer: m <m@example.org>\nArchitecture: amd64\nVersion: 3\nDescription: no status field\n")
        status.append("Package: libc6\nStatus: install ok installed\nMaintainer: m <m@example.org>\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9\nDescription: libc\n")
        try (status.joined(separator: "\n")).write(toFile: admin + "/status", atomically: true, encoding: .utf8)
        let items = stanzas.map(\.0) + ["nothing-here", "nostatus"]
        let transport = LocalTransport()
        let fromStatus = try transport.run("HAPROV_PACKAGES=\(Shell.quote(items.joined(separator: " "))) awk \(Shell.quote(FactBatch.statusReader)) \(Shell.quote(admin + "/status"))")
        let fromDpkg = try transport.run("dpkg-query --admindir=\(Shell.quote(admin)) -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' \(Shell.join(items)); true")
        #expect(!fromDpkg.stderrText.contains("error"), "\(fromDpkg.stderrText)")
        let ours = fromStatus.stdoutText.split(separator: "\n").map(String.init).sorted()
        #expect(ours == fromDpkg.stdoutText.split(separator: "\n").map(String.init).sorted(), "\(ours)\n\(fromDpkg.stdoutText)")
        #expect(ours.contains("apache2\trc \t2.4.62-1") && ours.contains("keepalived\tiHR\t1:2.2.7-1") && ours.contains("socat\tun \t")
                && ours.filter { $0.hasPrefix("libc6\t") }.count == 2 && ours.count == 13, "\(ours)")
    }

    /// systemctl prints one block per unit in the order asked (not-found units too): each
    /// query gets its units' blocks, whatever other units the batch holds.
    @Test func unitBlocksGoBackToTheirQueries() {
        let output = "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\nLoadState=loaded\nActiveState=failed\nUnitFileState=disabled\n"
        let parts = FactBatch.split(.units, output: output, items: ["haproxy", "nothing", "keepalived"])
        #expect(parts["haproxy"] == "LoadState=loaded\nActiveState=active\nUnitFileState=enabled")
        #expect(parts["nothing"] == "LoadState=not-found\nActiveState=inactive\nUnitFileState=")
        #expect(parts["keepalived"] == "LoadState=loaded\nActiveState=failed\nUnitFileState=disabled")
        // A host where systemctl answers nothing: every unit reads empty, as alone.
        let silent = FactBatch.split(.units, output: "", items: ["haproxy", "keepalived"])
        #expect(silent.count == 2 && silent.values.allSatisfy { $0.isEmpty })
    }
}

extension FactBatchTests {
    /// apt's cache-age query on this Debian machine: "now last-update newest-source" as integers,
    /// the newest source as new as the newest file of sources.list.d.
    @Test func aptCacheAgeQueryRunsHere() throws {
        let facts = try FactGatherer.gather([AptModule.cacheQuery], on: LocalTransport(hostName: "here"))
        let text = try facts.output(AptModule.cacheQuery).text
        let numbers = text.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 3, "\(text)")
        #expect(abs((numbers.first ?? 0) - Int(Date().timeIntervalSince1970)) < 60)
        let folder = "/etc/apt/sources.list.d"
        let newest = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { name in
            (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.modificationDate] as? Date).map { Int($0.timeIntervalSince1970) }
        }.max()
        if let newest { #expect((numbers.last ?? 0) >= newest, "\(text)") }
    }
}

extension FactBatchTests {
    /// Files batched into one stat and one sha256sum, run for real here: every kind of file reads
    /// exactly as its own query alone would have read it.
    @Test func fileQueriesShareOneStatAndReadWhatTheyWouldAlone() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "global\n  daemon\n".write(toFile: folder + "/haproxy.cfg", atomically: true, encoding: .utf8)
        try "".write(toFile: folder + "/empty", atomically: true, encoding: .utf8)
        try Data(repeating: 0x41, count: Facts.inlineContentLimit + 10).write(to: URL(fileURLWithPath: folder + "/big"))
        try Data([0, 1, 2, 255, 10, 13]).write(to: URL(fileURLWithPath: folder + "/odd name|with bar"))
        try FileManager.default.createDirectory(atPath: folder + "/dir", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: folder + "/haproxy.cfg")
        try FileManager.default.createSymbolicLink(atPath: folder + "/dangling", withDestinationPath: folder + "/nowhere")
        let paths = ["haproxy.cfg", "empty", "big", "odd name|with bar", "dir", "link", "dangling", "absent"].map { folder + "/" + $0 }
        let queries = paths.map { Facts.file($0) }
        let merged = FactGatherer.merged(queries)
        #expect(merged.commands.count == 1 && merged.commands[0].key == "batch:files")
        let transport = LocalTransport(hostName: "here")
        let together = try FactGatherer.gather(queries, on: transport)
        for query in queries where query.key != "file:\(folder)/empty" {
            let alone = try FactGatherer.gather([FactQuery(key: query.key, command: query.command)], on: transport)
            #expect(together.outputs[query.key]?.text == alone.outputs[query.key]?.text, "\(query.key)")
        }
        #expect(try RemoteFile(parsing: together.output(Facts.file(folder + "/haproxy.cfg"))).content == Data("global\n  daemon\n".utf8))
        #expect(try RemoteFile(parsing: together.output(Facts.file(folder + "/odd name|with bar"))).content == Data([0, 1, 2, 255, 10, 13]))
        // An empty file reads as empty content, batched or alone (alone its empty base64 line
        // is cut off the end of the output).
        #expect(try RemoteFile(parsing: together.output(Facts.file(folder + "/empty"))).content == Data())
        let emptyAlone = try FactGatherer.gather([FactQuery(key: "alone", command: Facts.file(folder + "/empty").command)], on: transport)
        #expect(try RemoteFile(parsing: emptyAlone.output(FactQuery(key: "alone", command: ""))).content == Data())
        // A name with a backslash (dash's echo would expand it) and a /proc file whose stat size is 0.
        try "x".write(toFile: folder + "/back\\tslash", atomically: true, encoding: .utf8)
        let more = [folder + "/back\\tslash", "/proc/sys/kernel/hostname"].map { Facts.file($0) }
        let read = try FactGatherer.gather(more + queries, on: transport)
        #expect(try RemoteFile(parsing: read.output(more[0])).content == Data("x".utf8))
        let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        #expect(try RemoteFile(parsing: read.output(more[1])).content == Data(hostname.utf8))
        #expect(try RemoteFile(parsing: read.output(Facts.file(folder + "/haproxy.cfg"))).content == Data("global\n  daemon\n".utf8))
        #expect(try RemoteFile(parsing: together.output(Facts.file(folder + "/absent"))).kind == .absent)
    }

    /// A module that knows what a file should hold gets only its hash back when the file
    /// holds it (no base64 process, no bytes), and its content when it differs, batched or
    /// alone; two modules expecting different contents of one file both get the content.
    @Test func aFileWithTheExpectedContentComesBackAsItsHash() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let same = Data("global\n  daemon\n".utf8), other = Data("global\n  maxconn 10\n".utf8)
        for name in ["kept", "changed", "odd $name `x` 'q'", "back\\slash", "shared"] {
            try same.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        let transport = LocalTransport(hostName: "here")
        let kept = Facts.file(folder + "/kept", expecting: same)
        let changed = Facts.file(folder + "/changed", expecting: other)
        let odd = Facts.file(folder + "/odd $name `x` 'q'", expecting: same)
        // sha256sum escapes a name with a backslash: that file is sent whole.
        let slash = Facts.file(folder + "/back\\slash", expecting: same)
        let absent = Facts.file(folder + "/absent", expecting: same)
        let batched = try FactGatherer.gather([kept, changed, odd, slash, absent], on: transport)
        for query in [kept, changed, odd, slash, absent] {
            let alone = try FactGatherer.gather([FactQuery(key: query.key, command: query.command)], on: transport)
            #expect(batched.outputs[query.key]?.text == alone.outputs[query.key]?.text, "\(query.key)")
        }
        let keptFile = try RemoteFile(parsing: batched.output(kept))
        #expect(keptFile.content == nil && keptFile.holds(same) && keptFile.size == same.count)
        let changedFile = try RemoteFile(parsing: batched.output(changed))
        #expect(changedFile.content == same && !changedFile.holds(other))
        #expect(try RemoteFile(parsing: batched.output(odd)).content == nil && RemoteFile(parsing: batched.output(odd)).holds(same))
        #expect(try RemoteFile(parsing: batched.output(slash)).content == same)
        #expect(try RemoteFile(parsing: batched.output(absent)).kind == .absent)
        // Two expectations of one file: the content comes, and each module can tell.
        let shared = try FactGatherer.gather([Facts.file(folder + "/shared", expecting: other), Facts.file(folder + "/shared", expecting: same)], on: transport)
        let sharedFile = try RemoteFile(parsing: shared.output(Facts.file(folder + "/shared")))
        #expect(sharedFile.content == same && sharedFile.holds(same) && !sharedFile.holds(other))
        // The script asks sha256sum once for every file and base64 only for the one that differs.
        let command = FactGatherer.merged([kept, changed, odd]).commands[0].command
        #expect(command.components(separatedBy: "sha256sum").count == 2 && command.components(separatedBy: "base64").count == 2)
    }
}

extension FactBatchTests {
    /// What a batch cannot answer item by item is asked alone: a package with its architecture
    /// (dpkg prints bare names), a unit glob (systemctl answers it with any number of blocks).
    @Test func itemsABatchCannotTellApartAreAskedAlone() throws {
        func apt(_ name: String) throws -> AptModule {
            try AptModule(args: ModuleArgs(module: "apt", values: ["name": .string(name)]), context: TaskContext(hostName: "web1"))
        }
        #expect(try apt("libc6:i386").packageQuery.batch == nil)
        #expect(try apt("haproxy").packageQuery.batch?.items == ["haproxy"])
        func service(_ name: String) throws -> ServiceModule {
            try ServiceModule(args: ModuleArgs(module: "service", values: ["name": .string(name), "state": .string("started")]), context: TaskContext(hostName: "web1"))
        }
        #expect(try service("getty@*").query.batch == nil)
        #expect(try service("haproxy").query.batch?.items == ["haproxy"])
    }
}

extension FactBatchTests {
    /// The fact cache, run for real in bash (a root login shell) and dash: a file read once
    /// and settled is not hashed again while its stat signature holds; a file written since
    /// (same size), or replaced by a link to the same content, is hashed and read as it is.
    @Test func aFileTheCacheVouchesForIsNotHashedAgain() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let same = Data("global\n  daemon\n".utf8), other = Data("global\n  dAemon\n".utf8)
        let written = Date()
        for name in ["kept", "edited", "linked", "target"] { try same.write(to: URL(fileURLWithPath: folder + "/" + name)) }
        let queries = ["kept", "edited", "linked"].map { Facts.file(folder + "/" + $0, expecting: same) }
        let bash = LocalTransport(hostName: "here", shell: "/bin/bash")
        var cache = FactCache()
        // Just written: too fresh to vouch for (a second write in the same clock tick would
        // keep the signature), so nothing is learnt (the host's clock counts whole seconds:
        // asked only when the gathering began within a second of the writes).
        _ = try FactGatherer.gather(queries, on: bash, cache: &cache)
        if Date().timeIntervalSince(written) < 0.9 { #expect(cache.files.isEmpty) }
        Thread.sleep(forTimeInterval: Double(FactCache.settleSeconds) + 0.2)
        _ = try FactGatherer.gather(queries, on: bash, cache: &cache)
        #expect(cache.files.count == 3 && cache.files.values.allSatisfy { $0.sha256 == SHA256.hex(same) })
        // Settled: the host runs no sha256sum at all, and each file reads as it would alone.
        let command = FactGatherer.merged(queries, cache: cache).commands[0].command
        let raw = try bash.run(command, stdin: nil, timeout: .seconds(10))
        #expect(!String(decoding: raw.stdout, as: UTF8.self).contains("@@sums"))
        let vouched = try FactGatherer.gather(queries, on: bash, cache: &cache)
        for query in queries {
            let alone = try FactGatherer.gather([FactQuery(key: query.key, command: query.command)], on: bash)
            #expect(vouched.outputs[query.key]?.text == alone.outputs[query.key]?.text, "\(query.key)")
            #expect(try RemoteFile(parsing: vouched.output(query)).holds(same))
        }
        // Written since with as many bytes, and a link in place of a file: both hashed again,
        // the edit read whole for its diff; the file left alone is still vouched for.
        try other.write(to: URL(fileURLWithPath: folder + "/edited"))
        try FileManager.default.removeItem(atPath: folder + "/linked")
        try FileManager.default.createSymbolicLink(atPath: folder + "/linked", withDestinationPath: folder + "/target")
        let after = FactGatherer.merged(queries, cache: cache).commands[0].command
        let sums = String(decoding: try bash.run(after, stdin: nil, timeout: .seconds(10)).stdout, as: UTF8.self)
            .components(separatedBy: "@@sums\n").last ?? ""
        #expect(sums.contains(folder + "/edited") && sums.contains(folder + "/linked") && !sums.contains(folder + "/kept"))
        let read = try FactGatherer.gather(queries, on: bash, cache: &cache)
        let edited = try RemoteFile(parsing: read.output(queries[1]))
        #expect(edited.content == other && !edited.holds(same))
        #expect(try RemoteFile(parsing: read.output(queries[2])).kind == .link)
        #expect(try RemoteFile(parsing: read.output(queries[0])).holds(same))
        // A link is never vouched for (its own stat says nothing of its target's content).
        #expect(cache.files[folder + "/linked"] == nil)
        // dash has no clock in a variable: /proc/self/'s change time is the clock, and it
        // reads the same.
        if FileManager.default.isExecutableFile(atPath: "/bin/dash") {
            var fresh = FactCache()
            let dash = try FactGatherer.gather(queries, on: LocalTransport(hostName: "here", shell: "/bin/dash"), cache: &fresh)
            #expect(fresh.files[folder + "/kept"]?.sha256 == SHA256.hex(same) && fresh.files[folder + "/linked"] == nil)
            for query in queries { #expect(dash.outputs[query.key]?.text == read.outputs[query.key]?.text, "\(query.key)") }
        }
        // Files of kernel filesystems and empty files are never kept.
        var kernel = FactCache()
        _ = try FactGatherer.gather([Facts.file("/proc/sys/kernel/hostname", expecting: Data()), Facts.file("/etc/hostname", expecting: Data())], on: bash, cache: &kernel)
        #expect(kernel.files["/proc/sys/kernel/hostname"] == nil)
        // A file gone is forgotten.
        try FileManager.default.removeItem(atPath: folder + "/kept")
        _ = try FactGatherer.gather(queries, on: bash, cache: &cache)
        #expect(cache.files[folder + "/kept"] == nil)
    }

    /// Where the cache is kept: its own folder if given, the XDG cache, the home's; off when
    /// asked; one file per login (name, user, address, port), written whole and read back.
    @Test func theFactCacheIsKeptPerLoginOnTheControlMachine() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let web1 = ConnectionSpec(name: "web1", address: "10.213.7.11", port: 22, user: "root")
        var other = web1
        other.port = 2222
        let here = ["HAPROV_CACHE_DIR": folder, "HOME": "/nowhere"]
        let url = try #require(FactCache.location(for: web1, environment: here))
        #expect(url.path.hasPrefix(folder + "/facts/") && url.lastPathComponent.count == 32)
        #expect(FactCache.location(for: other, environment: here) != url)
        #expect(FactCache.location(for: web1, environment: ["HOME": "/home/prof"])?.path.hasPrefix("/home/prof/.cache/haprov/facts/") == true)
        #expect(FactCache.location(for: web1, environment: ["XDG_CACHE_HOME": "/x", "HOME": "/home/prof"])?.path.hasPrefix("/x/haprov/facts/") == true)
        #expect(FactCache.location(for: web1, environment: ["HAPROV_FACT_CACHE": "off", "HOME": "/home/prof"]) == nil)
        #expect(FactCache.location(for: web1, environment: [:]) == nil)
        var cache = FactCache.load(for: web1, environment: here)
        #expect(cache.files.isEmpty && cache.url == url)
        cache.files["/etc/haproxy/haproxy.cfg"] = FactCache.Entry(signature: "1 2 3:4 a b", sha256: String(repeating: "0", count: 64))
        cache.files["/etc/odd name|with bar"] = FactCache.Entry(signature: "5 6 7:8 c d", sha256: String(repeating: "1", count: 64))
        cache.packages = FactCache.Packages(signature: "9 10 11:12 e f", lines: ["libc6": "libc6\tii \t2.41\nlibc6\tii \t2.41", "nothing": ""])
        cache.save()
        #expect(FactCache.load(for: web1, environment: here) == cache)
        // A path with a tab or a line break is not kept.
        var odd = cache
        odd.files["/etc/tab\there"] = FactCache.Entry(signature: "1", sha256: "2")
        odd.save()
        #expect(FactCache.load(for: web1, environment: here) == cache)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // A damaged cache is an empty one, not an error.
        try Data("{not a cache".utf8).write(to: url)
        #expect(FactCache.load(for: web1, environment: here).files.isEmpty)
    }
}

extension FactBatchTests {
    /// dpkg's status file through the cache, run for real on this machine's dpkg in bash: the
    /// files batch stats it, the first gathering learns what awk read under its signature, the
    /// next one reads nothing (the packages batch prints only its marker) and every query gets
    /// what it would alone; a signature that is not the file's own reads the file again.
    @Test func packagesTheCacheKnowsAreNotReadAgainWhileDpkgsStatusFileIsTheSame() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "x\n".write(toFile: folder + "/haproxy.cfg", atomically: true, encoding: .utf8)
        let items = [["bash", "coreutils"], ["haprov-no-such-package"]]
        let packages = items.enumerated().map { index, names in
            FactQuery(key: "dpkg:\(index)", command: FactBatch.command(.packages, items: names), batch: FactBatch(.packages, items: names))
        }
        // The packages first: the stat that reads the status file still runs before them.
        let queries = packages + [Facts.file(folder + "/haproxy.cfg", expecting: Data("x\n".utf8))]
        let bash = LocalTransport(hostName: "here", shell: "/bin/bash")
        var cache = FactCache()
        #expect(FactGatherer.merged(queries, cache: cache).commands.map(\.key) == ["batch:files", "batch:packages"])
        let first = try FactGatherer.gather(queries, on: bash, cache: &cache)
        let known = try #require(cache.packages)
        #expect(known.lines["bash"]?.hasPrefix("bash\t") == true && known.lines["haprov-no-such-package"] == "")
        let commands = FactGatherer.merged(queries, cache: cache).commands
        let raw = String(decoding: try bash.run(FactGatherer.script(commands, nonce: "N"), stdin: nil, timeout: .seconds(10)).stdout, as: UTF8.self)
        #expect(raw.contains("N begin 1\n\(FactBatch.cachedPackages)\n"))
        let again = try FactGatherer.gather(queries, on: bash, cache: &cache)
        for query in packages {
            let alone = try FactGatherer.gather([FactQuery(key: query.key, command: query.command)], on: bash)
            #expect(again.outputs[query.key]?.text == alone.outputs[query.key]?.text, "\(query.key)")
            #expect(first.outputs[query.key]?.text == alone.outputs[query.key]?.text, "\(query.key)")
        }
        // A package the cache does not know yet: read again, and learnt with the others.
        let more = FactQuery(key: "dpkg:more", command: FactBatch.command(.packages, items: ["dpkg"]), batch: FactBatch(.packages, items: ["dpkg"]))
        let read = try FactGatherer.gather(queries + [more], on: bash, cache: &cache)
        #expect(read.outputs["dpkg:more"]?.text.hasPrefix("dpkg\t") == true && cache.packages?.lines.count == 4)
        // The status file as the cache does not know it: read again, and each query right.
        var wrong = cache
        wrong.packages?.signature = "1 2 3:4 then"
        wrong.packages?.lines["bash"] = "bash\tun \t"
        let reread = try FactGatherer.gather(queries, on: bash, cache: &wrong)
        #expect(reread.outputs["dpkg:0"]?.text == again.outputs["dpkg:0"]?.text)
        #expect(wrong.packages?.signature == cache.packages?.signature)
        // A file whose name ends like the status file's own line with the cached signature
        // does not set the flag: only the status file's line is compared.
        var forged = cache
        forged.packages?.signature = "1 2 3:4 forged"
        forged.packages?.lines["bash"] = "bash\tun \t"
        let evil = folder + "/x|1 2 3:4 forged|/var/lib/dpkg"
        try FileManager.default.createDirectory(atPath: evil, withIntermediateDirectories: true)
        try "x".write(toFile: evil + "/status", atomically: true, encoding: .utf8)
        let trap = try FactGatherer.gather(queries + [Facts.file(evil + "/status")], on: bash, cache: &forged)
        #expect(trap.outputs["dpkg:0"]?.text == again.outputs["dpkg:0"]?.text)
    }
}
