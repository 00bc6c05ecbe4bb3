import ArgumentParser
import Foundation
import Telemetry

/// `ocpp-fleet report merge|compare|summary`: work on report.json files after the runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Merge, compare, summarize and render run reports (report.json).",
        discussion: """
            Exit codes: 0 success; 1 a regression or a failed check (or the output could not be \
            written); 2 bad command line or an input that is not a readable report of this schema \
            version.
            """,
        subcommands: [Merge.self, Compare.self, Summary.self, HTML.self])

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge shard reports into one: counters add, histograms merge exactly.",
            discussion: """
                Percentiles are recomputed from the merged histograms, never averaged; \
                chargePoints.connected becomes the sum of the shards' peaks. Reports of shards \
                (run --shard) are checked: a shard missing or merged twice is a warning. See \
                docs/report-schema.md, "Merging shard reports".
                """)

        @Argument(help: "The reports to merge (report.json files).")
        var reports: [String]

        @Option(name: [.short, .customLong("output")], help: "File to write the merged report to (default: stdout).")
        var output: String?

        func validate() throws {
            if reports.isEmpty { throw ValidationError("give at least one report to merge") }
        }

        func run() throws {
            let merged = try mergedReport()
            let data: Data
            do {
                data = try merged.jsonData()
            } catch {
                printError("ocpp-fleet: cannot encode the merged report: \(error)")
                throw Exit(code: ExitStatus.failedRun)
            }
            guard let output else {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            do {
                try data.write(to: URL(fileURLWithPath: output))
            } catch {
                printError("ocpp-fleet: cannot write \(output): \(error.localizedDescription)")
                throw Exit(code: ExitStatus.failedRun)
            }
            printError("merged \(reports.count) report(s) into \(output)")
        }

        /// The inputs merged in order, with ``RunReport/merge(_:)``; exit 2 naming the file
        /// that cannot be read or merged. A shard missing or given twice is a warning on
        /// stderr and in the merged report.
        func mergedReport() throws -> RunReport {
            var merged: RunReport?
            var shards: [Shard?] = []
            for path in reports {
                let report = try loadReportOrExit(path)
                shards.append(report.shard)
                guard merged != nil else {
                    merged = report
                    continue
                }
                do {
                    try merged!.merge(report)
                } catch {
                    printError("ocpp-fleet: \(path): \(error)")
                    throw Exit(code: ExitStatus.badInput)
                }
            }
            for warning in merged!.noteShardCoverage(shards) {  // validate() requires one report
                printError("ocpp-fleet: warning: \(warning)")
            }
            return merged!
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a new report against a base report; exit 1 on a regression.",
            discussion: """
                A regression is a p50 or p99 latency of an action, or the client's CPU µs per call \
                or RSS per charge point, rising by more than --max-regression; or CALLERRORs or \
                timeouts of an action rising from zero. Comparing a report with itself passes.
                """)

        @Argument(help: "The base report (report.json).")
        var base: String

        @Argument(help: "The new report (report.json).")
        var new: String

        @Option(help: "Largest allowed rise of a latency or client cost, in percent: 10%, 12.5%.")
        var maxRegression: Percentage = Percentage(fraction: 0.1)

        @Option(help: "Output: text (a table) or json (the comparison, keys as in docs/report-schema.md).")
        var format: CompareFormat = .text

        func run() throws {
            let (output, passed) = try comparison()
            print(output, terminator: "")
            if !passed { throw Exit(code: ExitStatus.failedRun) }
        }

        /// The rendered comparison and whether it passed; exit 2 on an unreadable input.
        func comparison() throws -> (output: String, passed: Bool) {
            let baseReport = try loadReportOrExit(base)
            let newReport = try loadReportOrExit(new)
            let result = baseReport.compare(to: newReport, maxRegression: maxRegression.fraction)
            switch format {
            case .text:
                return (renderComparison(result, base: (base, baseReport), new: (new, newReport)), result.passed)
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                let data = try encoder.encode(result)
                return (String(decoding: data, as: UTF8.self) + "\n", result.passed)
            }
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a report as Markdown (a CI job summary) or JUnit XML; exit 1 if a check fails.",
            discussion: """
                The checks are the report's thresholds when the run had any (docs/thresholds.md); \
                otherwise: every charge point connected, every boot accepted, no CALL timed out, \
                no CALLERRORs for each action, every transaction started was stopped.
                """)

        @Argument(help: "The report (report.json).")
        var report: String

        @Option(help: "Output: markdown or junit.")
        var format: SummaryFormat = .markdown

        func run() throws {
            let (output, passed) = try summary()
            print(output, terminator: "")
            if !passed { throw Exit(code: ExitStatus.failedRun) }
        }

        /// The rendered summary and whether every check passed; exit 2 on an unreadable input.
        func summary() throws -> (output: String, passed: Bool) {
            let loaded = try loadReportOrExit(report)
            let checks = loaded.checks
            let passed = checks.allSatisfy(\.passed)
            switch format {
            case .markdown: return (renderMarkdown(report: loaded, checks: checks), passed)
            case .junit: return (renderJUnit(report: loaded, checks: checks), passed)
            }
        }
    }
}

