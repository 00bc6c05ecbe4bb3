import Foundation

/// The verdict of one ``Threshold`` on one report, as report.json's `thresholds` array holds it.
///
/// `observed` is absent when the run did not measure the metric (an action that never ran, a
/// client figure that could not be read): such a threshold fails with a "no data" message and
/// never shows a number.
public struct ThresholdResult: Sendable, Codable, Equatable {
    /// The expression as written.
    public var expression: String
    /// The measured value in the metric's base unit (``unit``); absent when there was no data.
    public var observed: Double?
    /// `"µs"`, `"ratio"` (0…1), `"count"`, `"bytes"` or `"flag"` (0 or 1).
    public var unit: String
    public var passed: Bool
    /// A sentence for people: what was measured against what, or why there was no data.
    public var message: String

    public init(expression: String, observed: Double?, unit: String, passed: Bool, message: String) {
        self.expression = expression
        self.observed = observed
        self.unit = unit
        self.passed = passed
        self.message = message
    }

    /// Whether the metric had no data (and so the threshold failed).
    public var noData: Bool { observed == nil }
}

extension Threshold {
    /// Evaluates this threshold against `report`: the observed value, whether it holds, and a sentence.
    public func evaluate(on report: RunReport) -> ThresholdResult {
        let unit = metric.kind.rawValue
        switch observe(report) {
        case let .noData(why):
            return ThresholdResult(expression: expression, observed: nil, unit: unit, passed: false,
                                   message: "no data: \(why)")
        case let .value(observed, subject):
            let passed = comparison.holds(observed, limit)
            let shown = metric.kind.format(observed)
            let about = subject.map { " (\($0))" } ?? ""
            let verdict = passed ? "holds" : "violated"
            return ThresholdResult(
                expression: expression, observed: observed, unit: unit, passed: passed,
                message: "\(metric.name)\(about) = \(shown), \(verdict): must be \(comparison.rawValue) \(metric.kind.format(limit))")
        }
    }

    private enum Observation {
        case value(Double, subject: String?)
        case noData(String)
    }

    /// The actions a per-action metric looks at: the one named, or all that were sent.
    private enum Selection {
        case actions([(String, RunReport.Action)])
        case missing(String)
    }

    private func selectedActions(_ report: RunReport) -> Selection {
        if let action {
            guard let stats = report.actions[action] else { return .missing("the charge points never sent \(action)") }
            return .actions([(action, stats)])
        }
        return .actions(report.actions.sorted { $0.key < $1.key })
    }

