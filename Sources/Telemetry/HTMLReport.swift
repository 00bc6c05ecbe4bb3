import Foundation

/// The report as one self-contained HTML page: inline CSS and SVG charts, no script, nothing
/// fetched from anywhere, readable by someone who never used the tool. Sections: the verdict
/// and run facts, a saturation banner when the generator was the bottleneck, thresholds,
/// connected charge points and throughput over time, latency percentiles over time per
/// action, the error breakdown, a per-action table, CSMS-initiated calls and the client's cost.
///
/// A figure the run did not measure is shown as "–" (never as 0); a chart with no data says
/// "nothing measured".
public func renderHTML(report: RunReport) -> String {
    var page = HTMLPage(report: report)
    return page.render()
}

private struct HTMLPage {
    let report: RunReport
    var body = ""

    init(report: RunReport) { self.report = report }

    /// Seconds since the start of the run for each bucket, with the series' width.
    var timeline: (start: Int64, width: Double, points: [TimeSeries.Point])? {
        guard let series = report.timeSeries else { return nil }
        let points = series.points  // decoded once (TimeSeries keeps them packed)
        guard let first = points.first else { return nil }
        let start = RunReport.parseRFC3339(report.startedAt).map { Int64($0.timeIntervalSince1970.rounded(.down)) }
            ?? first.time
        return (min(start, first.time), Double(series.intervalSeconds), points)
    }

    mutating func render() -> String {
        header()
        if report.saturated == true { saturationBanner() }
        warnings()
        verdictSection()
        overTime()
        latencyOverTime()
        errorBreakdown()
        groupSection()
        actionTable()
        incomingTable()
        clientCost()
        glossary()
        let title = "ocpp-fleet report" + (report.spec.map { " · \($0)" } ?? "") + " · \(report.startedAt)"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(html(title))</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
    }

    // MARK: Sections

    private var passed: Bool { report.checks.allSatisfy(\.passed) }

    private mutating func header() {
        let points = report.chargePoints
        let verdict = passed ? #"<span class="verdict pass">PASS</span>"# : #"<span class="verdict fail">FAIL</span>"#
        let basis = report.thresholds?.isEmpty == false ? "thresholds" : "default checks"
        body += """
            <header>
            <h1>OCPP load test report \(verdict)</h1>
            <p class="lead">\(report.spec.map { "Fleet spec <code>\(html($0))</code>: " } ?? "")\(points.configured) simulated \
            charge point\(points.configured == 1 ? "" : "s") against \(report.csms.embedded ? "the embedded test CSMS at " : "")\
            <code>\(html(report.csms.url))</code> for \(html(durationText(report.durationSeconds))). \
            Verdict from the run's \(basis).</p>
            <dl class="facts">
            \(fact("Charge points", "\(points.configured) configured, \(points.connected) connected at the peak"))
            \(fact("Boots accepted", "\(points.bootAccepted)"))\(points.reconnectText.map { "\n" + fact("Reconnects", $0) } ?? "")
            \(fact("Started", report.startedAt))
            \(fact("Duration", durationText(report.durationSeconds)))
            \(fact("CALLs sent", "\(report.actions.values.reduce(0) { $0 + $1.sent })"))
            \(fact("Transactions", report.transactions.summaryText))
            \(fact("Seed", "\(report.seed)"))\(report.shard.map { "\n" + fact("Shard", "\($0) (index/count)") } ?? "")
            \(fact("Tool", "\(report.tool.name) \(report.tool.version)"))
            </dl>
            </header>

            """
    }

    private func fact(_ name: String, _ value: String) -> String {
        "<div><dt>\(html(name))</dt><dd>\(html(value))</dd></div>"
    }

    private mutating func saturationBanner() {
        body += """
            <div class="banner" role="alert"><strong>The load generator was the bottleneck.</strong> \
            Its own CPU or event-loop lag limited this run, so the latencies below include time the \
            charge points spent waiting inside the generator, not only the CSMS's answer time. Run fewer \
            charge points per process, give it more cores, or split the fleet over several processes \
            before blaming the CSMS.</div>

            """
    }

    private mutating func warnings() {
        guard !report.warnings.isEmpty else { return }
        body += #"<section><h2>Warnings</h2><ul class="warnings">"#
        for warning in report.warnings { body += "<li>\(html(warning))</li>" }
        body += "</ul></section>\n"
    }

