import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import HaprovCore

/// The technical annex from a keepalived stack's results: every host and the VIP in the
/// diagram, the plan's addresses, one chart per failover test, secrets absent, French words.
@Suite struct StackReportTests {
    static func host(_ name: String, _ address: String, roles: [String], balancer: Bool = false, web: Bool = false,
                     client: Bool = false, vip: Bool = false) -> StackReport.Host {
        var host = StackReport.Host(name: name, address: address, roles: roles,
                                    survey: HostSurvey(parsing: "os=Debian GNU/Linux 12 (bookworm)\ninterface=eth0\nhaproxy=2.6.12-1+deb12u1\nkeepalived=v2.2.7"))
        host.isBalancer = balancer
        host.isWebServer = web
        host.isClient = client
        host.holdsVIP = vip
        return host
    }

    static func timeline(fault: Double, moved: String) -> Timeline {
        let samples = stride(from: 0.0, to: 10.0, by: 0.1).map { at in
            Timeline.Sample(at: at, ok: !(fault + 0.2...fault + 1.2).contains(at), server: at < fault ? "Serveur 1" : "Serveur 2")
        }
        return Timeline(samples: samples, marks: [Timeline.Mark(at: fault, key: "fault", value: ""), Timeline.Mark(at: fault + 1.3, key: "vipMoved", value: moved)])
    }

    static let report: StackReport = {
        SecretMasking.register(["s3cret-stats"])
        var results = [
            SmokeResult(kind: .roundRobin, passed: true, note: Note("rr.alternation", ["2"]), evidence: ["Serveur 1", "Serveur 2"]),
            SmokeResult(kind: .statsPage, passed: true, note: Note("stats.ok", ["http://10.213.7.100/stats"])),
            SmokeResult(kind: .webFailover, subject: "web1", passed: true, note: Note("failover.ok", ["Serveur 2", "2.1", "0"]), timeline: timeline(fault: 2, moved: "")),
            SmokeResult(kind: .webRecovery, subject: "web1", passed: true, note: Note("recovery.ok", ["Serveur 1", "1.4"]), timeline: timeline(fault: 1, moved: "")),
            SmokeResult(kind: .vipHolder, passed: true, note: Note("vip.one", ["lb1", "10.213.7.100"])),
            SmokeResult(kind: .vipFailover, subject: "lb1", passed: false, note: Note("vipfailover.notBack", ["lb1", "lb2", "3.2", "12", "0.0", "0"]),
                        timeline: timeline(fault: 2, moved: "lb2")),
        ]
        results[2].timeline?.marks[1] = Timeline.Mark(at: 4.1, key: "left", value: "web1")
        results[3].timeline?.marks[1] = Timeline.Mark(at: 2.4, key: "rejoined", value: "web1")
        return StackReport(
            inventory: "lab-keepalived.yml", date: Date(timeIntervalSince1970: 1_795_000_000),
            hosts: [host("lb1", "10.213.7.2", roles: ["haproxy", "keepalived"], balancer: true, vip: true),
                    host("lb2", "10.213.7.3", roles: ["haproxy", "keepalived"], balancer: true),
                    host("web1", "10.213.7.11", roles: ["web"], web: true), host("web2", "10.213.7.12", roles: ["web"], web: true),
                    host("client", "10.213.7.50", roles: [], client: true)],
            vip: "10.213.7.100", front: "10.213.7.100", frontPort: 80, client: "client", transparent: false, results: results,
            configs: [StackReport.ConfigFile(host: "lb1", path: "/etc/haproxy/haproxy.cfg", content: "listen stats\n    stats auth admin:s3cret-stats\n")])
    }()

