import Foundation
import Testing
@testable import HaprovCore

@Suite struct TrafficControlTests {
    static let stat = """
        # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight
        web_frontend,FRONTEND,,,3,5,2000,90,,,,,,,,,,OPEN,
        web_servers,web1,0,0,2,3,,50,,,,,,,,,,DRAIN,1
        web_servers,web2,0,0,1,2,,40,,,,,,,,,,UP,1
        web_servers,BACKEND,0,0,3,5,200,90,,,,,,,,,,UP,2
        """

    @Test func readsAServersSessionsAndStatus() {
        #expect(TrafficControl.parseStat(Self.stat, server: "web1") == [.init(proxy: "web_servers", server: "web1", sessions: 2, status: "DRAIN")])
        #expect(TrafficControl.parseStat(Self.stat, server: "web2").first?.status == "UP")
        #expect(TrafficControl.parseStat(Self.stat, server: "web3").isEmpty)
    }

    /// The first round trip of every apply asks HAProxy nothing unless haprov left a drain mark;
    /// the handover is read by the shell. Both run here for real.
    @Test func nothingIsAskedWithoutAMark() throws {
        #expect(!FileManager.default.fileExists(atPath: TrafficControl.drainMarks), "this machine holds haprov's drain marks")
        let quiet = try LocalTransport().run(TrafficControl.haproxyStatIfMarked(socket: "/nonexistent/admin.sock"))
        #expect(quiet.succeeded && quiet.stdout.isEmpty)
        // With a mark left, HAProxy is asked and its failure is the query's (no socket: 3).
        let marks = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: marks) }
        try "".write(toFile: marks + "/web1", atomically: true, encoding: .utf8)
        let marked = try LocalTransport().run(TrafficControl.haproxyStatIfMarked(socket: "/nonexistent/admin.sock")
            .replacingOccurrences(of: TrafficControl.drainMarks, with: marks))
        #expect(marked.exitStatus == 3 && marked.stderrText.contains("no admin socket"), "\(marked)")
        // It runs in the fact script's own shell: the queries after it still run.
        let stat = FactQuery(key: "stat", command: TrafficControl.haproxyStatIfMarked(socket: "/nonexistent/admin.sock"), ownShell: false)
        let after = FactQuery(key: "after", command: "echo still here", ownShell: false)
        let gathered = try FactGatherer.gather([stat, after], on: LocalTransport())
        #expect(try gathered.output(stat).output.isEmpty && gathered.output(after).text == "still here")
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try LocalTransport().run(TrafficControl.readHandover(file: root + "/h")).stdoutText == "0\n")
        try "-99".write(toFile: root + "/h", atomically: true, encoding: .utf8)
        #expect(try LocalTransport().run(TrafficControl.readHandover(file: root + "/h")).stdoutText == "-99\n")
        // A drain marks the server before it asks HAProxy; ready takes the mark away, even when HAProxy is gone.
        let drain = TrafficControl.haproxySetState(socket: "/run/haproxy/admin.sock", server: "web1", state: "drain")
        #expect(drain.contains("do\n  [ -n \"$marked\" ] || { mkdir -p /run/haprov/drained && : > /run/haprov/drained/web1 || exit 1; marked=1; }\n  out="), "\(drain)")
        let ready = TrafficControl.haproxySetState(socket: "/run/haproxy/admin.sock", server: "web1", state: "ready")
        #expect(ready.contains("|| { rm -f /run/haprov/drained/web1; exit 0; }") && ready.hasSuffix("\nrm -f /run/haprov/drained/web1"))
        for script in [drain, ready, TrafficControl.haproxyStatIfMarked(socket: "/run/haproxy/admin.sock")] {
            let syntax = try LocalTransport().run("sh -n -c \(Shell.quote(script))")
            #expect(syntax.succeeded, "\(syntax.stderrText)\n\(script)")
        }
    }

    @Test func handoverFallsBackToStoppingWhereTheConfigPredatesTheFile() {
        let script = TrafficControl.writeHandover(-99, file: "/run/h", config: "/etc/keepalived/keepalived.conf", stop: "systemctl stop keepalived")
        #expect(script == "if grep -qF /run/h /etc/keepalived/keepalived.conf; then printf '%s\\n' -99 > /run/h; else systemctl stop keepalived && exit 10; fi")
        #expect(TrafficControl.writeHandover(0, file: "/run/h", config: "/c", stop: "s") == "printf '%s\\n' 0 > /run/h")
    }

    @Test func readsAnApacheMember() {
        let html = """
            <tr><td><a href="/balancer-manager?b=mycluster&amp;w=http://10.213.10.11&amp;nonce=">http://10.213.10.11</a></td><td>backend1</td><td></td><td>1.00</td><td>0</td><td>Init Dis </td><td>539</td><td>2</td><td>0</td><td> 96K</td><td> 24K</td></tr>
            """
        let row = TrafficControl.parseApacheMember(html, member: "http://10.213.10.11")
        #expect(row?.disabled == true)
        #expect(row?.busy == 2)
        #expect(row?.up == false)
        #expect(TrafficControl.parseApacheMember(html, member: "http://10.213.10.12") == nil)
    }
}
