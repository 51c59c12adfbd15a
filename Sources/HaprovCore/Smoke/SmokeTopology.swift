import Foundation

/// What the smoke tests need to know about a stack, read from the inventory's variables.
public struct SmokeTopology: Sendable {
    /// A web server: its inventory name, the name it answers with, how to stop and start its app.
    public struct WebServer: Sendable {
        public var host: String
        public var answersAs: String
        public var stopCommand: String
        public var startCommand: String
    }

    /// A load balancer node: its inventory name and, with keepalived, its VRRP role.
    public struct Balancer: Sendable {
        public var host: String
        public var isMaster: Bool
        public var service: String
    }

    /// Where requests go: the VIP, or the single load balancer's address.
    public var front: String
    public var frontPort: Int
    /// The host requests are sent from (a client host, else the first load balancer).
    public var client: String
    public var clientAddress: String?
    public var webServers: [WebServer]
    public var balancers: [Balancer]
    /// The VIP without prefix, when keepalived runs.
    public var vip: String?
    public var nopreempt: Bool
    /// Transparent mode: backends must see the client's own address.
    public var transparent: Bool
    /// Round robin expected (roundrobin, byrequests); leastconn/source only need both servers seen.
    public var expectsAlternation: Bool
    public var statsURL: String?
    public var statsUser: String?
    public var statsPassword: String?

    /// Builds the topology from per-host variables and the roles each host runs.
    public static func from(hosts: [String], variables: [String: [String: Value]], roles: [String: [String]]) throws -> SmokeTopology {
        func text(_ host: String, _ key: String) -> String? { variables[host]?[key]?.plainString }
        let webs = hosts.filter { roles[$0]?.contains("web") == true }
        let balancers = hosts.filter { (roles[$0] ?? []).contains { ["haproxy", "apache_balancer"].contains($0) } }
        guard !webs.isEmpty else { throw SmokeError("no host runs the web role: nothing to test") }
        guard let firstBalancer = balancers.first else { throw SmokeError("no host runs haproxy or apache_balancer: nothing to test") }
        let usesKeepalived = balancers.contains { roles[$0]?.contains("keepalived") == true }
        let vip = usesKeepalived ? text(firstBalancer, "keepalived_vip").map { String($0.split(separator: "/")[0]) } : nil
        if usesKeepalived, vip?.isEmpty != false { throw SmokeError("keepalived runs but keepalived_vip is not set") }
        let clients = hosts.filter { variables[$0]?["group_names"]?.stringList.contains("clients") == true }
        let client = clients.first ?? firstBalancer
        let usesApache = roles[firstBalancer]?.contains("apache_balancer") == true
        let mode = text(firstBalancer, "haproxy_mode") ?? "http"
        let balance = usesApache ? (text(firstBalancer, "apache_balancer_lbmethod") ?? "byrequests") : (text(firstBalancer, "haproxy_balance") ?? "roundrobin")
        let front = vip ?? text(firstBalancer, "ansible_host") ?? firstBalancer
        let statsEnabled = !usesApache && (variables[firstBalancer]?["haproxy_stats"].map { $0 != .bool(false) } ?? true)
        let statsPort = text(firstBalancer, "haproxy_stats_port") ?? "8404"
        let statsURI = text(firstBalancer, "haproxy_stats_uri") ?? "/stats"
        return SmokeTopology(
            front: front,
            frontPort: 80,
            client: client,
            clientAddress: text(client, "ansible_host"),
            webServers: webs.map { host in
                let server = text(host, "web_server") ?? "flask"
                let runtime = text(host, "web_runtime") ?? "systemd"
                let unit = server == "apache" ? "apache2" : "haprov-web"
                let dir = text(host, "web_app_dir") ?? "/opt/haprov-web"
                // The web role's own compose command (its defaults are in these variables).
                let compose = text(host, "web_compose") ?? "docker compose"
                let stop = runtime == "docker" && server == "flask" ? "cd \(Shell.quote(dir)) && \(compose) stop" : "systemctl stop \(unit)"
                let start = runtime == "docker" && server == "flask" ? "cd \(Shell.quote(dir)) && \(compose) start" : "systemctl start \(unit)"
                return WebServer(host: host, answersAs: text(host, "web_name") ?? host, stopCommand: stop, startCommand: start)
            },
            balancers: balancers.map { host in
                Balancer(host: host, isMaster: text(host, "keepalived_state") == "MASTER", service: usesApache ? "apache2" : "haproxy")
            },
            vip: vip,
            nopreempt: balancers.contains { variables[$0]?["keepalived_nopreempt"] == .bool(true) },
            transparent: mode == "tcp",
            expectsAlternation: balance == "roundrobin" || balance == "byrequests",
            statsURL: statsEnabled ? "http://\(text(firstBalancer, "ansible_host") ?? firstBalancer):\(statsPort)\(statsURI)" : nil,
            statsUser: text(firstBalancer, "haproxy_stats_user"),
            statsPassword: text(firstBalancer, "haproxy_stats_password"))
    }
}

public struct SmokeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
