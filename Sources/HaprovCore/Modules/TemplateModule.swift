import Foundation

/// `template`: renders a Jinja template (Ansible's dialect) locally and installs it like `copy`.
///
/// Arguments: src, dest, mode, owner, group, validate (`%s` = temporary file), backup (yes).
public struct TemplateModule: Module {
    public static let name = "template"
    let file: ManagedFile

    public init(args: ModuleArgs, context: TaskContext) throws {
        try args.allowOnly(["src", "dest", "mode", "owner", "group", "validate", "backup"])
        let src = try args.requiredString("src")
        file = ManagedFile(path: try args.requiredString("dest"), content: try Self.render(src, context: context), mode: try args.mode("mode"),
                           owner: try args.string("owner"), group: try args.string("group"),
                           validate: try args.string("validate"), backup: try args.bool("backup", default: true), source: src)
    }

    /// The template `src` (found in the task's search paths) rendered with the host's variables.
    static func render(_ src: String, context: TaskContext) throws -> Data {
        let path = try context.locate(src, argument: "src")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModuleError(argument: "src", message: "cannot read \(path)")
        }
        return Data(try context.renderer.render(String(decoding: data, as: UTF8.self), name: path, variables: context.variables).utf8)
    }

    public var facts: [FactQuery] { file.facts }
    public func plan(_ facts: HostFacts) throws -> Plan { try file.plan(facts) }
}