    private mutating func verdictSection() {
        if let thresholds = report.thresholds, !thresholds.isEmpty {
            body += """
                <section id="thresholds"><h2>Thresholds</h2>
                <p class="note">The pass/fail criteria this run was held to. "No data" means the run never \
                measured that figure (for example an action that was never sent), which counts as a failure.</p>
                <table><thead><tr><th>threshold</th><th class="num">observed</th><th>result</th><th>details</th></tr></thead><tbody>

                """
            for result in thresholds {
                let observed = result.observed.map { value in
                    ThresholdMetric.Kind(rawValue: result.unit).map { $0.format(value) } ?? trimmed(value)
                } ?? "no data"
                let verdict = result.passed
                    ? #"<span class="ok">pass</span>"#
                    : (result.noData ? #"<span class="bad">no data</span>"# : #"<span class="bad">fail</span>"#)
                body += "<tr><td><code>\(html(result.expression))</code></td><td class=\"num\">\(html(observed))</td>"
                    + "<td>\(verdict)</td><td>\(html(result.message))</td></tr>\n"
            }
            body += "</tbody></table></section>\n"
        } else {
            body += """
                <section id="thresholds"><h2>Checks</h2>
                <p class="note">This run had no thresholds, so it is held to the default checks. Give \
                thresholds in the fleet spec or with <code>--threshold</code> to set your own criteria.</p>
                <table><thead><tr><th>check</th><th>result</th><th>details</th></tr></thead><tbody>

                """
            for check in report.defaultChecks {
                let verdict = check.passed ? #"<span class="ok">pass</span>"# : #"<span class="bad">fail</span>"#
                body += "<tr><td>\(html(check.name))</td><td>\(verdict)</td><td>\(html(check.message))</td></tr>\n"
            }
            body += "</tbody></table></section>\n"
        }
    }

    private mutating func overTime() {
        body += #"<section id="over-time"><h2>Connections and throughput over time</h2>"#
        guard let timeline else {
            body += #"<p class="note">This report has no time series (it was written by an older version or merged with one).</p></section>"#
            body += "\n"
            return
        }
        let width = timeline.width
        let per = width == 1 ? "per second" : "per second, averaged over \(Int(width)) s buckets"
        body += #"<p class="note">Each point is one \#(Int(width)) s bucket of wall-clock time since the run started.</p>"#
        func x(_ point: TimeSeries.Point) -> Double { Double(point.time - timeline.start) }
        body += figure(LineChart(
            title: "Charge points connected", unit: "charge points",
            series: [.init(name: "connected (end of bucket)", color: chartPalette[0],
                           points: timeline.points.map { (x($0), $0.connected.map(Double.init)) })],
            format: { trimmed($0) }),
            caption: "How many charge points had an open WebSocket to the CSMS.")
        body += figure(LineChart(
            title: "Throughput", unit: "calls/s",
            series: [
                .init(name: "CALLs sent", color: chartPalette[0], points: timeline.points.map { (x($0), Double($0.sent) / width) }),
                .init(name: "answered (CALLRESULT)", color: chartPalette[2],
                      points: timeline.points.map { (x($0), Double($0.completed) / width) }, dashed: true),
                .init(name: "errors (CALLERROR + timeout)", color: chartPalette[1],
                      points: timeline.points.map { (x($0), Double($0.callErrors + $0.timeouts) / width) }),
            ]),
            caption: "OCPP requests the charge points sent \(per), and how they ended.")
        body += "</section>\n"
    }

    private mutating func latencyOverTime() {
        guard let timeline else { return }
        let actions = Set(timeline.points.flatMap { $0.actions.keys }).sorted()
        body += """
            <section id="latency"><h2>Latency over time, per action</h2>
            <p class="note">Time from sending a request to receiving the CSMS's answer (CALLRESULT), per \
            OCPP action: the median (p50) and the 99th percentile (p99: 1 request in 100 took longer) of \
            the answers received in each bucket. Gaps are buckets without answers.</p>

            """
        var shown = 0
        for action in actions {
            let points = timeline.points
            let hasLatency = points.contains { $0.actions[action]?.latency?.isEmpty == false }
            guard hasLatency else { continue }
            func value(_ point: TimeSeries.Point, _ percentile: Double) -> Double? {
                point.actions[action]?.latency?.value(atPercentile: percentile).map { Double($0) / 1000 }
            }
            body += figure(LineChart(
                title: "\(action) latency", unit: "ms",
                series: [
                    .init(name: "p50", color: chartPalette[0], points: points.map { (Double($0.time - timeline.start), value($0, 50)) }),
                    .init(name: "p99", color: chartPalette[1], points: points.map { (Double($0.time - timeline.start), value($0, 99)) }),
                ]), caption: "p50 and p99 of the answers received in each bucket, in milliseconds.")
            shown += 1
        }
        if shown == 0 { body += #"<p class="note">No request was answered with a CALLRESULT.</p>"# }
        body += "</section>\n"
    }

    private mutating func errorBreakdown() {
        var bars: [(label: String, value: Int, color: String)] = []
        for (name, action) in report.actions.sorted(by: { $0.key < $1.key }) {
            for (code, count) in action.callErrorsByCode.sorted(by: { $0.key < $1.key }) where count > 0 {
                bars.append(("CALLERROR \(code) · \(name)", count, chartPalette[1]))
            }
            if action.timeouts > 0 { bars.append(("timeout · \(name)", action.timeouts, chartPalette[4])) }
        }
        for (reason, count) in report.chargePoints.connectFailures.sorted(by: { $0.key < $1.key }) where count > 0 {
            bars.append(("connection failed: \(reason)", count, chartPalette[3]))
        }
        for (name, incoming) in report.incoming.sorted(by: { $0.key < $1.key }) {
            for (code, count) in incoming.callErrorsByCode.sorted(by: { $0.key < $1.key }) where count > 0 {
                bars.append(("our CALLERROR \(code) to CSMS \(name)", count, chartPalette[6]))
            }
        }
        for (kind, count) in (report.backendFaults ?? [:]).sorted(by: { $0.key < $1.key }) where count > 0 {
            bars.append(("CSMS protocol fault: \(kind)", count, chartPalette[5]))
        }
        bars.sort { ($0.value, $1.label) > ($1.value, $0.label) }
        body += """
            <section id="errors"><h2>Errors</h2>
            <p class="note">CALLERROR: the CSMS answered a request with an error code. Timeout: no answer \
            within the call timeout. Connection failed: a charge point could not open its WebSocket. \
            CSMS protocol fault: the CSMS broke the OCPP-J rules or a 1.6 schema (an answer to no request, \
            an answer after the timeout, an unknown message type, a binary frame, an invalid payload).</p>

            """
        if bars.isEmpty {
            body += #"<p class="good">No CALLERRORs, no timeouts and no failed connections.</p>"#
        } else {
            body += figure(title: "Errors by kind", svg: BarChart(title: "Errors by kind", bars: bars).svg(),
                           caption: "Most frequent first.")
        }
        if let faults = report.backendFaults, !faults.isEmpty {
            body += "<table><thead><tr><th>CSMS protocol fault</th><th class=\"num\">count</th>"
                + "<th>samples (secrets redacted)</th></tr></thead><tbody>\n"
            for (kind, count) in faults.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                let samples = (report.backendFaultSamples?[kind] ?? []).map { "<code>\(html($0))</code>" }
                body += "<tr><td>\(html(kind))</td><td class=\"num\">\(count)</td><td>"
                    + samples.joined(separator: "<br>") + "</td></tr>\n"
            }
            body += "</tbody></table>\n"
        }
        body += "</section>\n"
    }

    /// The groups side by side, when there are several: a security setting fails one group, not
    /// the fleet, and this is where that shows.
    private mutating func groupSection() {
        guard let table = report.groupTable() else { return }
        let textColumns: Set<Int> = [0, 1, table.header.count - 1]
        body += """
            <section id="groups"><h2>Groups</h2>
            <p class="note">Each group of the fleet spec with its OCPP version and security profile. A wrong \
            password or certificate fails every charge point of its group: its failed connections show here, by kind.</p>

            """
        body += "<table><thead><tr>" + table.header.enumerated().map { column, name in
            textColumns.contains(column) ? "<th>\(html(name))</th>" : "<th class=\"num\">\(html(name))</th>"
        }.joined() + "</tr></thead><tbody>\n"
        for row in table.rows {
            body += "<tr>" + row.enumerated().map { column, cell in
                textColumns.contains(column) ? "<td>\(html(cell))</td>" : "<td class=\"num\">\(html(cell))</td>"
            }.joined() + "</tr>\n"
        }
        body += "</tbody></table></section>\n"
    }

    private mutating func actionTable() {
        body += """
            <section id="actions"><h2>Requests per action</h2>
            <p class="note">Requests the charge points sent, over the whole run. Latencies in milliseconds; \
            "–" where nothing was measured.</p>

            """
        guard !report.actions.isEmpty else {
            body += #"<p class="note">No request was sent.</p></section>"# + "\n"
            return
        }
        body += "<table><thead><tr><th>action</th>"
            + ["sent", "answered", "CALLERRORs", "timeouts", "p50", "p90", "p99", "p99.9", "max"]
            .map { "<th class=\"num\">\($0)</th>" }.joined() + "</tr></thead><tbody>\n"
        for (name, action) in report.actions.sorted(by: { $0.key < $1.key }) {
            let latency = action.latencyMicros
            let cells = ["\(action.sent)", "\(action.completed)", "\(action.callErrors)", "\(action.timeouts)",
                         ms(latency?.p50), ms(latency?.p90), ms(latency?.p99), ms(latency?.p999), ms(latency?.max)]
            body += "<tr><td>\(html(name))</td>" + cells.map { "<td class=\"num\">\(html($0))</td>" }.joined() + "</tr>\n"
        }
        body += "</tbody></table>\n"
        let scheduled = report.actions.filter { $0.value.responseFromIntendedMicros != nil }
        if !scheduled.isEmpty {
            body += #"<p class="note">Scheduled requests (heartbeats, meter values, behaviour events) timed "#
                + "from the moment they fell due, so time spent queued behind a slow CSMS is counted "
                + "(coordinated omission).</p>\n"
            body += "<table><thead><tr><th>from intended send</th>"
                + ["count", "p50", "p99", "max"].map { "<th class=\"num\">\($0)</th>" }.joined() + "</tr></thead><tbody>\n"
            for (name, action) in scheduled.sorted(by: { $0.key < $1.key }) {
                let summary = action.responseFromIntendedMicros
                let cells = [summary.map { "\($0.count)" } ?? "–", ms(summary?.p50), ms(summary?.p99), ms(summary?.max)]
                body += "<tr><td>\(html(name))</td>" + cells.map { "<td class=\"num\">\(html($0))</td>" }.joined() + "</tr>\n"
            }
            body += "</tbody></table>\n"
        }
        body += "</section>\n"
    }

    private mutating func incomingTable() {
        guard !report.incoming.isEmpty else { return }
        body += """
            <section id="incoming"><h2>Requests from the CSMS</h2>
            <p class="note">Requests the CSMS sent to the charge points, and how the simulated charge points answered.</p>
            <table><thead><tr><th>action</th><th class="num">received</th><th class="num">answered</th><th class="num">CALLERRORs</th></tr></thead><tbody>

            """
        for (name, incoming) in report.incoming.sorted(by: { $0.key < $1.key }) {
            body += "<tr><td>\(html(name))</td><td class=\"num\">\(incoming.received)</td>"
                + "<td class=\"num\">\(incoming.answered)</td><td class=\"num\">\(incoming.callErrors)</td></tr>\n"
        }
        body += "</tbody></table></section>\n"
    }

    private mutating func clientCost() {
        let client = report.client
        body += """
            <section id="client"><h2>Cost of the load generator</h2>
            <p class="note">What simulating the fleet cost this machine: CPU time per OCPP message handled and \
            memory per connected charge point. High CPU use or event-loop lag means the generator, not the \
            CSMS, may have limited the run.</p>
            <dl class="facts">
            \(fact("CPU per call", client.cpuMicrosPerCall.map { "\(fixed($0, 1)) µs" } ?? "–"))
            \(fact("RSS per charge point", client.rssBytesPerChargePoint.map { "\(fixed(Double($0) / 1024, 2)) KiB" } ?? "–"))
            \(fact("CPU time", client.cpuSeconds.map { "\(fixed($0, 2)) s" } ?? "–"))
            \(fact("CPU use", client.cpuUtilization.map { "\(percent($0)) of \(client.availableCores ?? 0) cores" } ?? "–"))
            \(fact("Peak RSS", client.peakRSSBytes.map { "\(fixed(Double($0) / 1_048_576, 1)) MiB" } ?? "–"))
            \(fact("Event-loop lag p99", ms(client.eventLoopLagMicros?.p99) + (client.eventLoopLagMicros == nil ? "" : " ms")))
            </dl>

            """
        if let timeline {
            let width = timeline.width
            func x(_ point: TimeSeries.Point) -> Double { Double(point.time - timeline.start) }
            body += figure(LineChart(
                title: "Client CPU", unit: "cores busy",
                series: [.init(name: "CPU time per second of wall time", color: chartPalette[0],
                               points: timeline.points.map { (x($0), $0.cpuSeconds.map { $0 / width }) })],
                format: { trimmed($0) }),
                caption: "1.0 means one core fully busy\(client.availableCores.map { "; the machine has \($0)" } ?? "").")
            body += figure(LineChart(
                title: "Client memory", unit: "MiB",
                series: [.init(name: "resident set size", color: chartPalette[2],
                               points: timeline.points.map { (x($0), $0.rssBytes.map { Double($0) / 1_048_576 }) })],
                format: { trimmed($0) }),
                caption: "Resident memory of the fleet process at the end of each bucket.")
        }
        body += "</section>\n"
    }

    private mutating func glossary() {
        body += """
            <footer>
            <p><strong>Reading this report.</strong> A <em>charge point</em> is one simulated charging \
            station holding a WebSocket to the CSMS (the backend under test). A <em>CALL</em> is an OCPP \
            request; the answer is a CALLRESULT (success) or a CALLERROR (an error code). Percentiles: \
            p50 is the median, p99 the time within which 99 of 100 requests were answered. All latencies \
            are measured from the moment a request was handed to the socket until its answer was decoded.</p>
            <p>Written by \(html(report.tool.name)) \(html(report.tool.version)); report schema \
            \(report.schemaVersion).\(report.schemaMinorVersion ?? 0). This page loads nothing from the network.</p>
            </footer>

            """
    }

    private func figure(_ chart: LineChart, caption: String) -> String {
        figure(title: chart.title, svg: chart.svg(), caption: caption)
    }

    private func figure(title: String, svg: String, caption: String) -> String {
        "<figure><figcaption><strong>\(html(title))</strong> · \(html(caption))</figcaption>\(svg)</figure>\n"
    }

    private func ms(_ micros: Int64?) -> String {
        micros.map { fixed(Double($0) / 1000, 2) } ?? "–"
    }

    private func durationText(_ seconds: Double) -> String {
        seconds >= 120 ? "\(clockLabel(seconds)) (\(fixed(seconds, 0)) s)" : "\(fixed(seconds, 1)) s"
    }

    static let css = """
        :root{color-scheme:light;--fg:#1d2430;--muted:#5b6472;--line:#d9dee5;--bg:#f6f7f9;--card:#fff}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
        main{max-width:1080px;margin:0 auto;padding:24px}
        header,section,footer,.banner{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin:0 0 18px}
        h1{font-size:24px;margin:0 0 6px;display:flex;align-items:center;gap:12px}
        h2{font-size:18px;margin:0 0 8px}
        .lead{margin:0 0 12px;color:var(--muted)}
        code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f4;padding:1px 4px;border-radius:3px}
        .verdict{font-size:14px;font-weight:700;padding:3px 10px;border-radius:4px;color:#fff}
        .verdict.pass{background:#1a7f37}.verdict.fail{background:#c62828}
        .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px 18px;margin:0}
        .facts div{border-left:3px solid var(--line);padding-left:10px}
        dt{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
        dd{margin:0;font-weight:600}
        .banner{background:#fff4e5;border-color:#f0a030}
        .note{color:var(--muted);margin:0 0 10px}
        .good{color:#1a7f37;font-weight:600}
        table{border-collapse:collapse;width:100%;font-size:14px}
        th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .ok{color:#1a7f37;font-weight:700}.bad{color:#c62828;font-weight:700}
        figure{margin:10px 0 16px}
        figcaption{font-size:13px;color:var(--muted);margin-bottom:2px}
        figcaption strong{color:var(--fg);font-size:14px}
        svg.chart{width:100%;height:auto;display:block}
        svg .grid{stroke:#e6e9ee;stroke-width:1}
        svg .axis{stroke:#9aa3ae;stroke-width:1}
        svg text{font:11px -apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#4a5360}
        svg .legend{font-size:12px;fill:#1d2430}
        svg .unit{font-size:11px;fill:#5b6472}
        svg .empty{font-size:14px;fill:#9aa3ae}
        ul.warnings{margin:0;padding-left:20px}
        footer p{margin:0 0 6px;color:var(--muted);font-size:13px}
        """
}
