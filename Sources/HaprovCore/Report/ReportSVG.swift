import Foundation

/// The report's two drawings as inline SVG: the stack's topology and a failover test's timeline.
/// Plain shapes and text only (no fonts, scripts or images to fetch), so they print as drawn.
enum ReportSVG {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    // MARK: - Topology

    /// Client → VIP → load balancers → web servers, each host with its role, address and
    /// interface; the node holding the VIP drawn as such; the return path in transparent mode.
    static func topology(_ report: StackReport, words: Phrasebook) -> String {
        let boxWidth = 200.0, boxHeight = 76.0, gap = 64.0, rowGap = 20.0, margin = 16.0
        struct Node { var id: String; var lines: [String]; var kind: String; var badge: String? }
        var columns: [[Node]] = []
        func describe(_ host: StackReport.Host, _ kind: String) -> Node {
            let place = host.survey.interface.isEmpty ? host.address : "\(host.address) · \(host.survey.interface)"
            return Node(id: host.name, lines: [host.name, words.text(kind), host.roles.joined(separator: ", "), place],
                        kind: kind, badge: host.holdsVIP ? words.text("report.holdsVIP") : nil)
        }
        if let client = report.hosts.first(where: \.isClient), !client.isBalancer {
            columns.append([describe(client, "report.client")])
        } else {
            columns.append([Node(id: "client", lines: [words.text("report.client"), report.client], kind: "report.client", badge: nil)])
        }
        if let vip = report.vip {
            columns.append([Node(id: "vip", lines: [words.text("report.vip"), "\(vip):\(report.frontPort)"], kind: "report.vip", badge: nil)])
        }
        columns.append(report.balancers.map { describe($0, "report.balancer") })
        columns.append(report.webServers.map { describe($0, "report.webServer") })
        columns = columns.filter { !$0.isEmpty }

        let tallest = Double(columns.map(\.count).max() ?? 1)
        let height = margin * 2 + tallest * boxHeight + (tallest - 1) * rowGap + (report.transparent ? 46 : 0)
        let width = margin * 2 + Double(columns.count) * boxWidth + Double(columns.count - 1) * gap
        var position: [String: (x: Double, y: Double)] = [:]
        for (c, column) in columns.enumerated() {
            let columnHeight = Double(column.count) * boxHeight + Double(column.count - 1) * rowGap
            let top = margin + (tallest * boxHeight + (tallest - 1) * rowGap - columnHeight) / 2
            for (r, node) in column.enumerated() {
                position[node.id] = (margin + Double(c) * (boxWidth + gap), top + Double(r) * (boxHeight + rowGap))
            }
        }
        var svg = """
            <svg class="topology" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(number(width)) \(number(height))" width="\(number(width))" height="\(number(height))" role="img" aria-label="\(escape(words.text("report.diagram")))">
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker></defs>

            """
        // Edges first, so boxes sit on top of them.
        for (from, to) in zip(columns, columns.dropFirst()) {
            for a in from {
                for b in to {
                    guard let p = position[a.id], let q = position[b.id] else { continue }
                    let backup = b.kind == "report.balancer" && a.kind == "report.vip" && b.badge == nil
                    svg += "<line x1=\"\(number(p.x + boxWidth))\" y1=\"\(number(p.y + boxHeight / 2))\" x2=\"\(number(q.x - 2))\" y2=\"\(number(q.y + boxHeight / 2))\" stroke=\"#455a64\" stroke-width=\"\(backup ? 1 : 1.6)\"\(backup ? " stroke-dasharray=\"5 4\"" : "") marker-end=\"url(#arrow)\"/>\n"
                }
            }
        }
        if report.transparent, let vip = position["vip"], let lastWeb = columns.last?.last, let web = position[lastWeb.id] {
            let y = height - margin - 10
            svg += "<path d=\"M\(number(web.x + boxWidth / 2)),\(number(web.y + boxHeight)) V\(number(y)) H\(number(vip.x + boxWidth / 2)) V\(number(vip.y + boxHeight + 2))\" fill=\"none\" stroke=\"#8e24aa\" stroke-width=\"1.4\" stroke-dasharray=\"6 4\" marker-end=\"url(#arrow)\"/>\n"
            svg += "<text x=\"\(number((web.x + vip.x + boxWidth) / 2))\" y=\"\(number(y - 6))\" font-size=\"11\" fill=\"#8e24aa\" text-anchor=\"middle\">\(escape(words.text("report.returnPath")))</text>\n"
        }
        for column in columns {
            for node in column {
                guard let p = position[node.id] else { continue }
                let fill: String
                switch node.kind {
                case "report.vip": fill = "#fff8e1"
                case "report.balancer": fill = node.badge == nil ? "#e3f2fd" : "#bbdefb"
                case "report.webServer": fill = "#e8f5e9"
                default: fill = "#f5f5f5"
                }
                let stroke = node.badge == nil ? "#607d8b" : "#1565c0"
                svg += "<g class=\"node\" data-host=\"\(escape(node.id))\"><rect x=\"\(number(p.x))\" y=\"\(number(p.y))\" width=\"\(number(boxWidth))\" height=\"\(number(boxHeight))\" rx=\"\(node.kind == "report.vip" ? 28 : 8)\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(node.badge == nil ? 1 : 2)\"/>\n"
                for (index, line) in node.lines.filter({ !$0.isEmpty }).enumerated() {
                    let size = index == 0 ? 14 : 11
                    svg += "<text x=\"\(number(p.x + 10))\" y=\"\(number(p.y + 19 + Double(index) * 16))\" font-size=\"\(size)\"\(index == 0 ? " font-weight=\"bold\"" : "") fill=\"#263238\">\(escape(line))</text>\n"
                }
                if let badge = node.badge {
                    svg += "<text x=\"\(number(p.x + boxWidth - 8))\" y=\"\(number(p.y + 18))\" font-size=\"10\" fill=\"#1565c0\" text-anchor=\"end\">★ \(escape(badge))</text>\n"
                }
                svg += "</g>\n"
            }
        }
        return svg + "</svg>"
    }

    // MARK: - Timeline

    static let serverColours = ["#2e7d32", "#66bb6a", "#00897b", "#9ccc65"]

    /// Every request of a failover test over time (a tick per request, coloured by the server
    /// that answered, red when it failed) with the fault and what followed as vertical marks.
    static func timeline(_ timeline: Timeline, words: Phrasebook) -> String {
        let width = 760.0, left = 44.0, right = 16.0, plot = width - left - right
        let span = max(timeline.seconds, 1)
        func x(_ at: Double) -> Double { left + at / span * plot }
        let servers = Array(Set(timeline.samples.filter(\.ok).map(\.server))).sorted()
        let tick = max(1.5, plot / span * 0.07)
        var svg = """
            <svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(number(width)) 176" width="\(number(width))" height="176" role="img">
            <rect x="\(number(left))" y="44" width="\(number(plot))" height="30" fill="#f1f8e9"/>
            <rect x="\(number(left))" y="78" width="\(number(plot))" height="30" fill="#ffebee"/>
            <text x="\(number(left - 6))" y="63" font-size="10" text-anchor="end" fill="#2e7d32">OK</text>
            <text x="\(number(left - 6))" y="97" font-size="10" text-anchor="end" fill="#c62828">✗</text>

            """
        for sample in timeline.samples {
            let colour = sample.ok ? serverColours[(servers.firstIndex(of: sample.server) ?? 0) % serverColours.count] : "#c62828"
            svg += "<rect x=\"\(number(x(sample.at) - tick / 2))\" y=\"\(sample.ok ? 46 : 80)\" width=\"\(number(tick))\" height=\"26\" fill=\"\(colour)\"/>\n"
        }
        for (index, mark) in timeline.marks.enumerated() {
            let label = words.text("mark.\(mark.key)", [mark.value])
            let labelY = 12.0 + Double(index % 3) * 12
            let anchor = x(mark.at) > width - 160 ? "end" : "start"
            svg += "<line x1=\"\(number(x(mark.at)))\" y1=\"\(number(labelY + 4))\" x2=\"\(number(x(mark.at)))\" y2=\"112\" stroke=\"#37474f\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n"
            svg += "<text x=\"\(number(x(mark.at) + (anchor == "start" ? 3 : -3)))\" y=\"\(number(labelY))\" font-size=\"10\" fill=\"#37474f\" text-anchor=\"\(anchor)\">\(escape(label)) (\(words.decimal(mark.at))&#160;s)</text>\n"
        }
        let step = span > 20 ? 5.0 : span > 8 ? 2.0 : 1.0
        var second = 0.0
        while second <= span + 0.001 {
            svg += "<line x1=\"\(number(x(second)))\" y1=\"110\" x2=\"\(number(x(second)))\" y2=\"115\" stroke=\"#607d8b\"/><text x=\"\(number(x(second)))\" y=\"128\" font-size=\"10\" text-anchor=\"middle\" fill=\"#455a64\">\(Int(second))</text>\n"
            second += step
        }
        svg += "<text x=\"\(number(left + plot / 2))\" y=\"143\" font-size=\"10\" text-anchor=\"middle\" fill=\"#455a64\">\(escape(words.text("report.seconds")))</text>\n"
        var legendX = left
        for (index, server) in servers.enumerated() {
            svg += "<rect x=\"\(number(legendX))\" y=\"154\" width=\"10\" height=\"10\" fill=\"\(serverColours[index % serverColours.count])\"/><text x=\"\(number(legendX + 14))\" y=\"163\" font-size=\"10\" fill=\"#263238\">\(escape(server))</text>\n"
            legendX += 24 + Double(server.count) * 6
        }
        let failed = timeline.samples.filter { !$0.ok }.count
        svg += "<rect x=\"\(number(legendX))\" y=\"154\" width=\"10\" height=\"10\" fill=\"#c62828\"/><text x=\"\(number(legendX + 14))\" y=\"163\" font-size=\"10\" fill=\"#263238\">\(escape(words.text("report.legendFailed"))) (\(failed)/\(timeline.samples.count))</text>\n"
        return svg + "</svg>"
    }
}
