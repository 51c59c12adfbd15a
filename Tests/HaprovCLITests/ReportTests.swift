import Foundation
import Testing
@testable import HaprovCore

/// The technical annex a real apply writes, checked from its Markdown and its HTML against the
/// inventory, then opened in headless Chromium (Debian's package, installed by Scripts/install-deps):
/// every drawing rendered with a size, no console message, a screenshot next to the report.
enum ReportChecks {
    static let failoverTests = ["Tolérance de panne", "Reprise après rétablissement", "Bascule de la VIP"]

    /// `markdown` and `html` were written with `--lang fr` by an apply of `inventory`.
    static func verify(markdown: String, html: String, inventory path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let md = try String(contentsOfFile: markdown, encoding: .utf8)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let inventory = try Inventory.load(path: path)
        let mermaid = md.components(separatedBy: "```mermaid\n").dropFirst().first?.components(separatedBy: "```").first ?? ""
        for host in inventory.hostNames {
            let address = inventory.variables(for: host)["ansible_host"]?.plainString ?? host
            #expect(mermaid.contains(host), "\(host) is not in the diagram", sourceLocation: sourceLocation)
            #expect(md.contains("| \(host) | \(address) | host0 |"), "the plan's row for \(host) is not its inventory address \(address)", sourceLocation: sourceLocation)
            #expect(page.contains("data-host=\"\(host)\""), "\(host) is not in the HTML diagram", sourceLocation: sourceLocation)
        }
        if let vip = inventory.hostNames.lazy.compactMap({ inventory.variables(for: $0)["keepalived_vip"]?.plainString }).first {
            let address = String(vip.split(separator: "/")[0])
            #expect(mermaid.contains("VIP<br/>\(address):80"), "the VIP is not in the diagram", sourceLocation: sourceLocation)
            #expect(md.contains("★ porte la VIP") && page.contains("★ porte la VIP"), "no node is drawn holding the VIP", sourceLocation: sourceLocation)
        }
        for words in ["## Schéma de l'infrastructure", "## Plan d'adressage", "## Synthèse des résultats", "| Réussi |"] {
            #expect(md.contains(words), "missing: \(words)", sourceLocation: sourceLocation)
        }
        #expect(!md.contains("| **Échec** |"), "a test failed:\n\(md)", sourceLocation: sourceLocation)
        let summary = md.components(separatedBy: "## Synthèse des résultats").last?.components(separatedBy: "## Tests et validation").first ?? ""
        let failovers = summary.split(separator: "\n").filter { row in failoverTests.contains { row.hasPrefix("| " + $0) } }.count
        #expect(failovers >= 2, "\(summary)", sourceLocation: sourceLocation)
        #expect(md.components(separatedBy: "```\n✓").count - 1 == failovers, "one text chart per failover test", sourceLocation: sourceLocation)
        #expect(page.components(separatedBy: "<svg class=\"timeline\"").count - 1 == failovers, "one chart per failover test", sourceLocation: sourceLocation)
        for secret in Set(inventory.hostNames.flatMap { SecretMasking.secrets(in: inventory.variables(for: $0)) }) {
            #expect(!md.contains(secret) && !page.contains(secret), "the secret \(secret) is in the report", sourceLocation: sourceLocation)
        }
        #expect(md.contains("/etc/haproxy/haproxy.cfg") || md.contains("/etc/apache2/"), "no configuration file", sourceLocation: sourceLocation)

        // In a real browser: every drawing has a size once laid out, and nothing was logged.
        let browser = try LocalProcess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                            "--virtual-time-budget=3000", "--dump-dom", "file://" + html], timeout: .seconds(120))
        let expected = "data-rendered=\"\(failovers + 1)/\(failovers + 1)\""
        #expect(browser.stdoutText.contains(expected), "Chromium did not draw every SVG (\(expected)):\n\(browser.stdoutText.prefix(300))", sourceLocation: sourceLocation)
        let console = browser.stderrText.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console messages: \(console)", sourceLocation: sourceLocation)
        let screenshot = (html as NSString).deletingPathExtension + ".png"
        let shot = try LocalProcess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,1400",
                                         "--screenshot=" + screenshot, "file://" + html], timeout: .seconds(120))
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        #expect(shot.succeeded && size > 20_000, "no screenshot at \(screenshot): \(shot.stderrText.suffix(300))", sourceLocation: sourceLocation)
    }

    /// Where the reports of a test go; kept after the run (HAPROV_REPORTS_DIR) for a look.
    static func folder() throws -> String {
        let folder = ProcessInfo.processInfo.environment["HAPROV_REPORTS_DIR"] ?? (NSTemporaryDirectory() + "haprov-reports-\(getpid())")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