extension ReportCommand {
    struct HTML: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "html",
            abstract: "Render a report as one self-contained HTML page (charts inline, nothing fetched).",
            discussion: """
                The same page `run --report DIR` writes as report.html: verdict, thresholds, connections, \
                throughput and latency over time, errors, per-action table and the client's cost.
                """)

        @Argument(help: "The report (report.json).")
        var report: String

        @Option(name: [.short, .customLong("output")], help: "File to write the page to (default: stdout).")
        var output: String?

        func run() throws {
            let page = renderHTML(report: try loadReportOrExit(report))
            guard let output else {
                print(page, terminator: "")
                return
            }
            do {
                try Data(page.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                printError("ocpp-fleet: cannot write \(output): \(error.localizedDescription)")
                throw Exit(code: ExitStatus.failedRun)
            }
            printError("wrote \(output)")
        }
    }
}

enum CompareFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case markdown, junit
}

/// A non-negative percentage given as `10%`, `12.5%` or `10`, kept as a fraction (`0.1`).
struct Percentage: ExpressibleByArgument, Equatable {
    var fraction: Double

    init(fraction: Double) { self.fraction = fraction }

    init?(argument: String) {
        var text = argument.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("%") { text.removeLast() }
        guard let value = Double(text), value.isFinite, value >= 0 else { return nil }
        fraction = value / 100
    }

    var defaultValueDescription: String { percentLimit(fraction) }
}

// MARK: - Reading reports

/// Why a file is not a report this tool can read; the description names the file.
struct ReportInputError: Error, CustomStringConvertible, Equatable {
    var path: String
    var reason: String

    var description: String { "\(path): \(reason)" }
}

/// Reads a report, refusing anything but a run report of ``RunReport/currentSchemaVersion``.
func loadReport(_ path: String) throws(ReportInputError) -> RunReport {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
        throw ReportInputError(path: path, reason: reason)
    }
    struct Header: Decodable {
        var schemaVersion: Int?
    }
    let header: Header
    do {
        header = try JSONDecoder().decode(Header.self, from: data)
    } catch {
        throw ReportInputError(path: path, reason: "not a run report: not a JSON object")
    }
    guard let version = header.schemaVersion else {
        throw ReportInputError(path: path, reason: "not a run report: no schemaVersion")
    }
    guard version == RunReport.currentSchemaVersion else {
        throw ReportInputError(
            path: path,
            reason: "report schema version \(version); this ocpp-fleet reads version \(RunReport.currentSchemaVersion)")
    }
    do {
        return try RunReport.decode(from: data)
    } catch let error as DecodingError {
        throw ReportInputError(path: path, reason: "not a run report: \(brief(error))")
    } catch {
        throw ReportInputError(path: path, reason: "not a run report: \(error)")
    }
}

