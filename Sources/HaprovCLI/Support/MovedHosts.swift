import Foundation
import HaprovCore

/// After an apply that moved hosts to new addresses: the inventory updated (`--write-back`) or
/// the exact line to change, so the next run finds the hosts where they are.
enum MovedHosts {
    /// Returns false when a write-back was asked for and could not be done.
    static func report(_ moved: [String: String], inventory: Inventory, writeBack: Bool) -> Bool {
        var ok = true
        for (host, address) in moved.sorted(by: { $0.key < $1.key }) {
            guard writeBack else {
                let place = inventory.variableLocations(for: host)["ansible_host"].map { " at \($0)" } ?? ""
                StandardOutput.err.write("note: \(host) answers at \(address) now: set its ansible_host to \(address)\(place), or rerun apply with --write-back to have haprov do it\n")
                continue
            }
            do {
                let place = try InventoryWriteBack.setAddress(address, host: host, in: inventory)
                StandardOutput.err.write("note: \(host) answers at \(address) now: ansible_host updated at \(place)\n")
            } catch {
                Console.error("\(error)")
                ok = false
            }
        }
        return ok
    }
}
