import Foundation

/// Everything the technical annex shows: the stack as the inventory and the hosts describe it,
/// the smoke tests' results with their timelines, and the effective configuration files.
/// Rendered as Markdown (`ReportMarkdown`) or one self-contained HTML file (`ReportHTML`).
public struct StackReport: Sendable {
    public struct Host: Sendable {
        public var name: String
        public var address: String
        public var roles: [String]
        public var survey: HostSurvey
        public var isBalancer = false
        public var isWebServer = false
        public var isClient = false
        public var holdsVIP = false
    }

    public struct ConfigFile: Sendable {
        public var host: String
        public var path: String
        /// Secrets already masked.
        public var content: String
    }

    public var inventory: String
    public var date: Date
    public var hosts: [Host]
    public var vip: String?
    /// Where requests go (the VIP or the load balancer's address) and its port.
    public var front: String
    public var frontPort: Int
    public var client: String
    public var transparent: Bool
    public var results: [SmokeResult]
    public var configs: [ConfigFile]
    /// A capture taken during the VIP failover: where, the file, and what it shows.
    public var capture: (host: String, file: String, notes: [Note])?

    public init(inventory: String, date: Date = Date(), hosts: [Host], vip: String?, front: String, frontPort: Int, client: String,
                transparent: Bool, results: [SmokeResult], configs: [ConfigFile]) {
        self.inventory = inventory
        self.date = date
        self.hosts = hosts
        self.vip = vip
        self.front = front
        self.frontPort = frontPort
        self.client = client
        self.transparent = transparent
        self.results = results
        self.configs = configs
    }

    public var balancers: [Host] { hosts.filter(\.isBalancer) }
    public var webServers: [Host] { hosts.filter(\.isWebServer) }

    /// Asks every host, in parallel and in one command each, what the addressing plan shows and
    /// the configuration files its roles install under /etc; who holds the VIP comes with it.
    public static func collect(inventory: String, jobs: [HostJob], topology: SmokeTopology, results: [SmokeResult],
                               connect: @escaping @Sendable (String) throws -> any Transport) -> StackReport {
        let renderer = TemplateRenderer()
        let balancers = Set(topology.balancers.map(\.host))
        let webServers = Set(topology.webServers.map(\.host))
        let surveyed = Parallel.map(jobs) { job -> (Host, [ConfigFile]) in
            let variables = job.resolvedVariables(renderer)
            let files = configPaths(job, variables: variables, renderer: renderer)
            var script = HostSurvey.command
            if let vip = topology.vip { script += "\n{ " + TrafficControl.holdsVIP(vip) + "; } | sed 's/^/vip=/'" }
            for path in files {
                script += "\n[ -f \(Shell.quote(path)) ] && { echo '@@file \(path)'; head -c 65536 \(Shell.quote(path)); echo; }"
            }
            let output = (try? connect(job.name).run(script, stdin: nil, timeout: .seconds(30)))?.stdoutText ?? ""
            let sections = output.components(separatedBy: "@@file ")
            var host = Host(name: job.name, address: variables["ansible_host"]?.plainString ?? job.connection.address,
                            roles: job.roles.map(\.name), survey: HostSurvey(parsing: sections[0]))
            host.holdsVIP = sections[0].contains("vip=yes")
            host.isBalancer = balancers.contains(job.name)
            host.isWebServer = webServers.contains(job.name)
            host.isClient = job.name == topology.client
            let configs = sections.dropFirst().compactMap { section -> ConfigFile? in
                guard let newline = section.firstIndex(of: "\n") else { return nil }
                let content = String(section[section.index(after: newline)...]).trimmingCharacters(in: .newlines)
                return ConfigFile(host: job.name, path: String(section[..<newline]), content: SecretMasking.mask(content))
            }
            return (host, configs)
        }
        return StackReport(inventory: inventory, hosts: surveyed.map(\.0), vip: topology.vip, front: topology.front, frontPort: topology.frontPort,
                           client: topology.client, transparent: topology.transparent, results: results, configs: surveyed.flatMap(\.1))
    }

    /// Files the host's roles install under /etc with `template` (their `dest`, rendered).
    static func configPaths(_ job: HostJob, variables: [String: Value], renderer: TemplateRenderer) -> [String] {
        var paths: [String] = []
        for task in job.roles.flatMap(\.tasks) where task.module == TemplateModule.name || task.module == NetworkConfigModule.name {
            guard let raw = task.args["dest"], let dest = (try? renderer.renderValue(raw, name: task.location, variables: variables))?.plainString,
                  dest.hasPrefix("/etc/"), !dest.contains("{{"), !paths.contains(dest) else { continue }
            paths.append(dest)
        }
        return paths
    }
}
