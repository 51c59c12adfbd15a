import Foundation

/// Writes a host's new address into the inventory where the inventory sets its `ansible_host`,
/// changing only that value: comments, order and spacing stay byte for byte.
public enum InventoryWriteBack {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Replaces `host`'s ansible_host value with `address`; returns the place written (file:line).
    @discardableResult
    public static func setAddress(_ address: String, host: String, in inventory: Inventory) throws -> String {
        let inInventory = inventory.hostVarLocations[host]?["ansible_host"]
        guard let location = inventory.hostFolderVarLocations[host]?["ansible_host"] ?? inInventory else {
            let set = inventory.variableLocations(for: host)["ansible_host"]
            throw Problem(description: set.map { "\(host)'s ansible_host is set for a group at \($0), not for the host: add `ansible_host: \(address)` to \(host)'s own variables" }
                          ?? "\(host) has no ansible_host in the inventory: add `ansible_host: \(address)` to its variables")
        }
        // file:line:column, the file possibly holding colons itself.
        let parts = location.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]) else {
            throw Problem(description: "cannot tell where \(host)'s ansible_host is written (\(location)): set it to \(address) by hand")
        }
        let file = parts.dropLast(2).joined(separator: ":")
        guard let old = inventory.variables(for: host, magic: false)["ansible_host"]?.plainString else {
            throw Problem(description: "\(location): \(host)'s ansible_host is not a plain value: set it to \(address) by hand")
        }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw Problem(description: "cannot read \(file): \(error)")
        }
        var lines = text.components(separatedBy: "\n")
        guard line >= 1, line <= lines.count else {
            throw Problem(description: "\(location) is past the end of \(file): set \(host)'s ansible_host to \(address) by hand")
        }
        let current = lines[line - 1]
        let start = current.index(current.startIndex, offsetBy: min(max(column - 1, 0), current.count))
        guard let range = current.range(of: old, range: start..<current.endIndex) else {
            throw Problem(description: "\(file):\(line) no longer holds \(old) (edited since?): set \(host)'s ansible_host to \(address) by hand")
        }
        lines[line - 1] = current.replacingCharacters(in: range, with: address)
        let updated = lines.joined(separator: "\n")
        do {
            // Same folder, then rename: an interrupted write never leaves half an inventory.
            let temporary = file + ".haprov-new"
            try updated.write(toFile: temporary, atomically: false, encoding: .utf8)
            if let attributes = try? FileManager.default.attributesOfItem(atPath: file), let mode = attributes[.posixPermissions] {
                try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary)
            }
            guard rename(temporary, file) == 0 else { throw Problem(description: String(cString: strerror(errno))) }
        } catch {
            throw Problem(description: "cannot write \(file): \(error)")
        }
        return "\(file):\(line)"
    }
}