    private func observe(_ report: RunReport) -> Observation {
        switch metric {
        case .latencyP50, .latencyP75, .latencyP90, .latencyP95, .latencyP99, .latencyP999, .latencyMax, .latencyMean:
            return observeLatency(report)
        case .sent, .completed, .callErrors, .timeouts, .errors, .errorRate:
            return observeCalls(report)
        case .incomingReceived, .incomingCallErrors:
            let selected: [RunReport.Incoming]
            if let action {
                guard let stats = report.incoming[action] else { return .noData("the CSMS never sent \(action)") }
                selected = [stats]
            } else {
                selected = Array(report.incoming.values)
            }
            if metric == .incomingReceived { return .value(Double(selected.reduce(0) { $0 + $1.received }), subject: action) }
            let errors = selected.reduce(0) { total, stats in
                total + (code.map { stats.callErrorsByCode[$0] ?? 0 } ?? stats.callErrors)
            }
            return .value(Double(errors), subject: action)
        case .connected:
            return .value(Double(report.chargePoints.connected), subject: nil)
        case .connectedRatio:
            guard report.chargePoints.configured > 0 else { return .noData("no charge point was configured") }
            return .value(Double(report.chargePoints.connected) / Double(report.chargePoints.configured),
                          subject: "\(report.chargePoints.connected) of \(report.chargePoints.configured)")
        case .connectFailures:
            let failures = report.chargePoints.connectFailures
            return .value(Double(reason.map { failures[$0] ?? 0 } ?? failures.values.reduce(0, +)), subject: reason)
        case .bootAccepted:
            return .value(Double(report.chargePoints.bootAccepted), subject: nil)
        case .backendFaults:
            guard let faults = report.backendFaults else {
                return .noData("the report predates protocol-fault counting (schema 1.2)")
            }
            return .value(Double(kind.map { faults[$0] ?? 0 } ?? faults.values.reduce(0, +)), subject: kind)
        case .transactionMessagesDropped:
            guard let dropped = report.transactions.messages?.dropped else {
                return .noData("the report predates transaction-message counting (schema 1.3)")
            }
            return .value(Double(reason.map { dropped[$0] ?? 0 } ?? dropped.values.reduce(0, +)), subject: reason)
        case .bootAcceptedRatio:
            let points = report.chargePoints
            guard points.configured > 0 else { return .noData("no charge point was configured") }
            return .value(Double(points.bootAccepted) / Double(points.configured),
                          subject: "\(points.bootAccepted) of \(points.configured) charge points")
        case .transactionsStarted:
            return .value(Double(report.transactions.started), subject: nil)
        case .transactionsStopped:
            return .value(Double(report.transactions.stopped), subject: nil)
        case .cpuPerCall:
            guard let value = report.client.cpuMicrosPerCall else { return .noData("the client's CPU per call was not measured") }
            return .value(value, subject: nil)
        case .rssPerChargePoint:
            guard let value = report.client.rssBytesPerChargePoint else {
                return .noData("the client's RSS per charge point was not measured")
            }
            return .value(Double(value), subject: nil)
        case .cpuUtilization:
            guard let value = report.client.cpuUtilization else { return .noData("the client's CPU use was not measured") }
            return .value(value, subject: nil)
        case .saturated:
            guard let saturated = report.saturated else { return .noData("the report does not say (written by an older version)") }
            return .value(saturated ? 1 : 0, subject: nil)
        case .rssGrowth, .fdGrowth, .openTransactionsGrowth:
            let read: (TimeSeries.Point) -> Int? = switch metric {
            case .rssGrowth: { $0.rssBytes }
            case .fdGrowth: { $0.openFileDescriptors }
            default: { $0.openTransactions }
            }
            guard let drift = report.timeSeries?.drift(of: read) else {
                return .noData("fewer than \(TimeSeries.driftMinimumPoints) seconds of samples after the warm-up")
            }
            if metric == .rssGrowth {
                guard drift.start > 0 else { return .noData("no RSS after the warm-up") }
                return .value((drift.end - drift.start) / drift.start,
                              subject: "\(Int(drift.start) / 1024) KiB → \(Int(drift.end) / 1024) KiB")
            }
            return .value(drift.end - drift.start, subject: "\(Int(drift.start)) → \(Int(drift.end))")
        }
    }

    private func observeCalls(_ report: RunReport) -> Observation {
        let selected: [(String, RunReport.Action)]
        switch selectedActions(report) {
        case let .actions(actions): selected = actions
        case let .missing(why): return .noData(why)
        }
        func total(_ figure: (RunReport.Action) -> Int) -> Int { selected.reduce(0) { $0 + figure($1.1) } }
        let errorsOfCode: (RunReport.Action) -> Int = { stats in
            self.code.map { stats.callErrorsByCode[$0] ?? 0 } ?? stats.callErrors
        }
        switch metric {
        case .sent: return .value(Double(total(\.sent)), subject: action)
        case .completed: return .value(Double(total(\.completed)), subject: action)
        case .callErrors:
            let subject = [action, code].compactMap(\.self).joined(separator: ", ")
            return .value(Double(total(errorsOfCode)), subject: subject.isEmpty ? nil : subject)
        case .timeouts: return .value(Double(total(\.timeouts)), subject: action)
        case .errors: return .value(Double(total { $0.callErrors + $0.timeouts }), subject: action)
        default:  // .errorRate
            let sent = total(\.sent)
            guard sent > 0 else { return .noData(action.map { "no \($0) was sent" } ?? "no CALL was sent") }
            let errors = total { $0.callErrors + $0.timeouts }
            return .value(Double(errors) / Double(sent), subject: "\(errors) of \(sent) CALLs")
        }
    }

