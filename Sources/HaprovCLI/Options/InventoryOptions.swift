import ArgumentParser
import Foundation
import HaprovCore

/// The inventory argument and the connection flags every host-facing command shares.
struct InventoryOptions: ParsableArguments {
    @Argument(help: "Inventory file (Ansible YAML format).", completion: .file())
    var inventory: String

    @Option(name: [.short, .long], help: "Only these hosts: names, groups, all, patterns; !x excludes, &x intersects.")
    var limit: String?

    @Flag(name: .long, help: "Accept and record host keys never seen before (like OpenSSH's accept-new). Changed keys are always refused.")
    var acceptNewHostKeys = false

    @Option(name: .long, help: "Seconds to wait for each connection.")
    var connectTimeout: Int = 10

    @Option(name: .long, help: "Hosts worked on at once (default: all).")
    var forks: Int?

    @Option(name: .long, help: ArgumentHelp("Password of the values and files encrypted with ansible-vault: a file whose first line it is, or an executable that prints it (default: $HAPROV_VAULT_PASSWORD_FILE).", valueName: "FILE"), completion: .file())
    var vaultPasswordFile: String?

    func validate() throws {
        guard connectTimeout > 0 else { throw ValidationError("--connect-timeout must be at least 1 second") }
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1") }
    }

    /// Loads the inventory and the hosts `--limit` selects; every problem at once, thrown.
    func load() throws -> (Inventory, [String]) {
        try useVaultPassword()
        return try Project.inventory(inventory, limit: limit)
    }

    /// Before any file is read: encrypted values need the password (Haprov.main has already
    /// taken HAPROV_VAULT_PASSWORD_FILE; the flag wins over it).
    func useVaultPassword() throws {
        if let vaultPasswordFile { try VaultPassword.use(file: vaultPasswordFile) }
    }

    /// The run's project: inventory, selected hosts, their roles, variables (with -e) and connections.
    func project(rolesPath: String?, extraVariables: [String: Value] = [:], connecting: Bool = true, context: Bool = false, plays: Bool = true) throws -> Project {
        try useVaultPassword()
        var request = Project.Request(inventoryPath: inventory, limit: limit, rolesPath: rolesPath)
        request.extraVariables = extraVariables
        request.connection = connectionDefaults
        request.connecting = connecting
        request.context = context
        request.plays = plays
        return try Project.load(request)
    }

    var connectionDefaults: ConnectionDefaults {
        var defaults = ConnectionDefaults()
        defaults.acceptNewHostKeys = acceptNewHostKeys
        defaults.connectTimeout = .seconds(connectTimeout)
        return defaults
    }
}
