import Foundation

/// Finds Roles/ and Templates/ for an inventory.
public enum ProjectPaths {
    public static func candidates(_ folder: String, inventory: String) -> [String] {
        let inventoryDirectory = (URL(fileURLWithPath: inventory).standardizedFileURL.deletingLastPathComponent()).path
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/<config>/haprov in a checkout: the checkout's own folder, three levels up.
        let checkout = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        return [
            inventoryDirectory + "/" + folder,
            inventoryDirectory + "/" + folder.lowercased(),
            (inventoryDirectory as NSString).deletingLastPathComponent + "/" + folder,
            FileManager.default.currentDirectoryPath + "/" + folder,
            checkout + "/" + folder,
            "/usr/local/share/haprov/" + folder,
        ]
    }

    public static func find(_ folder: String, inventory: String, explicit: String?) -> String? {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["HAPROV_\(folder.uppercased())_PATH"] { return env }
        return candidates(folder, inventory: inventory).first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }
}
