import Foundation
import Testing
@testable import HaprovCore

/// Data-driven module tests, "facts in, plan out": each file in Tests/Fixtures/modules/ holds
/// the cases of one module, each with the task's arguments, what the host's fact commands
/// printed, and the exact change summaries the module must plan (or the error it must raise).
/// No host is involved: the facts come only from the fixture, so the tests run anywhere.
@Suite struct ModuleFixtureTests {
    @Test(arguments: ModuleFixture.all)
    func fixture(_ fixture: ModuleFixture) throws {
        if let problem = fixture.problem {
            Issue.record("\(problem)")
            return
        }
        guard let expectation = fixture.expectation else {
            Issue.record("the case has no plan: or error:")
            return
        }
        let type = try ModuleRegistry.module(named: fixture.module)
        let context = TaskContext(hostName: "host", searchPaths: [ModuleFixture.filesFolder], variables: fixture.variables)

        let outcome: Result<Plan, any Error>
        do {
            let module = try type.init(args: ModuleArgs(module: fixture.module, values: fixture.args), context: context)
            // Facts come only from the fixture, and all of them must be asked for: a fixture
            // that forgot a fact, or keeps one the module no longer reads, is out of date.
            let asked = module.facts.map(\.key)
            let missing = asked.filter { fixture.facts[$0] == nil }
            let unused = fixture.facts.keys.filter { !asked.contains($0) }.sorted()
            if !missing.isEmpty {
                Issue.record("the case does not give these facts (under facts: or files:): \(missing.joined(separator: ", "))")
            }
            if !unused.isEmpty {
                Issue.record("the module does not ask for these facts: \(unused.joined(separator: ", ")); it asks for: \(asked.isEmpty ? "none" : asked.joined(separator: ", "))")
            }
            if !missing.isEmpty || !unused.isEmpty { return }
            outcome = Result { try module.plan(HostFacts(outputs: fixture.facts)) }
        } catch {
            if !fixture.facts.isEmpty {
                Issue.record("the module failed to build (\(error)), so the facts given are never read: drop them")
            }
            outcome = .failure(error)
        }

        switch (expectation, outcome) {
        case (.plan(let expected), .success(let plan)):
            #expect(plan.changes.map(\.summary) == expected)
            let scripts = plan.changes.map(\.script).joined(separator: "\n")
            for part in fixture.scriptsContain {
                #expect(scripts.contains(part), "the scripts do not contain \(part):\n\(scripts)")
            }
            for part in fixture.scriptsLack {
                #expect(!scripts.contains(part), "the scripts contain \(part):\n\(scripts)")
            }
            let diffs = plan.changes.compactMap(\.diff).joined(separator: "\n")
            for part in fixture.diffContains {
                #expect(diffs.contains(part), "the diffs do not contain \(part):\n\(diffs)")
            }
        case (.plan(let expected), .failure(let error)):
            Issue.record("expected the plan \(expected), but it failed: \(error)")
        case (.error(let text), .failure(let error)):
            #expect(String(describing: error).contains(text), "the error does not contain \(text)")
        case (.error(let text), .success(let plan)):
            Issue.record("expected an error containing \(text), but it planned \(plan.changes.map(\.summary))")
        }
    }

    @Test func everyRegisteredModuleHasAFixtureFile() {
        let covered = Set(ModuleFixture.all.map(\.module))
        let registered = ModuleRegistry.all.map { $0.name }
        for name in registered where !covered.contains(name) {
            Issue.record("no fixture for module \(name): add Tests/Fixtures/modules/\(name).yml")
        }
    }
}

/// One case of a module fixture file:
///
///     - name: what the case shows
///       args: {...}               # the task's arguments
///       vars: {...}               # host variables (template, assert)
///       facts: {KEY: "output"}    # or {output: "...", exit: 1}, by FactQuery key
///       files: {PATH: absent}     # or {content | content_file | sha256, type, mode, owner, group}
///       plan: ["summary", ...]    # exact change summaries in order; [] = ok
///       error: "text"             # instead of plan: the module must fail with this in its message
///       scripts_contain: [...]    # optional; also scripts_lack, diff_contains
struct ModuleFixture: Sendable, CustomTestStringConvertible {
    enum Expectation: Sendable { case plan([String]), error(String) }

