import Foundation

/// One pass/fail verdict on a report, as JUnit and the Markdown summary show it.
public typealias ReportCheck = (name: String, passed: Bool, message: String)

extension RunReport {
    /// The checks every run is held to while there are no configured thresholds:
    /// - `every charge point connected`: the peak of concurrently connected charge points
    ///   reached the configured count;
    /// - `every boot accepted`: at least as many BootNotifications were accepted as charge
    ///   points are configured (a reboot counts again);
    /// - `no CALL timed out`: no action has a timeout;
    /// - `no CALLERRORs for <Action>`: one check per action sent, by action name;
    /// - `every transaction started was stopped`: `transactions.started == transactions.stopped`.
    public var defaultChecks: [ReportCheck] {
        let points = chargePoints
        var checks: [ReportCheck] = [
            (
                name: "every charge point connected",
                passed: points.connected >= points.configured,
                message: "\(points.connected) of \(points.configured) charge points connected at the peak"
            ),
            (
                name: "every boot accepted",
                passed: points.bootAccepted >= points.configured,
                message: "\(points.bootAccepted) BootNotifications accepted for \(points.configured) charge points"
            ),
        ]
        let sorted = actions.sorted { $0.key < $1.key }
        let timedOut = sorted.filter { $0.value.timeouts > 0 }
        checks.append((
            name: "no CALL timed out",
            passed: timedOut.isEmpty,
            message: timedOut.isEmpty
                ? "no timeouts"
                : "timeouts: " + timedOut.map { "\($0.key) \($0.value.timeouts)" }.joined(separator: ", ")
        ))
        for (name, action) in sorted {
            let byCode = action.callErrorsByCode.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            checks.append((
                name: "no CALLERRORs for \(name)",
                passed: action.callErrors == 0,
                message: action.callErrors == 0
                    ? "\(action.sent) sent, no CALLERRORs"
                    : "\(action.callErrors) CALLERRORs of \(action.sent) sent: "
                        + byCode.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            ))
        }
        checks.append((
            name: "every transaction started was stopped",
            passed: transactions.started == transactions.stopped,
            message: "\(transactions.started) started, \(transactions.stopped) stopped"
        ))
        if let messages = transactions.messages {
            checks.append((
                name: "no transaction message was dropped",
                passed: messages.droppedTotal == 0,
                message: "\(messages.queuedOffline) queued offline, \(messages.replayed) replayed, "
                    + "\(messages.droppedText) dropped"
            ))
        }
        return checks
    }
}

// MARK: - Markdown

