import Foundation
import Testing
@testable import HaprovCore

/// Changes to a live keepalived stack under client load from the lab gateway: the rollout's
/// order, drains, hand-over and health gates, and not one failed request.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct LiveRolloutTests {
    /// A twin of lab-keepalived.yml in a lab of its own, so that other suites can use theirs meanwhile.
    static func twin() throws -> (inventory: String, vip: String, folder: String) {
        let folder = NSTemporaryDirectory() + "haprov-rollout-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return (try StackTests.keepalivedTwin("rollout", octet: 40, in: folder), "10.213.40.100", folder)
    }

    /// A copy of Roles/ that the test changes as a teacher would (roles are data).
    static func roles(_ folder: String, edit: (String) throws -> Void) throws -> String {
        let copy = folder + "/roles-\(UUID().uuidString.prefix(8))"
        try FileManager.default.copyItem(atPath: Binary.repository + "/Roles", toPath: copy)
        try edit(copy)
        return copy
    }

    struct Load: Decodable {
        var requests: Int
        var failed: Int
        var failed_keepalive: Int
        var longest_gap_s: Double
    }

    /// Runs `body` while Scripts/live-load sends requests to the VIP from the gateway.
    static func underLoad(_ vip: String, _ body: () throws -> Void) throws -> Load {
        let stop = NSTemporaryDirectory() + "haprov-load-stop-\(UUID().uuidString)"
        let box = LoadBox()
        let thread = Thread {
            let result = try? LocalProcess.run([Binary.repository + "/Scripts/live-load", "http://\(vip)/", stop, "--max-seconds", "300"], timeout: .seconds(400))
            box.finish(result)
        }
        thread.start()
        Thread.sleep(forTimeInterval: 1.5)
        defer { FileManager.default.createFile(atPath: stop, contents: Data()) }
        try body()
        Thread.sleep(forTimeInterval: 1.5)
        FileManager.default.createFile(atPath: stop, contents: Data())
        let result = box.wait()
        try? FileManager.default.removeItem(atPath: stop)
        let line = result?.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONDecoder().decode(Load.self, from: Data(line.utf8))
    }

    static func events(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func changesToALiveStackDropNoRequest() throws {
        let (path, vip, folder) = try Self.twin()
        defer {
            _ = try? Binary.run(["lab", "down", path], timeout: .seconds(300))
            try? FileManager.default.removeItem(atPath: folder)
        }
        try StackTests.freshLab(path)
        try StackTests.haprov(["apply", "--no-test", path])
        // apply returns once the stack serves: check right after exits 0.
        try StackTests.haprov(["check", path])

        // The app changed on both web servers: one at a time, each drained on both balancers first.
        try StackTests.haprov(["run", path, "--limit", "web1,web2", "--", "echo '# edited by hand' >> /opt/haprov-web/app.py"])
        var output = ""
        let web = try Self.underLoad(vip) {
            output = try StackTests.haprov(["apply", "--no-test", "--format", "json", path]).stdoutText
        }
        #expect(web.failed == 0 && web.requests > 300, "web change under load: \(web)")
        let events = Self.events(output)
        let batches = events.first { $0["event"] as? String == "rollout" }?["batches"] as? [[String]] ?? []
        #expect(batches == [["web1"], ["web2"]], "\(output)")
        let steps = events.filter { $0["event"] as? String == "rollout_step" }.map { "\($0["host"] ?? "") \($0["action"] ?? "") \($0["detail"] ?? "")" }
        let drain = steps.firstIndex { $0.hasPrefix("web1 drain web1 drained on lb1") }
        let restart = events.firstIndex { $0["host"] as? String == "web1" && $0["task"] as? String == "restart web" }
        let drainEvent = events.firstIndex { $0["event"] as? String == "rollout_step" && $0["host"] as? String == "web1" && $0["action"] as? String == "drain" }
        #expect(drain != nil && steps.contains { $0.hasPrefix("web1 drain web1 drained on lb2") }, "\(steps)")
        #expect(drainEvent != nil && restart != nil && drainEvent! < restart!, "drained before the restart")
        #expect(steps.contains { $0.hasPrefix("web2 ready web2 up again on lb1") })
        try StackTests.haprov(["check", path])

        // keepalived.conf changed on both load balancers: reloaded one after the other, VRRP
        // state kept, the VIP never moves.
        let reload = try Self.underLoad(vip) {
            output = try StackTests.haprov(["apply", "--no-test", "-e", "keepalived_advert_int=2", path]).stdoutText
        }
        #expect(reload.failed == 0, "keepalived.conf change under load: \(reload)\n\(output)")
        #expect(output.contains("ROLLOUT 2 batch(es): [lb2] → [lb1]") && output.contains("handler keepalived | reload keepalived"), "\(output)")
        #expect(!output.contains("handover"), "a reload needs no hand-over")
        try StackTests.haprov(["check", path, "-e", "keepalived_advert_int=2"])

        // keepalived restarted (a role that declares it interrupting): the holder hands the VIP
        // over first, its peer changes first, and the VIP comes back (preemption).
        let restarting = try Self.roles(folder) { roles in
            try "- name: reload keepalived\n  service:\n    name: keepalived\n    state: restarted\n"
                .write(toFile: roles + "/keepalived/handlers/main.yml", atomically: true, encoding: .utf8)
            let meta = roles + "/keepalived/meta/rollout.yml"
            try String(contentsOfFile: meta, encoding: .utf8).replacingOccurrences(of: "interrupts: [Keepalived installed]", with: "interrupts: [Keepalived installed, reload keepalived]")
                .write(toFile: meta, atomically: true, encoding: .utf8)
        }
        let keepalived = try Self.underLoad(vip) {
            output = try StackTests.haprov(["apply", "--no-test", "--roles-path", restarting, "-e", "keepalived_advert_int=3", path]).stdoutText
        }
        // The VIP moves twice. The hand-over leaves no gap, but a request in flight at the very
        // moment the VIP moves (its packets then reach the other node) is reset, and the
        // keep-alive connections to the old holder cannot follow: measured 0 to 3 of ~3,500. This
        // is why haprov reloads keepalived rather than restarting it; the test bounds it at 0.2%.
        #expect(keepalived.requests > 1000 && keepalived.failed * 500 <= keepalived.requests, "keepalived restart under load: \(keepalived)\n\(output)")
        #expect(output.contains("ROLLOUT 2 batch(es): [lb2] → [lb1]"), "\(output)")
        let handover = output.range(of: "lb1    handover VIP \(vip) handed over to lb2")
        let restartLine = output.range(of: "lb1    changed  handler keepalived | reload keepalived")
        #expect(handover != nil && restartLine != nil && handover!.lowerBound < restartLine!.lowerBound, "\(output)")
        #expect(output.contains("lb1    takeback VIP \(vip) back on lb1"), "\(output)")
        try StackTests.haprov(["check", path, "-e", "keepalived_advert_int=3"])
        try StackTests.haprov(["apply", "--no-test", path])

        // A web server that does not come back healthy stops the rollout: it stays drained,
        // its peer is left untouched and serves.
        // The change breaks web1: its gate (in a copy of the role) fails once app.py is the role's.
        let pristine = SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: Binary.repository + "/Roles/web/files/app.py")))
        let failing = try Self.roles(folder) { roles in
            let meta = roles + "/web/meta/smoke.yml"
            let probe = "http: \"http://127.0.0.1:{{ web_port }}/\"\n    contains: \"{{ web_name }}\"\n    timeout: 30"
            let text = try String(contentsOfFile: meta, encoding: .utf8)
            #expect(text.contains(probe), "the web role's gate changed: \(text)")
            try text.replacingOccurrences(of: probe, with: "command: ( test {{ inventory_hostname }} != web1 || ! sha256sum {{ web_app_dir }}/app.py | grep -q \(pristine) ) && curl -fsS -m 2 -o /dev/null http://127.0.0.1:{{ web_port }}/\n    timeout: 3")
                .write(toFile: meta, atomically: true, encoding: .utf8)
        }
        try StackTests.haprov(["run", path, "--limit", "web1,web2", "--", "echo '# edited again' >> /opt/haprov-web/app.py"])
        let stopped = try Self.underLoad(vip) {
            output = try StackTests.haprov(["apply", "--no-test", "--roles-path", failing, path], expect: 1).stdoutText
        }
        #expect(stopped.failed == 0, "the failed host stays out of rotation: \(stopped)")
        #expect(output.contains("ROLLOUT STOPPED: web1: the web app answers: not after 3 s"), "\(output)")
        #expect(output.contains("left untouched, still serving as before: web2"), "\(output)")
        #expect(!output.contains("web2   changed"), "\(output)")
        // The next apply puts web1 back in rotation and finishes web2.
        let next = try StackTests.haprov(["apply", "--no-test", path]).stdoutText
        #expect(next.contains("web1 was left drained on lb1 by an earlier run"), "\(next)")
        try StackTests.haprov(["check", path])
    }
}

private final class LoadBox: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: CommandResult?
    func finish(_ result: CommandResult?) { self.result = result; done.signal() }
    func wait() -> CommandResult? { done.wait(); return result }
}
