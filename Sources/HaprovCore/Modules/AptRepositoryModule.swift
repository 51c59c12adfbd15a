import Foundation

/// `apt_repository`: a third-party APT source with its signing key, as Docker's documentation
/// installs docker-ce (seed 001): the key in /etc/apt/keyrings/NAME.asc, the source line in
/// /etc/apt/sources.list.d/NAME.list with `signed-by` pointing at that key. The `apt` module
/// refreshes its cache by itself after a source changed.
///
/// Arguments: name (file stem), repo (the `deb ...` line), key_url (fetched on the host when
/// the keyring is missing) | key (armored key text), state (present | absent).
public struct AptRepositoryModule: Module {
    public static let name = "apt_repository"
    let stem: String
    let line: String
    let keyURL: String?
    let key: String?
    let present: Bool

    var listPath: String { "/etc/apt/sources.list.d/\(stem).list" }
    var keyPath: String { "/etc/apt/keyrings/\(stem).asc" }

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["name", "repo", "key_url", "key", "state"])
        stem = try args.requiredString("name")
        guard stem.isWord(first: ASCIIClass("A-Za-z0-9"), rest: ASCIIClass("A-Za-z0-9_.\\-")) else {
            throw ModuleError(argument: "name", message: "'\(stem)' cannot name a file in /etc/apt/sources.list.d", fix: "letters, digits, '.', '_', '-'")
        }
        present = try args.choice("state", ["present", "absent"], default: "present") == "present"
        keyURL = try args.string("key_url")
        key = try args.string("key")
        if keyURL != nil && key != nil { throw ModuleError(argument: "key", message: "give key_url or key, not both") }
        if let keyURL, !(keyURL.hasPrefix("https://") || keyURL.hasPrefix("http://")) {
            throw ModuleError(argument: "key_url", message: "'\(keyURL)' is not an http(s) URL")
        }
        if let key, !key.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
            throw ModuleError(argument: "key", message: "not an armored OpenPGP public key", fix: "paste the text between -----BEGIN PGP PUBLIC KEY BLOCK----- and its END line")
        }
        let repo = try args.string("repo") ?? ""
        if present {
            let words = repo.split(separator: " ")
            guard words.first == "deb" || words.first == "deb-src", words.count >= 3 else {
                throw ModuleError(argument: "repo", message: "'\(repo)' is not a source line",
                                  fix: "e.g. deb https://download.docker.com/linux/ubuntu noble stable")
            }
        }
        line = Self.signed(repo, by: keyURL != nil || key != nil ? "/etc/apt/keyrings/\(stem).asc" : nil)
    }

    /// The source line with `signed-by=KEY` among its options, unless it names a key already.
    static func signed(_ line: String, by keyPath: String?) -> String {
        var words = line.split(separator: " ").map(String.init)
        guard let keyPath, !line.contains("signed-by="), !words.isEmpty else { return line }
        if words.count > 1, words[1].hasPrefix("[") {
            words[1] = "[signed-by=\(keyPath) " + words[1].dropFirst()
        } else {
            words.insert("[signed-by=\(keyPath)]", at: 1)
        }
        return words.joined(separator: " ")
    }

    var list: ManagedFile {
        ManagedFile(path: listPath, content: Data("# Managed by haprov (apt_repository \(stem))\n\(line)\n".utf8), mode: 0o644,
                    owner: "root", group: "root", validate: nil, backup: false, source: "apt_repository")
    }

    var inlineKey: ManagedFile? {
        key.map { ManagedFile(path: keyPath, content: Data(($0.hasSuffix("\n") ? $0 : $0 + "\n").utf8), mode: 0o644,
                              owner: "root", group: "root", validate: nil, backup: false, source: "apt_repository key") }
    }

    public var facts: [FactQuery] { [Facts.file(listPath), Facts.file(keyPath)] }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let keyExists = try RemoteFile(parsing: facts.output(Facts.file(keyPath))).kind != .absent
        guard present else {
            let listExists = try RemoteFile(parsing: facts.output(Facts.file(listPath))).kind != .absent
            let gone = [listExists ? listPath : nil, keyExists ? keyPath : nil].compactMap { $0 }
            if gone.isEmpty { return Plan() }
            return Plan([Change(summary: "remove \(gone.joined(separator: ", "))", script: "rm -f -- \(Shell.join(gone))",
                                touches: gone.map { .file($0) })])
        }
        var changes: [Change] = []
        if let inlineKey {
            changes += try inlineKey.plan(facts).changes
        } else if let keyURL, !keyExists {
            changes.append(Change(summary: "fetch the signing key \(keyURL) into \(keyPath)",
                                  script: Self.fetchKey(keyURL, to: keyPath), touches: [.file(keyPath)]))
        }
        return Plan(changes + (try list.plan(facts).changes))
    }

    /// Downloads the key on the host, refuses anything that is not an armored OpenPGP key (an HTML
    /// error page, a proxy's answer), then installs it atomically.
    static func fetchKey(_ url: String, to path: String) -> String {
        """
        set -e
        command -v curl >/dev/null || { echo "curl is missing on this host: add it to an apt task before this one" >&2; exit 3; }
        mkdir -p -m 755 /etc/apt/keyrings
        tmp=$(mktemp /etc/apt/keyrings/.haprov.XXXXXX)
        trap 'rm -f -- "$tmp"' EXIT
        trap 'rm -f -- "$tmp"; exit 129' HUP INT TERM PIPE
        curl -fsSL --max-time 60 \(Shell.quote(url)) -o "$tmp" || { echo "cannot download \(url)" >&2; exit 3; }
        # apt reads .asc keyrings as armored text only.
        if ! grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$tmp"; then
          echo "\(url) did not return an armored OpenPGP public key" >&2; exit 3
        fi
        chmod 644 "$tmp"
        mv -f -- "$tmp" \(Shell.quote(path))
        trap - EXIT HUP INT TERM PIPE
        """
    }
}
