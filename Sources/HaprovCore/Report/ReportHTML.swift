import Foundation

/// The technical annex as one self-contained HTML file: inline CSS and SVG, nothing fetched,
/// laid out to print on A4. A few lines of script record, once the page is drawn, how many of
/// its drawings have a size (`data-rendered` on the root), which the browser test reads.
public enum ReportHTML {
    public static func render(_ report: StackReport, language: Language) -> String {
        let words = Phrasebook(language)
        let e = ReportSVG.escape
        var body = "<h1>\(e(words.text("report.title", [report.inventory])))</h1>\n"
        body += "<p class=\"meta\">\(e(words.text("report.produced", [HaprovVersion.current, ReportDates.stamp(report.date), report.inventory])))</p>\n"

        body += "<section><h2>\(e(words.text("report.diagram")))</h2>\n<figure>\(ReportSVG.topology(report, words: words))</figure></section>\n"

        body += "<section><h2>\(e(words.text("report.addressing")))</h2>\n<table class=\"plan\"><thead><tr>"
        for key in ["report.host", "report.address", "report.interface", "report.role", "report.os", "report.versions"] {
            body += "<th>\(e(words.text(key)))</th>"
        }
        body += "</tr></thead><tbody>\n"
        for host in report.hosts {
            let versions = host.survey.versions.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            body += "<tr><td>\(e(host.name))</td><td class=\"address\">\(e(host.address))</td><td>\(e(host.survey.interface))</td><td>\(e(ReportMarkdown.roleText(host, words: words)))</td><td>\(e(host.survey.os))</td><td>\(e(versions))</td></tr>\n"
        }
        if let vip = report.vip { body += "<tr class=\"vip\"><td>VIP</td><td class=\"address\">\(e(vip))</td><td></td><td>keepalived (VRRP)</td><td></td><td></td></tr>\n" }
        body += "</tbody></table></section>\n"

        let passed = report.results.filter(\.passed).count
        body += "<section><h2>\(e(words.text("report.summary")))</h2>\n<table class=\"results\"><thead><tr>"
        for key in ["report.test", "report.result", "report.observation", "report.duration"] { body += "<th>\(e(words.text(key)))</th>" }
        body += "</tr></thead><tbody>\n"
        for result in report.results {
            body += "<tr class=\"\(result.passed ? "pass" : "fail")\"><td>\(e(words.testName(result.kind, subject: result.subject)))</td><td class=\"verdict\">\(e(words.text(result.passed ? "report.passed" : "report.failed")))</td><td>\(e(words.text(result.note)))</td><td class=\"num\">\(e(words.decimal(result.seconds)))&#160;s</td></tr>\n"
        }
        body += "</tbody></table><p>\(e(words.text("report.allPassed", ["\(passed)", "\(report.results.count)"])))</p></section>\n"

        body += "<section><h2>\(e(words.text("report.tests")))</h2>\n"
        for result in report.results {
            body += "<article class=\"test \(result.passed ? "pass" : "fail")\"><h3>\(e(words.testName(result.kind, subject: result.subject)))</h3>\n"
            body += "<p><strong>\(e(words.text("report.how")))</strong> — \(e(words.procedure(result.kind, subject: result.subject)))</p>\n"
            body += "<p><strong>\(e(words.text("report.seen")))</strong> — \(e(words.text(result.note)))</p>\n"
            if let timeline = result.timeline { body += "<figure>\(ReportSVG.timeline(timeline, words: words))</figure>\n" }
            if !result.evidence.isEmpty { body += "<pre>\(e(result.evidence.joined(separator: "\n")))</pre>\n" }
            body += "</article>\n"
        }
        body += "</section>\n"

        if let capture = report.capture {
            body += "<section><h2>\(e(words.text("report.capture")))</h2>\n<p>\(e(words.text("capture.file", [capture.host, capture.file])))</p>\n<ul>"
            body += capture.notes.map { "<li>\(e(words.text($0)))</li>" }.joined() + "</ul></section>\n"
        }
        if !report.configs.isEmpty {
            body += "<section class=\"configs\"><h2>\(e(words.text("report.configs")))</h2><p>\(e(words.text("report.secretsMasked")))</p>\n"
            for file in report.configs {
                body += "<h3>\(e(file.host)) — <code>\(e(file.path))</code></h3>\n<pre>\(e(file.content))</pre>\n"
            }
            body += "</section>\n"
        }
        let page = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(words.text("report.title", [report.inventory])))</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body)<script>
            addEventListener('load', function () {
              var all = document.querySelectorAll('svg'), drawn = 0;
              for (var i = 0; i < all.length; i++) {
                var box = all[i].getBBox();
                if (box.width > 0 && box.height > 0 && all[i].querySelectorAll('rect, line, path, text').length > 0) drawn++;
              }
              document.documentElement.setAttribute('data-rendered', drawn + '/' + all.length);
            });
            </script>
            </body>
            </html>

            """
        return SecretMasking.mask(page)
    }

    static let style = """
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #263238; margin: 2em auto; max-width: 60em; padding: 0 1em; line-height: 1.4; }
        h1 { font-size: 1.6em; border-bottom: 2px solid #1565c0; padding-bottom: .2em; }
        h2 { font-size: 1.25em; color: #1565c0; margin-top: 1.6em; }
        h3 { font-size: 1.05em; margin-bottom: .3em; }
        .meta { color: #607d8b; font-size: .9em; }
        table { border-collapse: collapse; width: 100%; font-size: .9em; }
        th, td { border: 1px solid #cfd8dc; padding: .3em .5em; text-align: left; vertical-align: top; }
        th { background: #eceff1; }
        td.num { text-align: right; white-space: nowrap; }
        tr.pass td.verdict { color: #2e7d32; font-weight: bold; }
        tr.fail td.verdict { color: #c62828; font-weight: bold; }
        tr.vip td { background: #fff8e1; }
        figure { margin: .5em 0; overflow-x: auto; }
        svg { max-width: 100%; height: auto; font-family: inherit; }
        pre { background: #f5f5f5; border: 1px solid #e0e0e0; padding: .5em; font-size: .8em; overflow-x: auto; white-space: pre-wrap; }
        article.test.fail h3 { color: #c62828; }
        @page { size: A4; margin: 15mm; }
        @media print {
          body { margin: 0; max-width: none; font-size: 10pt; }
          section, article, figure, table { break-inside: avoid; }
          .configs pre { break-inside: auto; }
          h2, h3 { break-after: avoid; }
        }
        """
}
