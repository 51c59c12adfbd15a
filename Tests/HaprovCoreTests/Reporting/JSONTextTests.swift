import Foundation
import Testing
@testable import HaprovCore

/// The event lines' hand-written JSON: what a JSON parser reads back is what was written.
@Suite struct JSONTextTests {
    @Test func everyStringReadsBackAsItWasAndKeysComeSorted() throws {
        let strings = ["plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{01}\u{08}\u{0C}\u{1F}\u{7F}", "/etc/haproxy/haproxy.cfg",
                       "é ü 漢字 🙂", "\u{2028}\u{2029}", "", "{{ not a template }}"]
        let value = JSONText.object(["z": .strings(strings), "a": .int(-42), "m": .double(0.125), "b": .bool(true),
                                     "n": .object(["y": .double(3), "x": .bool(false)])])
        let text = value.text
        #expect(text.hasPrefix("{\"a\":-42,\"b\":true,\"m\":0.125,\"n\":{\"x\":false,\"y\":3},\"z\":["))
        #expect(text.contains("/etc/haproxy/haproxy.cfg") && !text.contains("\n"))
        let read = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(read["z"] as? [String] == strings)
        #expect(read["a"] as? Int == -42 && read["m"] as? Double == 0.125 && read["b"] as? Bool == true)
        #expect((read["n"] as? [String: Any])?["y"] as? Int == 3)
    }

    /// The reporter's lines parse, with the fields scripts read (a task, the recap).
    @Test func theReportersLinesParse() throws {
        let output = CapturedOutput()
        let reporter = JSONLinesReporter(output: output)
        reporter.report(.task(TaskResult(host: "web1", role: "web", task: "say \"hi\"\n", status: .changed, changes: ["write /etc/x"],
                                         diffs: ["--- a\n+++ b"], message: "done", isHandler: false, seconds: 0.12345)))
        reporter.report(.finished([HostRecap(host: "web1")]))
        let lines = output.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let task = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(task["task"] as? String == "say \"hi\"\n" && task["status"] as? String == "changed" && task["seconds"] as? Double == 0.123)
        #expect(task["diffs"] as? [String] == ["--- a\n+++ b"] && task["message"] as? String == "done")
        let recap = try #require(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect((recap["hosts"] as? [[String: Any]])?.first?["host"] as? String == "web1")
    }
}
