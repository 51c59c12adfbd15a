import ArgumentParser
import HaprovCore

extension Language: ExpressibleByArgument {}

/// `--report FILE` and `--lang`, shared by the commands that run the smoke tests.
struct ReportOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write the technical annex of a lab write-up: FILE.md (Markdown with a Mermaid diagram) or FILE.html (one self-contained page, prints on A4); repeat for both.", valueName: "FILE"))
    var report: [String] = []

    @Option(name: .long, help: "Language of the report: fr or en (default: from the locale, LANG=fr_FR.UTF-8 gives French).")
    var lang: Language?

    @Option(name: .long, help: ArgumentHelp("Lab inventories: record the packets (VRRP, ARP) a load balancer sees during the VIP failover test to this pcap file; the report summarises it.", valueName: "FILE.pcap"))
    var capture: String?

    var language: Language { lang ?? Language.from() }

    func validate() throws {
        for path in report {
            let lower = path.lowercased()
            guard lower.hasSuffix(".md") || lower.hasSuffix(".html") || lower.hasSuffix(".htm") else {
                throw ValidationError("--report \(path): name a .md (Markdown) or .html file")
            }
        }
    }
}
