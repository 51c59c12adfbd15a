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
    /// Files batched into one stat and one base64, run for real here: every kind of file reads
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
        let queries = paths.map(Facts.file)
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
        let more = [folder + "/back\\tslash", "/proc/sys/kernel/hostname"].map(Facts.file)
        let read = try FactGatherer.gather(more + queries, on: transport)
        #expect(try RemoteFile(parsing: read.output(more[0])).content == Data("x".utf8))
        let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        #expect(try RemoteFile(parsing: read.output(more[1])).content == Data(hostname.utf8))
        #expect(try RemoteFile(parsing: read.output(Facts.file(folder + "/haproxy.cfg"))).content == Data("global\n  daemon\n".utf8))
        #expect(try RemoteFile(parsing: together.output(Facts.file(folder + "/absent"))).kind == .absent)
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
