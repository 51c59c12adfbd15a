import Foundation
import Testing
@testable import HaprovCore

/// apt decides on the host, when it installs, whether the cache is stale: the shell test of the
/// install script must say what the plan would have said from the cache-age fact. Both run on
/// this machine's own apt folders.
@Suite struct AptModuleTests {
    func apt(_ values: [String: Value]) throws -> AptModule {
        try AptModule(args: ModuleArgs(module: "apt", values: values), context: TaskContext(hostName: "here"))
    }

    @Test func theInstallScriptsStalenessTestAgreesWithTheCacheAgeFact() throws {
        let transport = LocalTransport(hostName: "here")
        let age = try FactGatherer.gather([AptModule.cacheQuery], on: transport).output(AptModule.cacheQuery).text
        let numbers = age.split(separator: " ").compactMap { Int($0) }
        try #require(numbers.count == 3, "\(age)")
        let (now, updated, sources) = (numbers[0], numbers[1], numbers[2])
        let never = updated == 0 || sources > updated
        // cache_valid_time: older than a day is stale unless refreshed within it; 0 s is always
        // stale once a second has passed; none: only a never-refreshed cache or a newer source.
        let cases: [(Int?, Bool)] = [(nil, never), (0, never || now - updated > 0), (1_000_000_000, never)]
        for (validTime, expected) in cases {
            var values: [String: Value] = ["name": .string("haproxy")]
            if let validTime { values["cache_valid_time"] = .int(validTime) }
            let module = try apt(values)
            #expect(!module.facts.contains { $0.key == AptModule.cacheQuery.key }, "the cache's age is not read for an install")
            let run = try transport.run("if \(module.staleOnHost); then echo stale; else echo fresh; fi", stdin: nil, timeout: .seconds(10))
            #expect(run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == (expected ? "stale" : "fresh"),
                    "cache_valid_time \(validTime.map(String.init) ?? "none"): \(age)")
        }
        // Every branch, with stat and date answering made-up times: refreshed 3700 s ago,
        // the newest source older or newer than that.
        func onHost(_ validTime: Int?, sourceChanged: Int) throws -> String {
            var values: [String: Value] = ["name": .string("haproxy")]
            if let validTime { values["cache_valid_time"] = .int(validTime) }
            let times = "stat() { printf '%s %s\\n' 1700000000 \(AptModule.stamp) \(sourceChanged) /etc/apt/sources.list; }; date() { echo 1700003700; }; unset EPOCHSECONDS"
            let script = "\(times); if \(try apt(values).staleOnHost); then echo stale; else echo fresh; fi"
            return try transport.run(script, stdin: nil, timeout: .seconds(10)).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try onHost(3600, sourceChanged: 1690000000) == "stale")
        #expect(try onHost(7200, sourceChanged: 1690000000) == "fresh")
        #expect(try onHost(nil, sourceChanged: 1690000000) == "fresh")
        #expect(try onHost(7200, sourceChanged: 1700000050) == "stale")
        #expect(try onHost(nil, sourceChanged: 1700000050) == "stale")
        // A refresh alone and latest still read it: their plan depends on it.
        #expect(try apt(["update_cache": .bool(true)]).facts.contains { $0.key == AptModule.cacheQuery.key })
        #expect(try apt(["name": .string("haproxy"), "state": .string("latest")]).facts.contains { $0.key == AptModule.cacheQuery.key })
    }

    /// Whether a source changed since the last refresh, told by the shell's `-nt`: run on a
    /// copy of the apt folders' layout, in both shells a login may have.
    @Test func theSourcesQueryTellsASourceNewerThanTheLastRefresh() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let transport = LocalTransport(hostName: "here")
        func ask(_ shell: String) throws -> String {
            let command = AptModule.sourcesQuery.command.replacingOccurrences(of: AptModule.stamp, with: folder + "/stamp")
                .replacingOccurrences(of: "/etc/apt/", with: folder + "/apt/")
            return try transport.run("\(shell) -c \(Shell.quote(command))", stdin: nil, timeout: .seconds(10)).stdoutText
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try FileManager.default.createDirectory(atPath: folder + "/apt/sources.list.d", withIntermediateDirectories: true)
        try "deb http://deb.debian.org/debian bookworm main\n".write(toFile: folder + "/apt/sources.list", atomically: true, encoding: .utf8)
        for shell in ["sh", "bash"] { #expect(try ask(shell) == "never", "\(shell)") }
        let old = Date(timeIntervalSinceNow: -600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + "/apt/sources.list")
        try "".write(toFile: folder + "/stamp", atomically: true, encoding: .utf8)
        for shell in ["sh", "bash"] { #expect(try ask(shell) == "same", "\(shell): no keyrings folder, an empty sources.list.d") }
        try "deb [signed-by=/etc/apt/keyrings/x.asc] http://10.0.0.1/ ./\n".write(toFile: folder + "/apt/sources.list.d/x.list", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: folder + "/apt/sources.list.d/x.list")
        for shell in ["sh", "bash"] { #expect(try ask(shell) == "changed", "\(shell)") }
    }
}
