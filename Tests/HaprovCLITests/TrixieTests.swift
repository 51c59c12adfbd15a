import Foundation
import Testing
@testable import HaprovCore

/// Users' VMs are newer than bookworm: every stack of the seeds built on lab hosts running
/// Debian 13 (`haprov_lab: {release: trixie}`, HAProxy 3.0, Keepalived 2.3), its smoke tests
/// passing, and in sync afterwards.
@Suite(.serialized, .enabled(if: StackGate.enabled, StackGate.reason)) struct TrixieTests {
    /// A trixie twin of `Inventories/lab-STACK.yml` named `name`, in 10.213.`octet`.0/24.
    static func twin(_ stack: String, name: String, octet: Int, in folder: String) throws -> String {
        let source = try String(contentsOfFile: StackTests.inventory("lab-\(stack).yml"), encoding: .utf8)
        guard let lab = source.range(of: #"name: \#(stack)\n      subnet: 10\.213\.([0-9]+)\.0/24\n      gateway: 10\.213\.[0-9]+\.1\n"#, options: .regularExpression) else {
            throw TwinError(description: "lab-\(stack).yml has no haprov_lab block")
        }
        let old = String(source[lab]).split(separator: ".")[2]
        var text = source.replacingCharacters(in: lab, with: "name: \(name)\n      subnet: 10.213.\(octet).0/24\n      gateway: 10.213.\(octet).1\n      release: trixie\n")
        text = text.replacingOccurrences(of: "/lab/\(stack)/", with: "/lab/\(name)/").replacingOccurrences(of: "10.213.\(old).", with: "10.213.\(octet).")
        let path = folder + "/lab-\(name).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [("keepalived", "d13kal", 52), ("apache", "d13apa", 53), ("transparent", "d13tpx", 54), ("sam", "d13sam", 55)])
    func theStackBuildsAndPassesOnDebian13(_ stack: String, _ name: String, _ octet: Int) throws {
        let folder = NSTemporaryDirectory() + "haprov-trixie-\(getpid())-\(name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = try Self.twin(stack, name: name, octet: octet, in: folder)
        defer {
            _ = try? Binary.run(["lab", "down", path], timeout: .seconds(300))
            try? FileManager.default.removeItem(atPath: folder)
        }
        try StackTests.freshLab(path)
        let release = try StackTests.haprov(["run", path, "--", "cut -d. -f1 /etc/debian_version"]).stdoutText
        #expect(release.split(separator: "\n").filter { $0 == "13" }.count >= 3, "every host runs Debian 13: \(release)")
        let applied = try StackTests.haprov(["apply", path], timeout: .seconds(1200)).stdoutText
        #expect(applied.contains(" passed, 0 failed"), "\(applied)")
        try StackTests.eventuallyInSync(path)
    }
}

struct TwinError: Error, CustomStringConvertible {
    var description: String
}