    @Test func markdownHasTheDiagramThePlanAndOneChartPerFailover() throws {
        let text = ReportMarkdown.render(Self.report, language: .en)
        let mermaid = try #require(text.components(separatedBy: "```mermaid\n").last?.components(separatedBy: "```").first)
        for host in Self.report.hosts { #expect(mermaid.contains(host.name), "\(host.name) missing from the diagram") }
        #expect(mermaid.contains("VIP<br/>10.213.7.100:80"))
        #expect(mermaid.contains("vip ==> h_lb1") && mermaid.contains("vip -.-> h_lb2"), "the holder's edge is bold, the backup's dotted: \(mermaid)")
        for host in Self.report.hosts { #expect(text.contains("| \(host.name) | \(host.address) | eth0 |"), "plan row of \(host.name)") }
        #expect(text.contains("HAProxy 2.6.12-1+deb12u1, Keepalived v2.2.7"))
        let charts = text.components(separatedBy: "```\n✓").count - 1
        #expect(charts == Self.report.results.filter { $0.timeline != nil }.count)
        #expect(text.contains("2.0 s  service stopped") && text.contains("4.1 s  web1 out of the rotation"), "\(text)")
        #expect(!text.contains("s3cret-stats") && text.contains("stats auth admin:********"))
        #expect(text.contains("| VIP failover (load balancer stopped) | **Failed** |"))
    }

    @Test func frenchUsesTheCoursesWords() {
        let text = ReportMarkdown.render(Self.report, language: .fr)
        for words in ["# Annexe technique — lab-keepalived.yml", "## Schéma de l'infrastructure", "## Plan d'adressage", "## Synthèse des résultats",
                      "| VM / Hostname | Adresse IP |", "Répartition de charge (round-robin, 6 requêtes)", "Interface de statistiques",
                      "Tolérance de panne (arrêt de web1)", "Reprise après rétablissement (redémarrage de web1)", "Bascule de la VIP (arrêt du répartiteur)",
                      "toutes les réponses viennent de Serveur 2 après 2,1 s", "| Réussi |", "**Échec**", "2,0 s  service arrêté", "**Procédure** : "] {
            #expect(text.contains(words), "missing: \(words)")
        }
        for english in ["Round robin", "Failover (", "Passed", "service stopped", "Addressing plan"] {
            #expect(!text.contains(english), "English left in the French report: \(english)")
        }
    }

    @Test func htmlIsSelfContainedWithValidDrawings() throws {
        let html = ReportHTML.render(Self.report, language: .fr)
        // To look at the page while changing it: HAPROV_SAMPLE_REPORT=/tmp/sample.html swift test --filter StackReportTests
        if let sample = ProcessInfo.processInfo.environment["HAPROV_SAMPLE_REPORT"] { try html.write(toFile: sample, atomically: true, encoding: .utf8) }
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"fr\">"))
        #expect(html.components(separatedBy: "<svg class=\"timeline\"").count - 1 == 3, "one chart per failover test")
        #expect(html.components(separatedBy: "<svg class=\"topology\"").count - 1 == 1)
        for host in Self.report.hosts { #expect(html.contains("data-host=\"\(host.name)\"")) }
        #expect(html.contains("★ porte la VIP"))
        #expect(!html.contains("s3cret-stats"))
        // Nothing to fetch: no external scripts, styles, images or fonts.
        let links = html.components(separatedBy: .whitespaces).filter { $0.hasPrefix("src=") || $0.hasPrefix("href=") }
        #expect(links.isEmpty, "\(links)")
        // Each drawing is well-formed XML.
        for piece in html.components(separatedBy: "<svg ").dropFirst() {
            let svg = "<svg " + (piece.components(separatedBy: "</svg>").first ?? "") + "</svg>"
            let parser = XMLParser(data: Data(svg.replacingOccurrences(of: "&#160;", with: "&#xA0;").utf8))
            #expect(parser.parse(), "SVG does not parse: \(parser.parserError.map { "\($0)" } ?? "")\n\(svg.prefix(300))")
        }
    }

    /// tcpdump's lines from a capture on lb2 while lb1 gave the VIP away and took it back.
    @Test func captureSummaryNamesTheAdvertsTheMasterChangesAndTheGratuitousARP() {
        let text = """
            1795991417.271419 IP 10.213.7.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype simple, intvl 1s, length 20
            1795991418.578111 IP 10.213.7.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 0, authtype simple, intvl 1s, length 20
            1795991419.226921 IP 10.213.7.3 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 90, authtype simple, intvl 1s, length 20
            1795991419.227100 ARP, Request who-has 10.213.7.100 (Broadcast) tell 10.213.7.100, length 28
            1795991420.227230 IP 10.213.7.3 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 90, authtype simple, intvl 1s, length 20
            1795991421.100000 ARP, Request who-has 10.213.7.11 tell 10.213.7.2, length 28
            1795991425.300000 IP 10.213.7.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype simple, intvl 1s, length 20
            1795991425.310000 ARP, Request who-has 10.213.7.100 (Broadcast) tell 10.213.7.100, length 28
            """
        let notes = CaptureSummary.notes(text, names: ["10.213.7.2": "lb1", "10.213.7.3": "lb2"], vip: "10.213.7.100")
        let words = Phrasebook(.fr)
        #expect(notes.map(words.text) == [
            "2 annonces VRRP de lb1 (priorité 100)",
            "1 annonces VRRP de lb1 (priorité 0)", "2 annonces VRRP de lb2 (priorité 90)",
            "à 2,0 s, lb2 devient maître", "à 8,0 s, lb1 devient maître", "2 ARP gratuits pour 10.213.7.100, le premier à 2,0 s"])
    }

    @Test func languageComesFromTheLocale() {
        #expect(Language.from(environment: ["LANG": "fr_FR.UTF-8"]) == .fr)
        #expect(Language.from(environment: ["LANG": "fr_FR.UTF-8", "LC_ALL": "C.UTF-8"]) == .en)
        #expect(Language.from(environment: ["LC_MESSAGES": "fr_BE.UTF-8", "LANG": "en_US.UTF-8"]) == .fr)
        #expect(Language.from(environment: [:]) == .en)
    }

    @Test func surveyReadsWhatIsInstalled() {
        let survey = HostSurvey(parsing: "os=Debian GNU/Linux 12 (bookworm)\ninterface=host0\napache=2.4.62\npython=3.11.2\nflask=2.2.2\n")
        #expect(survey.os == "Debian GNU/Linux 12 (bookworm)" && survey.interface == "host0")
        #expect(survey.versions.map(\.0) == ["Apache", "Python", "Flask"])
    }
}
