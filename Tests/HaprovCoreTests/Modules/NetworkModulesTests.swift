import Foundation
import Testing
@testable import HaprovCore

/// Runs commands inside a throwaway network namespace of this machine, so the firewall and
/// routing modules are tested against the real kernel without touching the machine's own.
final class NamespaceTransport: Transport, @unchecked Sendable {
    let namespace: String
    let inner = LocalTransport(hostName: "netns")
    init(_ namespace: String) { self.namespace = namespace }
    var hostName: String { namespace }
    var roundTrips: Int { inner.roundTrips }
    func run(_ command: String, stdin: Data?, timeout: Duration?) throws -> CommandResult {
        try inner.run("ip netns exec \(namespace) /bin/sh -c \(Shell.quote(command))", stdin: stdin, timeout: timeout)
    }
    func upload(_ data: Data, to path: String, mode: Int) throws { throw TransportError(host: namespace, step: .sftp, message: "not here") }
    func download(_ path: String) throws -> Data { throw TransportError(host: namespace, step: .sftp, message: "not here") }
    func close() {}
}

@Suite(.serialized) struct NetworkModulesTests {
    static func withNamespace(_ body: (NamespaceTransport) throws -> Void) throws {
        guard getuid() == 0 else {
            Issue.record("network namespace tests need root (they create one with ip netns add)")
            return
        }
        let name = "hv-mod-\(getpid() % 100000)"
        _ = try LocalProcess.run(["/bin/sh", "-c", "ip netns del \(name) 2>/dev/null; ip netns add \(name)"])
        defer { _ = try? LocalProcess.run(["/bin/sh", "-c", "ip netns del \(name)"]) }
        try body(NamespaceTransport(name))
    }

    func plan(_ module: any Module, on transport: any Transport) throws -> Plan {
        try module.plan(FactGatherer.gather(module.facts, on: transport))
    }

    /// Applies only the kernel-side changes (persistence files belong to the real host).
    func applyLive(_ plan: Plan, on transport: any Transport) throws {
        for change in plan.changes where change.touches.contains(.firewall) || change.touches.contains(.routing) || change.touches.contains(where: { if case .sysctl = $0 { return true } else { return false } }) {
            let result = try transport.run(change.script)
            #expect(result.succeeded, "\(change.script): \(result.stderrText)")
        }
    }

    func live(_ plan: Plan) -> [Change] {
        plan.changes.filter { $0.touches.contains(.firewall) || $0.touches.contains(.routing) }
    }

    @Test func tproxyChainIsCreatedThenInSyncThenRepaired() throws {
        try Self.withNamespace { ns in
            let context = TaskContext(hostName: "lb1")
            let divert = try IptablesModule(args: ModuleArgs(module: "iptables", values: [
                "table": .string("mangle"), "chain": .string("DIVERT"),
                "rules": .list([.string("-j MARK --set-mark 1"), .string("-j ACCEPT")]),
            ]), context: context)
            let prerouting = try IptablesModule(args: ModuleArgs(module: "iptables", values: [
                "table": .string("mangle"), "chain": .string("PREROUTING"), "rules": .list([.string("-p tcp -m socket -j DIVERT")]),
            ]), context: context)
            try applyLive(try plan(divert, on: ns), on: ns)
            try applyLive(try plan(prerouting, on: ns), on: ns)
            #expect(live(try plan(divert, on: ns)).isEmpty)
            #expect(live(try plan(prerouting, on: ns)).isEmpty)

            _ = try ns.run("iptables -t mangle -D DIVERT -j ACCEPT")
            let missing = live(try plan(divert, on: ns))
            #expect(missing.count == 1)
            #expect(missing.first?.summary.contains("missing: -j ACCEPT") == true)

            try applyLive(try plan(divert, on: ns), on: ns)
            _ = try ns.run("iptables -t mangle -A DIVERT -j DROP")
            let extra = live(try plan(divert, on: ns))
            #expect(extra.first?.summary.contains("extra: -j DROP") == true)
            try applyLive(try plan(divert, on: ns), on: ns)
            #expect(live(try plan(divert, on: ns)).isEmpty)
            #expect(try ns.run("iptables -t mangle -S DIVERT").stdoutText.contains("--set-xmark 0x1/0xffffffff"))
        }
    }

    @Test func policyRoutingRuleAndTable100Route() throws {
        try Self.withNamespace { ns in
            _ = try ns.run("ip link set lo up")
            let module = try IprouteModule(args: ModuleArgs(module: "iproute", values: [
                "name": .string("tproxy"), "rules": .list([.string("fwmark 1 lookup 100")]),
                "routes": .list([.string("local 0.0.0.0/0 dev lo")]), "table": .string("100"),
            ]), context: TaskContext(hostName: "lb1"))
            let first = try plan(module, on: ns)
            #expect(live(first).count == 1)
            try applyLive(first, on: ns)
            #expect(live(try plan(module, on: ns)).isEmpty)
            _ = try ns.run("ip rule del fwmark 1 lookup 100")
            let drift = live(try plan(module, on: ns))
            #expect(drift.first?.summary.contains("add rule: fwmark 1 lookup 100") == true)
            #expect(drift.first?.summary.contains("route") == false)
        }
    }

    /// Routes through a gateway, given without a device and listed in another order than the
    /// kernel prints them: in sync once applied (a second apply changes nothing).
    @Test func routesViaAGatewayAreInSyncOnceApplied() throws {
        try Self.withNamespace { ns in
            _ = try ns.run("ip link set lo up; ip link add eth9 type veth peer name eth10; ip link set eth10 up; ip link set eth9 up; ip addr add 10.9.0.5/24 dev eth9")
            let module = try IprouteModule(args: ModuleArgs(module: "iproute", values: [
                "name": .string("web-routes"),
                "routes": .list([.string("10.77.0.0/16 via 10.9.0.254"), .string("10.66.0.0/16 via 10.9.0.254"), .string("default via 10.9.0.254")]),
            ]), context: TaskContext(hostName: "web1"))
            let first = live(try plan(module, on: ns))
            #expect(first.first?.summary.components(separatedBy: "add route").count == 4)
            try applyLive(try plan(module, on: ns), on: ns)
            #expect(live(try plan(module, on: ns)).isEmpty)
            _ = try ns.run("ip route del 10.66.0.0/16")
            #expect(live(try plan(module, on: ns)).first?.summary == "add route: 10.66.0.0/16 via 10.9.0.254 (table main)")
        }
    }

    @Test func sysctlLiveValue() throws {
        try Self.withNamespace { ns in
            let module = try SysctlModule(args: ModuleArgs(module: "sysctl", values: [
                "name": .string("net.ipv4.ip_nonlocal_bind"), "value": .string("1"), "sysctl_file": .string("/nonexistent/haprov-test.conf"),
            ]), context: TaskContext(hostName: "lb1"))
            let first = try plan(module, on: ns)
            #expect(first.changes.contains { $0.summary.hasPrefix("set net.ipv4.ip_nonlocal_bind = 1") })
            try applyLive(first, on: ns)
            let second = try plan(module, on: ns)
            #expect(!second.changes.contains { $0.summary.hasPrefix("set ") })
            #expect(second.changes.contains { $0.summary.hasPrefix("persist") })
        }
    }
}