/// ``loadReport(_:)`` for commands: the reason on stderr, then exit 2.
private func loadReportOrExit(_ path: String) throws -> RunReport {
    do {
        return try loadReport(path)
    } catch {
        printError("ocpp-fleet: \(error)")
        throw Exit(code: ExitStatus.badInput)
    }
}

/// A decoding error in a few words with the JSON path it happened at.
private func brief(_ error: DecodingError) -> String {
    func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".")
    }
    switch error {
    case let .keyNotFound(key, context): return "missing \(path(context.codingPath + [key]))"
    case let .typeMismatch(_, context), let .valueNotFound(_, context): return "wrong type at \(path(context.codingPath))"
    case let .dataCorrupted(context): return "invalid value at \(path(context.codingPath))"
    @unknown default: return "\(error)"
    }
}

// MARK: - Comparison table

/// The comparison as aligned text: a row per action and figure, the client's cost, then the verdict.
func renderComparison(
    _ comparison: ReportComparison, base: (path: String, report: RunReport), new: (path: String, report: RunReport)
) -> String {
    var lines = [
        "base \(base.path): seed \(base.report.seed), started \(base.report.startedAt)",
        "new  \(new.path): seed \(new.report.seed), started \(new.report.startedAt)",
        "",
    ]
    typealias Row = (label: String, delta: ReportComparison.Delta, format: (Double) -> String)
    func count(_ value: Double) -> String { String(Int(value)) }
    func millis(_ value: Double) -> String { String(format: "%.2f", value / 1000) }
    var table = [["Action", "figure", "base", "new", "change", ""]]
    func add(_ subject: String, _ rows: [Row]) {
        for (index, row) in rows.enumerated() {
            table.append([
                index == 0 ? subject : "", row.label,
                row.delta.base.map(row.format) ?? "–", row.delta.new.map(row.format) ?? "–",
                changeText(row.delta), row.delta.regressed ? "REGRESSION" : "",
            ])
        }
    }
    for (name, delta) in comparison.actions.sorted(by: { $0.key < $1.key }) {
        add(name, [
            ("p50 ms", delta.p50Micros, millis), ("p99 ms", delta.p99Micros, millis),
            ("sent", delta.sent, count), ("CALLERRORs", delta.callErrors, count), ("timeouts", delta.timeouts, count),
        ])
    }
    add("Client", [
        ("CPU µs/call", comparison.client.cpuMicrosPerCall, { String(format: "%.2f", $0) }),
        ("RSS KiB/charge point", comparison.client.rssBytesPerChargePoint, { String(format: "%.2f", $0 / 1024) }),
    ])
    lines += alignColumns(table)
    lines.append("")
    let limit = percentLimit(comparison.maxRegression)
    if comparison.passed {
        lines.append("PASS: no regression beyond \(limit)")
    } else {
        let count = comparison.regressions.count
        lines.append("FAIL: \(count) regression\(count == 1 ? "" : "s") (max regression \(limit))")
        lines += comparison.regressions.map { "  \($0.message)" }
    }
    return lines.joined(separator: "\n") + "\n"
}

private func changeText(_ delta: ReportComparison.Delta) -> String {
    if let change = delta.change { return percentChange(change) }
    if delta.base == 0, let new = delta.new, new != 0 { return "from 0" }
    return "–"
}

/// Rows padded to common widths: the first two columns left-aligned, the others right-aligned
/// (the last, the marker, left-aligned); trailing spaces trimmed.
private func alignColumns(_ rows: [[String]]) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    let widths = (0 ..< columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        var line = ""
        for (column, cell) in row.enumerated() {
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            let leftAligned = column < 2 || column == columns - 1
            line += (column == 0 ? "" : "  ") + (leftAligned ? cell + padding : padding + cell)
        }
        while line.last == " " { line.removeLast() }
        return line
    }
}