    /// The statistic of one action, or the worst (largest) over all actions that have one.
    private func observeLatency(_ report: RunReport) -> Observation {
        let selected: [(String, RunReport.Action)]
        switch selectedActions(report) {
        case let .actions(actions): selected = actions
        case let .missing(why): return .noData(why)
        }
        var worst: (value: Double, action: String)?
        for (name, stats) in selected {
            guard let value = latencyStatistic(stats) else { continue }
            if value > worst?.value ?? -1 { worst = (value, name) }
        }
        guard let worst else {
            return .noData(action.map { "no \($0) was answered with a CALLRESULT" } ?? "no CALL was answered with a CALLRESULT")
        }
        return .value(worst.value, subject: action == nil ? "worst: \(worst.action)" : worst.action)
    }

    private func latencyStatistic(_ stats: RunReport.Action) -> Double? {
        if let text = stats.histogram, let histogram = try? LatencyHistogram(encoded: text), !histogram.isEmpty {
            if let percentile = metric.percentile { return histogram.value(atPercentile: percentile).map(Double.init) }
            return metric == .latencyMax ? histogram.max.map(Double.init) : histogram.mean
        }
        // A report without histograms (hand-written, or cut down): only the summary's own figures.
        guard let summary = stats.latencyMicros else { return nil }
        return switch metric {
        case .latencyP50: Double(summary.p50)
        case .latencyP90: Double(summary.p90)
        case .latencyP99: Double(summary.p99)
        case .latencyP999: Double(summary.p999)
        case .latencyMax: Double(summary.max)
        case .latencyMean: summary.mean
        default: nil
        }
    }
}

extension ThresholdMetric.Kind {
    /// A value in this kind's base unit for people: `812.31 ms`, `0.05%`, `12`, `4.61 KiB`, `true`.
    public func format(_ value: Double) -> String {
        switch self {
        case .duration:
            if value >= 1_000_000 { return "\(trimmed(value / 1_000_000)) s" }
            if value >= 1_000 { return "\(trimmed(value / 1_000)) ms" }
            return "\(trimmed(value)) µs"
        case .ratio: return "\(trimmed(value * 100))%"
        case .count: return trimmed(value)
        case .bytes:
            if value >= 1_048_576 { return "\(trimmed(value / 1_048_576)) MiB" }
            if value >= 1024 { return "\(trimmed(value / 1024)) KiB" }
            return "\(trimmed(value)) B"
        case .flag: return value != 0 ? "1 (true)" : "0 (false)"
        }
    }
}

/// Up to three decimals, trailing zeros dropped: `812.3`, `0.05`, `12`.
func trimmed(_ value: Double) -> String {
    var text = String(format: "%.3f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

extension RunReport {
    /// Evaluates `thresholds` (duplicates by expression dropped) and stores the results in
    /// ``thresholds``; returns whether all of them held.
    @discardableResult
    public mutating func applyThresholds(_ thresholds: [Threshold]) -> Bool {
        var seen = Set<String>()
        let unique = thresholds.filter { seen.insert($0.expression).inserted }
        let results = unique.map { $0.evaluate(on: self) }
        self.thresholds = results.isEmpty ? nil : results
        return results.allSatisfy(\.passed)
    }

    /// The checks a report is held to: its thresholds when it has any, else ``defaultChecks``.
    public var checks: [ReportCheck] {
        guard let thresholds, !thresholds.isEmpty else { return defaultChecks }
        return thresholds.map { (name: $0.expression, passed: $0.passed, message: $0.message) }
    }
}