    var file: String
    var module: String
    var name: String
    var args: [String: Value] = [:]
    var variables: [String: Value] = [:]
    var facts: [String: FactOutput] = [:]
    var expectation: Expectation?
    var scriptsContain: [String] = []
    var scriptsLack: [String] = []
    var diffContains: [String] = []
    /// Why the file or the case cannot be used; the case fails with it.
    var problem: String?

    var testDescription: String { "\(file): \(name)" }

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/modules").path
    /// `src` files of copy and template, and file contents too long to sit in a case.
    static let filesFolder = folder + "/files"

    static let all: [ModuleFixture] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".yml") }.sorted().flatMap(load)
    }()

    static let fileKeys: Set<String> = ["module", "cases"]
    static let caseKeys: Set<String> = ["name", "args", "vars", "facts", "files", "plan", "error", "scripts_contain", "scripts_lack", "diff_contains"]

    /// The cases of one file; a file that cannot be read becomes one failing case, so a broken
    /// fixture is never silently skipped.
    static func load(_ fileName: String) -> [ModuleFixture] {
        let broken = { (problem: String) in [ModuleFixture(file: fileName, module: "", name: "(file)", problem: problem)] }
        let root: Value
        do {
            let text = try String(contentsOfFile: folder + "/" + fileName, encoding: .utf8)
            root = try YAMLDocument.parseValue(text)
        } catch {
            return broken("cannot read \(fileName): \(error)")
        }
        guard case .map(let top) = root else { return broken("expected a map with module: and cases:") }
        if let unknown = top.keys.sorted().first(where: { !fileKeys.contains($0) }) { return broken("unknown key \(unknown)") }
        guard case .string(let module)? = top["module"] else { return broken("module: is missing") }
        do {
            _ = try ModuleRegistry.module(named: module)
        } catch {
            return broken("\(error)")
        }
        guard case .list(let cases)? = top["cases"], !cases.isEmpty else { return broken("cases: is missing or empty") }
        return cases.enumerated().map { index, value in
            var fixture = ModuleFixture(file: fileName, module: module, name: "case \(index + 1)")
            do {
                try fixture.read(value)
            } catch {
                fixture.problem = "\(error)"
            }
            return fixture
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    mutating func read(_ value: Value) throws {
        guard case .map(let entries) = value else { throw FixtureError("a case must be a map") }
        if let name = entries["name"] { self.name = try Self.text(name, at: "name") }
        if let unknown = entries.keys.sorted().first(where: { !Self.caseKeys.contains($0) }) {
            throw FixtureError("unknown key \(unknown) (known: \(Self.caseKeys.sorted().joined(separator: ", ")))")
        }
        args = try Self.map(entries["args"], at: "args")
        variables = try Self.map(entries["vars"], at: "vars")
        for (key, output) in try Self.map(entries["facts"], at: "facts") {
            facts[key] = try Self.factOutput(output, at: "facts.\(key)")
        }
        for (path, state) in try Self.map(entries["files"], at: "files") {
            let key = Facts.file(path).key
            if facts[key] != nil { throw FixtureError("\(key) is given both under facts: and files:") }
            facts[key] = try Self.fileOutput(state, at: "files.\(path)")
        }
        switch (entries["plan"], entries["error"]) {
        case (let plan?, nil): expectation = .plan(try Self.strings(plan, at: "plan"))
        case (nil, let error?): expectation = .error(try Self.text(error, at: "error"))
        case (nil, nil): throw FixtureError("the case needs plan: (the change summaries, [] when in sync) or error:")
        case (_?, _?): throw FixtureError("give plan: or error:, not both")
        }
        scriptsContain = try entries["scripts_contain"].map { try Self.strings($0, at: "scripts_contain") } ?? []
        scriptsLack = try entries["scripts_lack"].map { try Self.strings($0, at: "scripts_lack") } ?? []
        diffContains = try entries["diff_contains"].map { try Self.strings($0, at: "diff_contains") } ?? []
        if case .error = expectation, !(scriptsContain.isEmpty && scriptsLack.isEmpty && diffContains.isEmpty) {
            throw FixtureError("scripts_contain, scripts_lack and diff_contains need a plan, not an error")
        }
    }

    static func map(_ value: Value?, at place: String) throws -> [String: Value] {
        switch value {
        case nil, .null?: return [:]
        case .map(let entries)?: return entries
        default: throw FixtureError("\(place) must be a map")
        }
    }

    /// A scalar as text; yes/no must be quoted, as YAML would make them booleans.
    static func text(_ value: Value, at place: String) throws -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool: throw FixtureError("\(place): quote yes, no, true and false, YAML reads them as booleans")
        default: throw FixtureError("\(place) must be text")
        }
    }

    static func strings(_ value: Value, at place: String) throws -> [String] {
        guard case .list(let items) = value else { throw FixtureError("\(place) must be a list") }
        return try items.map { try text($0, at: place) }
    }

    /// `"text"` (exit status 0) or `{output: "text", exit: 1}`.
    static func factOutput(_ value: Value, at place: String) throws -> FactOutput {
        if case .map(let entries) = value {
            if let unknown = entries.keys.sorted().first(where: { !["output", "exit"].contains($0) }) {
                throw FixtureError("\(place): unknown key \(unknown) (output, exit)")
            }
            let status = try entries["exit"].map { try text($0, at: place + ".exit") } ?? "0"
            guard let exit = Int32(status) else { throw FixtureError("\(place).exit must be a number") }
            return FactOutput(exitStatus: exit, output: Data(try text(entries["output"] ?? .null, at: place + ".output").utf8))
        }
        return FactOutput(exitStatus: 0, output: Data(try text(value, at: place).utf8))
    }

    /// What `Facts.file` prints for a file described as `absent` or
    /// `{content | content_file | sha256, type, mode, owner, group}`.
    static func fileOutput(_ value: Value, at place: String) throws -> FactOutput {
        if case .string("absent") = value { return FactOutput(exitStatus: 0, output: Data("absent".utf8)) }
        let entries = try map(value, at: place)
        let known = ["content", "content_file", "sha256", "type", "mode", "owner", "group"]
        if let unknown = entries.keys.sorted().first(where: { !known.contains($0) }) {
            throw FixtureError("\(place): unknown key \(unknown) (\(known.joined(separator: ", ")), or the word absent)")
        }
        var content = try entries["content"].map { Data(try text($0, at: place + ".content").utf8) }
        if let name = try entries["content_file"].map({ try text($0, at: place + ".content_file") }) {
            guard content == nil else { throw FixtureError("\(place): give content or content_file, not both") }
            guard let data = FileManager.default.contents(atPath: filesFolder + "/" + name) else {
                throw FixtureError("\(place): no file \(name) in \(filesFolder)")
            }
            content = data
        }
        let sha256 = try entries["sha256"].map { try text($0, at: place + ".sha256") }
        let type = try entries["type"].map { try text($0, at: place + ".type") } ?? "file"
        // The words stat -c %F prints.
        let statType: String
        switch type {
        case "file": statType = content?.isEmpty == true ? "regular empty file" : "regular file"
        case "directory": statType = "directory"
        case "link": statType = "symbolic link"
        default: statType = type
        }
        let mode = try entries["mode"].map { try text($0, at: place + ".mode") } ?? (type == "directory" ? "755" : type == "link" ? "777" : "644")
        guard let octal = Int(mode, radix: 8) else { throw FixtureError("\(place).mode must be octal like 644") }
        let owner = try entries["owner"].map { try text($0, at: place + ".owner") } ?? "root"
        let group = try entries["group"].map { try text($0, at: place + ".group") } ?? "root"
        var lines = ["\(statType)|\(String(octal, radix: 8))|\(owner)|\(group)|\(content?.count ?? 4096)"]
        if let content {
            lines += ["content", content.base64EncodedString()]
        } else if let sha256 {
            lines += ["sha256", sha256]
        }
        return FactOutput(exitStatus: 0, output: Data(lines.joined(separator: "\n").utf8))
    }
}
