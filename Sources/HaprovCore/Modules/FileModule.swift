/// `file`: a directory, a symbolic link, or no file at all, with mode and owner.
///
/// Arguments: path, state (directory | absent | link | file), src (for links), mode, owner, group.
public struct FileModule: Module {
    public static let name = "file"
    let path: String
    let state: String
    let target: String?
    let mode: Int?
    let owner: String?
    let group: String?

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["path", "dest", "state", "src", "mode", "owner", "group"])
        guard let path = try args.string("path") ?? args.string("dest") else {
            throw ModuleError(argument: "path", message: "file needs path")
        }
        self.path = path
        state = try args.choice("state", ["file", "directory", "absent", "link"], default: "file")
        target = try args.string("src")
        if state == "link", target == nil { throw ModuleError(argument: "src", message: "state: link needs src (the link's target)") }
        mode = try args.mode("mode")
        owner = try args.string("owner")
        group = try args.string("group")
    }

    private var linkQuery: FactQuery { FactQuery(key: "readlink:\(path)", command: "readlink -- \(Shell.quote(path))") }

    /// The link's target only for `state: link` (a readlink less per directory on every run).
    public var facts: [FactQuery] { state == "link" ? [Facts.file(path), linkQuery] : [Facts.file(path)] }

    public func plan(_ facts: HostFacts) throws -> Plan {
        let current = try RemoteFile(parsing: facts.output(Facts.file(path)))
        let p = Shell.quote(path)
        switch state {
        case "absent":
            if current.kind == .absent { return Plan() }
            return Plan([Change(summary: "remove \(path)", script: "rm -rf -- \(p)", touches: [.file(path)])])
        case "directory":
            if current.kind == .absent {
                let script = "mkdir -p -- \(p)\n" + FileScripts.attributes(path: path, mode: mode, owner: owner, group: group)
                return Plan([Change(summary: "create directory \(path)", script: script, touches: [.file(path)])])
            }
            guard current.kind == .directory else {
                throw ModuleError(argument: "path", message: "\(path) exists and is not a directory")
            }
        case "link":
            let linked = try facts.output(linkQuery).text
            if current.kind == .link, linked == target { return Plan() }
            guard let target else { return Plan() }
            // ln -sfn onto a real directory would make the link inside it, every run.
            if current.kind == .directory {
                throw ModuleError(argument: "path", message: "\(path) is a directory, not a link", fix: "remove it first (file: state=absent) if the link must replace it")
            }
            return Plan([Change(summary: "link \(path) -> \(target)", script: "ln -sfn -- \(Shell.quote(target)) \(p)", touches: [.file(path)])])
        default:
            guard current.kind == .regular else {
                throw ModuleError(argument: "path", message: "\(path) is not a regular file (use copy or template to create one)")
            }
        }
        return FileScripts.attributesPlan(path: path, current: current, mode: mode, owner: owner, group: group)
    }
}