/// A Markdown summary of a report that fits a CI job summary (GitHub's `$GITHUB_STEP_SUMMARY`):
/// a heading with seed, duration and CSMS, the warnings, then tables of charge points,
/// actions, incoming CALLs, transactions and client cost, then the checks.
///
/// - Parameter checks: the verdicts listed last; nil lists ``RunReport/checks`` (the thresholds
///   as a table when the report has any, else the default checks), an empty array none.
public func renderMarkdown(report: RunReport, checks: [ReportCheck]? = nil) -> String {
    var lines: [String] = []
    let embedded = report.csms.embedded ? " (embedded)" : ""
    lines.append("### \(md(report.tool.name)) run report")
    lines.append("")
    lines.append(
        "**Seed** \(report.seed)" + (report.shard.map { " · **shard** \($0)" } ?? "") + " · **duration** \(fixed(report.durationSeconds, 2)) s"
            + (report.simulatedSeconds.map { report.timeScale == 1 ? "" : " (\(fixed($0, 0)) s simulated)" } ?? "") + " · "
            + "**started** \(md(report.startedAt)) · **CSMS** \(md(report.csms.url))\(embedded) · "
            + "\(md(report.tool.name)) \(md(report.tool.version))")

    if report.saturated == true {
        lines.append("")
        lines.append("> **The load generator was saturated:** its own CPU or event-loop lag limited the run, "
            + "so latencies include the client's queueing. Use fewer charge points per process or more cores.")
    }
    if !report.warnings.isEmpty {
        lines.append("")
        lines.append(report.warnings.map { "> **Warning:** \(md($0))" }.joined(separator: "\n>\n"))
    }

    let points = report.chargePoints
    let failures = points.connectFailures.values.reduce(0, +)
    lines.append("")
    lines += markdownTable(
        ["Charge points", "configured", "connected", "boot accepted", "connect failures"],
        [["", "\(points.configured)", "\(points.connected)", "\(points.bootAccepted)", "\(failures)"]])
    if failures > 0 {
        let byReason = points.connectFailures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        lines.append("")
        if !points.connectionFailures.isEmpty {
            let byKind = points.connectionFailures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            lines.append("Connection failures by kind: " + byKind.map { "\(md($0.key)) \($0.value)" }.joined(separator: ", "))
            lines.append("")
        }
        lines.append("Connect failures: " + byReason.map { "\(md($0.key)) \($0.value)" }.joined(separator: ", "))
    }
    if let reconnects = points.reconnectText {
        lines.append("")
        lines.append("Reconnects: \(md(reconnects)).")
    }
    if let groups = report.groupTable() {
        lines.append("")
        lines += markdownTable(groups.header, groups.rows.map { $0.map(md) })
    }

    lines.append("")
    if report.actions.isEmpty {
        lines.append("No CALLs sent.")
    } else {
        lines += markdownTable(
            ["Action", "sent", "completed", "CALLERRORs", "timeouts", "p50 ms", "p99 ms", "max ms"],
            report.actions.sorted { $0.key < $1.key }.map { name, action in
                [
                    md(name), "\(action.sent)", "\(action.completed)", "\(action.callErrors)", "\(action.timeouts)",
                    millis(action.latencyMicros?.p50), millis(action.latencyMicros?.p99),
                    millis(action.latencyMicros?.max),
                ]
            })
        let scheduled = report.actions.filter { $0.value.responseFromIntendedMicros != nil }
        if !scheduled.isEmpty {
            lines.append("")
            lines.append("Scheduled CALLs timed from their intended send time (queueing behind a slow backend included):")
            lines.append("")
            lines += markdownTable(
                ["From intended send", "count", "p50 ms", "p99 ms"],
                scheduled.sorted { $0.key < $1.key }.map { name, action in
                    let summary = action.responseFromIntendedMicros
                    return [md(name), summary.map { "\($0.count)" } ?? "–", millis(summary?.p50), millis(summary?.p99)]
                })
        }
    }

    if let faults = report.backendFaults, !faults.isEmpty {
        lines.append("")
        lines += markdownTable(
            ["Backend protocol fault", "count", "sample"],
            faults.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { kind, count in
                [md(kind), "\(count)", report.backendFaultSamples?[kind]?.first.map(md) ?? ""]
            })
    }

    if !report.incoming.isEmpty {
        lines.append("")
        lines += markdownTable(
            ["Incoming", "received", "answered", "CALLERRORs"],
            report.incoming.sorted { $0.key < $1.key }.map { name, incoming in
                [md(name), "\(incoming.received)", "\(incoming.answered)", "\(incoming.callErrors)"]
            })
    }

    lines.append("")
    let transactions = report.transactions.table(notMeasured: notMeasured)
    lines += markdownTable(transactions.header, [transactions.row])

    let client = report.client
    lines.append("")
    lines += markdownTable(
        ["Client", "CPU µs/call", "RSS KiB/charge point", "CPU s", "CPU use", "peak RSS MiB", "loop lag p99 ms"],
        [[
            "",
            client.cpuMicrosPerCall.map { fixed($0, 2) } ?? notMeasured,
            client.rssBytesPerChargePoint.map { fixed(Double($0) / 1024, 2) } ?? notMeasured,
            client.cpuSeconds.map { fixed($0, 2) } ?? notMeasured,
            client.cpuUtilization.map(percent) ?? notMeasured,
            client.peakRSSBytes.map { fixed(Double($0) / 1_048_576, 1) } ?? notMeasured,
            millis(client.eventLoopLagMicros?.p99),
        ]])

    if checks == nil, let thresholds = report.thresholds, !thresholds.isEmpty {
        let failed = thresholds.filter { !$0.passed }.count
        lines.append("")
        lines.append(failed == 0
            ? "**Thresholds:** all \(thresholds.count) held"
            : "**Thresholds:** \(failed) of \(thresholds.count) failed")
        lines.append("")
        lines += markdownTable(
            ["Threshold", "observed", "result"],
            thresholds.map { result in
                let observed = result.observed.map { value in
                    ThresholdMetric.Kind(rawValue: result.unit).map { $0.format(value) } ?? trimmed(value)
                } ?? "no data"
                let verdict = result.passed ? "✅ pass" : (result.noData ? "❌ no data" : "❌ fail")
                return ["`\(result.expression.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|"))`",
                        md(observed), verdict]
            })
        return lines.joined(separator: "\n") + "\n"
    }
    let checks = checks ?? report.checks
    if !checks.isEmpty {
        let failed = checks.filter { !$0.passed }.count
        lines.append("")
        lines.append(failed == 0
            ? "**Checks:** all \(checks.count) passed"
            : "**Checks:** \(failed) of \(checks.count) failed")
        lines.append("")
        lines += checks.map { "- \($0.passed ? "✅" : "❌") \(md($0.name)): \(md($0.message))" }
    }
    return lines.joined(separator: "\n") + "\n"
}

/// A GitHub-flavoured Markdown table: the first column left-aligned, the others right-aligned.
private func markdownTable(_ header: [String], _ rows: [[String]]) -> [String] {
    func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
    let rule = "| --- |" + String(repeating: " ---: |", count: max(0, header.count - 1))
    return [line(header), rule] + rows.map(line)
}

/// Text from outside the tool made inert in Markdown, wherever it sits inside a line: the
/// punctuation that marks up inline text (emphasis, code, links, strikethrough) is
/// backslash-escaped, as is `|` so it does not split a table cell; `<`, `>` and `&` become
/// entities (no HTML); line breaks and tabs become spaces. Text never starts a line, so
/// block markers (`#`, `-`, `>`) are left alone.
func md(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "\\", "`", "*", "_", "[", "]", "|", "~":
            escaped += "\\\(character)"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "&": escaped += "&amp;"
        case "\n", "\r", "\r\n", "\t": escaped += " "
        default: escaped.append(character)
        }
    }
    return escaped
}

private func millis(_ micros: Int64?) -> String {
    micros.map { fixed(Double($0) / 1000, 2) } ?? notMeasured
}

// MARK: - JUnit

/// The checks as JUnit XML, for CI test reporters: one `<testsuite>` (inside `<testsuites>`)
/// named after the run, one `<testcase>` per check, a `<failure>` in each failed one, and the
/// check's message as `<system-out>` of each passed one. The run's seed, start, duration, CSMS
/// and tool version are `<properties>`; warnings are the suite's `<system-err>`.
public func renderJUnit(report: RunReport, checks: [ReportCheck]) -> String {
    let failures = checks.filter { !$0.passed }.count
    let suite = "\(report.tool.name) run, seed \(report.seed)"
    let time = fixed(report.durationSeconds, 3)
    var lines = [
        #"<?xml version="1.0" encoding="UTF-8"?>"#,
        #"<testsuites name="\#(xml(report.tool.name))" tests="\#(checks.count)" failures="\#(failures)" "#
            + #"errors="0" time="\#(time)">"#,
        #"  <testsuite name="\#(xml(suite))" tests="\#(checks.count)" failures="\#(failures)" errors="0" "#
            + #"skipped="0" time="\#(time)">"#,
        "    <properties>",
    ]
    let properties = [
        ("seed", "\(report.seed)"), ("startedAt", report.startedAt),
        ("durationSeconds", fixed(report.durationSeconds, 3)), ("csms.url", report.csms.url),
        ("csms.embedded", "\(report.csms.embedded)"), ("tool.version", report.tool.version),
    ]
    for (name, value) in properties {
        lines.append(#"      <property name="\#(xml(name))" value="\#(xml(value))"/>"#)
    }
    lines.append("    </properties>")
    for check in checks {
        let opening = #"    <testcase classname="\#(xml(report.tool.name))" name="\#(xml(check.name))" time="0""#
        lines.append(opening + ">")
        if check.passed {
            lines.append("      <system-out>\(xml(check.message))</system-out>")
        } else {
            lines.append(#"      <failure message="\#(xml(check.message))" type="check failed">\#(xml(check.message))</failure>"#)
        }
        lines.append("    </testcase>")
    }
    if !report.warnings.isEmpty {
        lines.append("    <system-err>\(xml(report.warnings.joined(separator: "\n")))</system-err>")
    }
    lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return lines.joined(separator: "\n") + "\n"
}

/// Text safe in XML 1.0 character data and in double- or single-quoted attributes: the five
/// markup characters become entities, tab/LF/CR become character references (attribute
/// values would otherwise normalize them to spaces), and characters XML 1.0 forbids (other
/// C0 controls, U+FFFE, U+FFFF) become U+FFFD.
func xml(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&apos;"
        case "\t": escaped += "&#9;"
        case "\n": escaped += "&#10;"
        case "\r": escaped += "&#13;"
        case "\u{0}" ... "\u{1F}", "\u{FFFE}", "\u{FFFF}": escaped += "\u{FFFD}"
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}
