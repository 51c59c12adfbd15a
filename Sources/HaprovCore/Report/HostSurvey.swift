import Foundation

/// What the addressing plan shows of one host, read in one command: the OS, the interface of
/// its default route, and the versions of the stack's software found there.
public struct HostSurvey: Sendable, Equatable {
    public var os: String = ""
    public var interface: String = ""
    /// Software name → version, only what is installed (haproxy, keepalived, apache, python, flask, docker).
    public var versions: [(String, String)] = []

    public static func == (lhs: HostSurvey, rhs: HostSurvey) -> Bool {
        lhs.os == rhs.os && lhs.interface == rhs.interface && lhs.versions.map(\.0) == rhs.versions.map(\.0) && lhs.versions.map(\.1) == rhs.versions.map(\.1)
    }

    /// Read-only; each line `name=value`, missing software prints nothing.
    public static let command = """
        . /etc/os-release 2>/dev/null; echo "os=${PRETTY_NAME:-$(uname -sr)}"
        echo "interface=$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')"
        command -v haproxy >/dev/null 2>&1 && echo "haproxy=$(haproxy -v 2>/dev/null | awk 'NR == 1 {print $3}')"
        command -v keepalived >/dev/null 2>&1 && echo "keepalived=$(keepalived --version 2>&1 | awk 'NR == 1 {print $2}')"
        command -v apache2 >/dev/null 2>&1 && echo "apache=$(apache2 -v 2>/dev/null | awk -F'[/ ]' 'NR == 1 {print $4}')"
        command -v python3 >/dev/null 2>&1 && echo "python=$(python3 --version 2>&1 | awk '{print $2}')"
        command -v python3 >/dev/null 2>&1 && v=$(python3 -c 'import flask, importlib.metadata as m; print(m.version("flask"))' 2>/dev/null) && echo "flask=$v"
        command -v docker >/dev/null 2>&1 && echo "docker=$(docker --version 2>/dev/null | awk '{print $3}' | tr -d ,)"
        true
        """

    static let software = ["haproxy": "HAProxy", "keepalived": "Keepalived", "apache": "Apache", "python": "Python", "flask": "Flask", "docker": "Docker"]

    public init(os: String = "", interface: String = "", versions: [(String, String)] = []) {
        self.os = os
        self.interface = interface
        self.versions = versions
    }

    public init(parsing text: String) {
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]), value = String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            switch key {
            case "os": os = value
            case "interface": interface = value
            default:
                if let name = Self.software[key], !value.isEmpty { versions.append((name, value)) }
            }
        }
    }
}
