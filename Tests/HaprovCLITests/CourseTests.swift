import Foundation
import Testing
@testable import HaprovCore

/// A class of three lab twins made by `haprov course new`, as a teacher runs it: brought up and
/// applied together; one lab sabotaged by hand (a web server's app stopped and moved away,
/// haproxy.cfg edited); `course test` fails exactly that lab and those tests while an unreachable lab fails
/// on its own; the class table as CSV (parsed), JUnit XML (xmllint) and Markdown; `course check`
/// names the drift; `course reset --lab` and `course apply` bring the lab back.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct CourseTests {
    static func course(_ arguments: [String], expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        try StackTests.haprov(["course"] + arguments, expect: status, timeout: .seconds(1200), sourceLocation: sourceLocation)
    }

    /// The fields of an RFC 4180 CSV text, row by row.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = Array(text).makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    // A doubled quote is a quote; a single one ends the field.
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            if next == "," { row.append(field); field = "" } else if next == "\r\n" || next == "\n" { row.append(field); rows.append(row); row = []; field = "" }
                        }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { row.append(field); field = "" } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    @Test func aClassOfThreeLabsGradedCheckedAndReset() throws {
        let folder = NSTemporaryDirectory() + "haprov-course-\(getpid())"
        let labs = folder + "/class"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let made = try Self.course(["new", labs, "--from", StackTests.inventory("lab-keepalived.yml"), "--count", "3", "--prefix", "crs", "--first-subnet", "120"])
        #expect(made.stdoutText.contains("3 lab(s) written to \(labs): crs01 ... crs03, subnets 10.213.120.0/24 to 10.213.122.0/24"), "\(made.stdoutText)")
        let twin = try String(contentsOfFile: labs + "/crs02.yml", encoding: .utf8)
        #expect(twin.contains("name: crs02") && twin.contains("subnet: 10.213.121.0/24") && twin.contains("/var/lib/haprov/lab/crs02/id_ed25519"))
        #expect(twin.contains("keepalived_router_id: 52") && !twin.contains("10.213.7."), "\(twin)")
        defer { _ = try? Binary.run(["course", "down", labs], timeout: .seconds(300)) }
        try Self.course(["up", labs])

        let applied = try Self.course(["apply", labs])
        #expect(applied.stdoutText.contains("3 lab(s) in") && applied.stdoutText.contains(": 3 ok"), "\(applied.stdoutText)")

        // A student's hands on crs02: web1's app stopped for good, haproxy.cfg edited.
        let crs02 = labs + "/crs02.yml"
        try StackTests.haprov(["run", crs02, "--limit", "web1", "--", "systemctl stop haprov-web && mv /opt/haprov-web/app.py /opt/haprov-web/app.py.off"])
        try StackTests.haprov(["run", crs02, "--limit", "lb1", "--", "echo '# edited by hand' >> /etc/haproxy/haproxy.cfg"])
        // A lab nobody can reach: crs01's twin on loopback addresses where no sshd listens.
        let unreachable = folder + "/crs99.yml"
        try String(contentsOfFile: labs + "/crs01.yml", encoding: .utf8).replacingOccurrences(of: "10.213.120.", with: "127.0.0.")
            .replacingOccurrences(of: "    ansible_user: root\n", with: "    ansible_user: root\n    ansible_port: 1\n")
            .write(toFile: unreachable, atomically: true, encoding: .utf8)

        let table = folder + "/class"
        let tested = try Self.course(["test", labs, unreachable, "--report", table + ".csv", "--report", table + ".xml", "--report", table + ".md",
                                      "--lab-reports", folder + "/annexes", "--lang", "fr"], expect: 1)
        // Each lab's own technical annex, in French, from the same run.
        let annex = try String(contentsOfFile: folder + "/annexes/crs02.md", encoding: .utf8)
        #expect(annex.contains("# Annexe technique — crs02.yml") && annex.contains("| **Échec** |"), "\(annex.prefix(400))")
        #expect(FileManager.default.fileExists(atPath: folder + "/annexes/crs01.html"))
        let csv = Self.parseCSV(try String(contentsOfFile: table + ".csv", encoding: .utf8))
        let header = try #require(csv.first)
        #expect(Array(header.prefix(3)) == ["lab", "status", "detail"] && header.contains("Round robin (6 requests)") && header.contains("VIP failover (load balancer stopped)"), "\(header)")
        let rows = Dictionary(uniqueKeysWithValues: csv.dropFirst().map { ($0[0], Dictionary(uniqueKeysWithValues: zip(header, $0))) })
        #expect(rows.keys.sorted() == ["crs01", "crs02", "crs03", "crs99"], "\(csv)")
        #expect(rows["crs01"]?["status"] == "ok" && rows["crs03"]?["status"] == "ok", "\(tested.stdoutText)")
        #expect(rows["crs99"]?["status"] == "unreachable", "\(rows["crs99"] ?? [:])")
        #expect(rows["crs02"]?["status"] == "failed", "\(rows["crs02"] ?? [:])")
        let failedTests = Set(header.filter { rows["crs02"]?[$0]?.hasPrefix("FAILED") == true })
        // web1's own probe (the web role's meta/smoke.yml) names the broken server directly.
        #expect(failedTests == ["Round robin (6 requests)", "the web app answers (web1)", "Recovery (web1 restarted)"], "\(rows["crs02"] ?? [:])")
        #expect(rows["crs02"]?["the web app answers (web1)"]?.hasPrefix("FAILED: failed on web1: HTTP 000") == true, "\(rows["crs02"] ?? [:])")
        #expect(rows["crs02"]?["Recovery (web1 restarted)"]?.hasPrefix("FAILED: answers: Serveur 2") == true, "the failure says what was seen: \(rows["crs02"] ?? [:])")
        for lab in ["crs01", "crs03"] { #expect(header.dropFirst(3).allSatisfy { rows[lab]?[$0] == "passed" }, "\(rows[lab] ?? [:])") }
        let lint = try LocalProcess.run(["/usr/bin/xmllint", "--noout", table + ".xml"])
        #expect(lint.succeeded, "the JUnit XML does not parse: \(lint.stderrText)")
        let xml = try String(contentsOfFile: table + ".xml", encoding: .utf8)
        #expect(xml.contains("<testsuite name=\"crs02\"") && xml.contains("<testcase classname=\"crs02\" name=\"Round robin (6 requests)\"><failure message="), "\(xml)")
        #expect(try String(contentsOfFile: table + ".md", encoding: .utf8).contains("| crs01 | ok |"))

        let drift = try Self.course(["check", labs], expect: 2)
        let line = drift.stdoutText.split(separator: "\n").first { $0.hasPrefix("crs02") }.map(String.init) ?? ""
        #expect(line.contains("drift") && line.contains("lb1: haproxy.cfg differs") && line.contains("web1: application differs")
                && line.contains("web1: web server enabled and running differs"), "\(drift.stdoutText)")
        #expect(drift.stdoutText.split(separator: "\n").filter { $0.hasPrefix("crs01") || $0.hasPrefix("crs03") }.allSatisfy { $0.contains(" ok ") }, "\(drift.stdoutText)")

        // The sabotaged lab thrown back to fresh hosts and applied again; the class is clean.
        try Self.course(["reset", "--lab", crs02])
        try Self.course(["apply", crs02])
        try Self.course(["check", labs])
    }
}
