import Foundation

/// Finds the Roles/ and Templates/ folders of a run: the user's (given with --roles-path, or
/// beside the inventory, its parent, the current folder), then haprov's own (installed in
/// PREFIX/share/haprov beside PREFIX/bin/haprov, or the checkout a built haprov runs from).
/// A role of the user's folder overrides haprov's own role of the same name.
public enum ProjectPaths {
    /// The user's folders, nearest first.
    public static func userCandidates(_ folder: String, inventory: String) -> [String] {
        let inventoryDirectory = (URL(fileURLWithPath: inventory).standardizedFileURL.deletingLastPathComponent()).path
        return [
            inventoryDirectory + "/" + folder,
            inventoryDirectory + "/" + folder.lowercased(),
            (inventoryDirectory as NSString).deletingLastPathComponent + "/" + folder,
            FileManager.default.currentDirectoryPath + "/" + folder,
        ]
    }

    /// Where haprov's own roles and templates are, from where its executable is.
    public static func builtInCandidates(_ folder: String) -> [String] {
        let binary = executableDirectory
        let prefix = (binary as NSString).deletingLastPathComponent
        // .build/<config>/haprov in a checkout: the checkout's own folder, three levels up.
        let checkout = ((prefix as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return [prefix + "/share/haprov/" + folder, checkout + "/" + folder, "/usr/local/share/haprov/" + folder, "/usr/share/haprov/" + folder]
    }

    public static func candidates(_ folder: String, inventory: String) -> [String] {
        userCandidates(folder, inventory: inventory) + builtInCandidates(folder)
    }

    /// One folder: the explicit one, `HAPROV_<FOLDER>_PATH`, or the first that exists.
    public static func find(_ folder: String, inventory: String, explicit: String?) -> String? {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["HAPROV_\(folder.uppercased())_PATH"] { return env }
        return candidates(folder, inventory: inventory).first(where: isDirectory)
    }

    /// The folders roles are looked up in, in order: the user's (explicit, `HAPROV_ROLES_PATH`
    /// or the nearest found), then haprov's own.
    public static func roleFolders(inventory: String, explicit: String?) -> [String] {
        let user = explicit ?? ProcessInfo.processInfo.environment["HAPROV_ROLES_PATH"]
            ?? userCandidates("Roles", inventory: inventory).first(where: isDirectory)
        let builtIn = builtInCandidates("Roles").first(where: isDirectory)
        var seen = Set<String>()
        return [user, builtIn].compactMap { $0 }.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path).inserted }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The folder of the running executable (/proc/self/exe: argv[0] may be a bare name on PATH).
    static var executableDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        return (exe as NSString).deletingLastPathComponent
    }
}
