import Foundation

/// The technical annex as Markdown: a Mermaid diagram (GitLab and GitHub draw it), the
/// addressing plan, the results summary, each test with a text timeline, the configuration files.
public enum ReportMarkdown {
    public static func render(_ report: StackReport, language: Language) -> String {
        let words = Phrasebook(language)
        var text = "# \(words.text("report.title", [report.inventory]))\n\n"
        text += words.text("report.produced", [HaprovVersion.current, ReportDates.stamp(report.date), "`\(report.inventory)`"]) + "\n\n"

        text += "## \(words.text("report.diagram"))\n\n```mermaid\n" + mermaid(report, words: words) + "```\n\n"

        text += "## \(words.text("report.addressing"))\n\n"
        text += "| \(words.text("report.host")) | \(words.text("report.address")) | \(words.text("report.interface")) | \(words.text("report.role")) | \(words.text("report.os")) | \(words.text("report.versions")) |\n"
        text += "|---|---|---|---|---|---|\n"
        for host in report.hosts {
            let versions = host.survey.versions.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            text += "| \(cell(host.name)) | \(cell(host.address)) | \(cell(host.survey.interface)) | \(cell(roleText(host, words: words))) | \(cell(host.survey.os)) | \(cell(versions)) |\n"
        }
        if let vip = report.vip { text += "| VIP | \(vip) | | keepalived (VRRP) | | |\n" }

        text += "\n## \(words.text("report.summary"))\n\n"
        text += "| \(words.text("report.test")) | \(words.text("report.result")) | \(words.text("report.observation")) | \(words.text("report.duration")) |\n|---|---|---|---|\n"
        for result in report.results {
            let verdict = result.passed ? words.text("report.passed") : "**\(words.text("report.failed"))**"
            text += "| \(cell(words.testName(result.kind, subject: result.subject))) | \(verdict) | \(cell(words.text(result.note))) | \(words.decimal(result.seconds)) s |\n"
        }
        text += "\n" + words.text("report.allPassed", ["\(report.results.filter(\.passed).count)", "\(report.results.count)"]) + "\n"

        text += "\n## \(words.text("report.tests"))\n"
        for result in report.results {
            text += "\n### \(words.testName(result.kind, subject: result.subject))\n\n"
            text += "- " + words.text("report.label", ["**\(words.text("report.how"))**", words.procedure(result.kind, subject: result.subject)]) + "\n"
            text += "- " + words.text("report.label", ["**\(words.text("report.seen"))**", words.text(result.note)]) + "\n"
            if let timeline = result.timeline { text += "\n" + strip(timeline, words: words) }
            if !result.evidence.isEmpty { text += "\n```\n" + result.evidence.joined(separator: "\n") + "\n```\n" }
        }

        if let capture = report.capture {
            text += "\n## \(words.text("report.capture"))\n\n" + words.text("capture.file", [capture.host, "`\(capture.file)`"]) + "\n\n"
            text += capture.notes.map { "- " + words.text($0) + "\n" }.joined()
        }
        if !report.configs.isEmpty {
            text += "\n## \(words.text("report.configs"))\n\n\(words.text("report.secretsMasked"))\n"
            for file in report.configs {
                text += "\n### \(file.host): `\(file.path)`\n\n```\n\(file.content)\n```\n"
            }
        }
        return SecretMasking.mask(text)
    }

    /// client --> VIP --> balancers --> web servers, the VIP holder's edge drawn bold.
    static func mermaid(_ report: StackReport, words: Phrasebook) -> String {
        func id(_ name: String) -> String { "h_" + name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
        func label(_ host: StackReport.Host, _ kind: String) -> String {
            var parts = ["<b>\(host.name)</b>", ([words.text(kind)] + (host.roles.isEmpty ? [] : [host.roles.joined(separator: ", ")])).joined(separator: " · "),
                         host.survey.interface.isEmpty ? host.address : "\(host.address) · \(host.survey.interface)"]
            if host.holdsVIP { parts.append("★ \(words.text("report.holdsVIP"))") }
            return "\"" + parts.joined(separator: "<br/>").replacingOccurrences(of: "\"", with: "'") + "\""
        }
        var text = "flowchart LR\n"
        let client = report.hosts.first { $0.isClient && !$0.isBalancer }
        text += "  client[\(client.map { label($0, "report.client") } ?? "\"\(words.text("report.client"))<br/>\(report.client)\"")]\n"
        var entry = "client"
        if let vip = report.vip {
            text += "  vip((\"\(words.text("report.vip"))<br/>\(vip):\(report.frontPort)\"))\n  client --> vip\n"
            entry = "vip"
        }
        for host in report.balancers {
            text += "  \(id(host.name))[\(label(host, "report.balancer"))]\n"
            text += "  \(entry) \(report.vip != nil && !host.holdsVIP ? "-.->" : "==>") \(id(host.name))\n"
        }
        for host in report.webServers {
            text += "  \(id(host.name))[\(label(host, "report.webServer"))]\n"
            for balancer in report.balancers { text += "  \(id(balancer.name)) --> \(id(host.name))\n" }
        }
        if report.transparent, report.vip != nil {
            for host in report.webServers { text += "  \(id(host.name)) -. \"\(words.text("report.returnPath"))\" .-> vip\n" }
        }
        return text
    }

    /// A failover test's requests as one character each (✓ answered, ✗ failed) with the marks.
    static func strip(_ timeline: Timeline, words: Phrasebook) -> String {
        var text = "```\n"
        text += timeline.samples.map { $0.ok ? "✓" : "✗" }.joined() + "\n"
        for mark in timeline.marks {
            text += "\(words.decimal(mark.at)) s  \(words.text("mark.\(mark.key)", [mark.value]))\n"
        }
        let failed = timeline.samples.filter { !$0.ok }.count
        text += words.text("report.requests", ["\(timeline.samples.count)", "\(failed)"]) + "\n"
        return text + "```\n"
    }

    static func roleText(_ host: StackReport.Host, words: Phrasebook) -> String {
        var kinds: [String] = []
        if host.isBalancer { kinds.append(words.text("report.balancer")) }
        if host.isWebServer { kinds.append(words.text("report.webServer")) }
        if host.isClient { kinds.append(words.text("report.client")) }
        return (kinds + (host.roles.isEmpty ? [] : ["(" + host.roles.joined(separator: ", ") + ")"])).joined(separator: " ")
    }

    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
}

enum ReportDates {
    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date)
    }
}
