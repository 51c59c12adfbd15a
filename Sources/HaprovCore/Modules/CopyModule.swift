import Foundation

/// `copy`: installs a file from the role's files (`src`) or inline `content`.
///
/// Arguments: src | content, dest, mode, owner, group, validate, backup (yes).
public struct CopyModule: Module {
    public static let name = "copy"
    let file: ManagedFile

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["src", "content", "dest", "mode", "owner", "group", "validate", "backup"])
        let content: Data
        let source: String
        if let inline = try args.string("content") {
            guard try args.string("src") == nil else {
                throw ModuleError(argument: "content", message: "give src or content, not both")
            }
            content = Data(inline.utf8)
            source = "content"
        } else {
            let src = try args.requiredString("src")
            let path = try context.locate(src, argument: "src")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ModuleError(argument: "src", message: "cannot read \(path)")
            }
            content = data
            source = src
        }
        file = ManagedFile(path: try args.requiredString("dest"), content: content, mode: try args.mode("mode"),
                           owner: try args.string("owner"), group: try args.string("group"),
                           validate: try args.string("validate"), backup: try args.bool("backup", default: true), source: source)
    }

    public var facts: [FactQuery] { file.facts }
    public func plan(_ facts: HostFacts) throws -> Plan { try file.plan(facts) }
}
