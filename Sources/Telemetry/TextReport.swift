/// The human summary of a report for stdout: one aligned table per section, numbers the
/// tool did not measure shown as `–`, latencies in milliseconds with two decimals.
public func renderText(report: RunReport) -> String {
    var lines: [String] = []
    let embedded = report.csms.embedded ? " (embedded)" : ""
    lines.append(
        "\(report.tool.name) \(report.tool.version) · seed \(report.seed)"
            + (report.shard.map { " · shard \($0)" } ?? "") + " · started \(report.startedAt)"
            + " · \(fixed(report.durationSeconds, 2)) s"
            + (report.timeScale.map { $0 == 1 ? "" : " · time scale \(fixed($0, $0 == $0.rounded() ? 0 : 2))×" } ?? "")
            + (report.simulatedSeconds.map { report.timeScale == 1 ? "" : " · \(fixed($0, 0)) s simulated" } ?? ""))
    lines.append("CSMS \(report.csms.url)\(embedded)")

    let points = report.chargePoints
    let failures = points.connectFailures.values.reduce(0, +)
    lines.append("")
    lines += alignedTable([
        ["Charge points", "configured", "connected", "boot accepted", "connect failures"],
        ["", "\(points.configured)", "\(points.connected)", "\(points.bootAccepted)", "\(failures)"],
    ])
    if failures > 0 {
        let byReason = points.connectFailures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        if !points.connectionFailures.isEmpty {
            let byKind = points.connectionFailures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            lines.append("  by kind: " + byKind.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        lines.append("  connect failures: " + byReason.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
    if let reconnects = points.reconnectText { lines.append("  \(reconnects)") }
    if let groups = report.groupTable() {
        lines.append("")
        lines += alignedTable([groups.header] + groups.rows)
    }

    lines.append("")
    if report.actions.isEmpty {
        lines.append("Action: no CALLs sent")
    } else {
        var rows = [["Action", "sent", "completed", "CALLERRORs", "timeouts", "p50 ms", "p99 ms"]]
        for (name, action) in report.actions.sorted(by: { $0.key < $1.key }) {
            rows.append([
                name, "\(action.sent)", "\(action.completed)", "\(action.callErrors)", "\(action.timeouts)",
                millis(action.latencyMicros?.p50), millis(action.latencyMicros?.p99),
            ])
        }
        lines += alignedTable(rows)
        let scheduled = report.actions.filter { $0.value.responseFromIntendedMicros != nil }
        if !scheduled.isEmpty {
            // Coordinated omission: scheduled CALLs timed from when they fell due, queueing included.
            lines.append("")
            var rows = [["From intended send", "count", "p50 ms", "p99 ms"]]
            for (name, action) in scheduled.sorted(by: { $0.key < $1.key }) {
                let summary = action.responseFromIntendedMicros
                rows.append([name, measured(summary?.count) { "\($0)" }, millis(summary?.p50), millis(summary?.p99)])
            }
            lines += alignedTable(rows)
        }
    }

    if let faults = report.backendFaults, !faults.isEmpty {
        lines.append("")
        var rows = [["Backend protocol faults", "count", "first sample"]]
        for (kind, count) in faults.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            rows.append([kind, "\(count)", report.backendFaultSamples?[kind]?.first.map(oneLine) ?? ""])
        }
        lines += alignedTable(rows)
    }

    lines.append("")
    if report.incoming.isEmpty {
        lines.append("Incoming: no CALLs received")
    } else {
        var rows = [["Incoming", "received", "answered", "CALLERRORs"]]
        for (name, incoming) in report.incoming.sorted(by: { $0.key < $1.key }) {
            rows.append([name, "\(incoming.received)", "\(incoming.answered)", "\(incoming.callErrors)"])
        }
        lines += alignedTable(rows)
    }

    lines.append("")
    let transactions = report.transactions.table(notMeasured: "-")
    lines += alignedTable([transactions.header, transactions.row])

    let client = report.client
    lines.append("")
    lines += alignedTable([
        ["Client", "CPU µs/call", "RSS KiB/charge point", "CPU s", "CPU use", "peak RSS MiB", "loop lag p99 ms"],
        [
            "",
            measured(client.cpuMicrosPerCall) { fixed($0, 2) },
            measured(client.rssBytesPerChargePoint) { fixed(Double($0) / 1024, 2) },
            measured(client.cpuSeconds) { fixed($0, 2) },
            measured(client.cpuUtilization, percent),
            measured(client.peakRSSBytes) { fixed(Double($0) / 1_048_576, 1) },
            millis(client.eventLoopLagMicros?.p99),
        ],
    ])

    if let thresholds = report.thresholds, !thresholds.isEmpty {
        lines.append("")
        var rows = [["Thresholds", "observed", "result"]]
        for result in thresholds {
            let observed = result.observed.map { value in
                ThresholdMetric.Kind(rawValue: result.unit).map { $0.format(value) } ?? trimmed(value)
            } ?? "no data"
            rows.append([result.expression, observed, result.passed ? "pass" : (result.noData ? "NO DATA" : "FAIL")])
        }
        lines += alignedTable(rows)
    }

    if !report.warnings.isEmpty {
        lines.append("")
        lines.append("Warnings")
        lines += report.warnings.map { "  ! \($0)" }
    }
    return lines.joined(separator: "\n") + "\n"
}

/// A sample on one line, at most 60 characters (the report keeps up to 200 bytes).
private func oneLine(_ sample: String) -> String {
    let flat = String(sample.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    return flat.count > 60 ? String(flat.prefix(59)) + "…" : flat
}

/// The placeholder for a number the tool did not measure.
let notMeasured = "–"

private func measured<Number>(_ value: Number?, _ format: (Number) -> String) -> String {
    value.map(format) ?? notMeasured
}

private func millis(_ micros: Int64?) -> String {
    measured(micros) { fixed(Double($0) / 1000, 2) }
}

/// Rows padded to common column widths: the first column left-aligned, the others right-aligned.
private func alignedTable(_ rows: [[String]]) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    let widths = (0 ..< columns).map { column in
        rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
    }
    return rows.map { row in
        var line = ""
        for (column, cell) in row.enumerated() {
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            line += column == 0 ? cell + padding : "  " + padding + cell
        }
        while line.last == " " { line.removeLast() }
        return line
    }
}
