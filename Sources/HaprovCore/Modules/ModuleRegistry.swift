/// The modules tasks can name. Explicit, so an unknown name is an error with a suggestion.
public enum ModuleRegistry {
    public static let all: [any Module.Type] = [
        TemplateModule.self,
        CopyModule.self,
        FileModule.self,
        AssertModule.self,
        AptModule.self,
        AptRepositoryModule.self,
        ServiceModule.self,
        SystemdModule.self,
        CommandModule.self,
        ShellModule.self,
        SysctlModule.self,
        IptablesModule.self,
        FirewallModule.self,
        IprouteModule.self,
        NetworkConfigModule.self,
        ResetModule.self,
    ]

    public static func module(named name: String) throws -> any Module.Type {
        if let found = all.first(where: { $0.name == name }) { return found }
        let names = all.map { $0.name }
        throw ModuleError(message: "unknown module \(name)",
                          fix: Suggest.nearest(name, in: names).map { "did you mean \($0)?" } ?? "modules: \(names.sorted().joined(separator: ", "))")
    }
}
