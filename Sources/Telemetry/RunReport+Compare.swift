import Foundation

/// How a new run's figures moved against a base run's, and whether any moved too far.
///
/// Built by ``RunReport/compare(to:maxRegression:)``; its JSON form (keys sorted) is what
/// `ocpp-fleet report compare --format json` prints, documented in docs/report-schema.md.
public struct ReportComparison: Sendable, Codable, Equatable {
    /// The largest relative rise allowed before a latency or client cost counts as a
    /// regression, as a fraction (`0.1` is 10 %).
    public var maxRegression: Double
    /// Every action either report sent, by action name.
    public var actions: [String: ActionDelta]
    /// The load generator's own cost.
    public var client: ClientDelta
    /// What regressed, in the order of the table: actions by name, then the client.
    public var regressions: [Regression]

    /// True when nothing regressed.
    public var passed: Bool { regressions.isEmpty }

    public init(maxRegression: Double, actions: [String: ActionDelta], client: ClientDelta, regressions: [Regression]) {
        self.maxRegression = maxRegression
        self.actions = actions
        self.client = client
        self.regressions = regressions
    }

    /// One figure in both reports. Nil `base` or `new`: not measured in that report.
    public struct Delta: Sendable, Codable, Equatable {
        public var base: Double?
        public var new: Double?
        /// `(new − base) / base`; `0` when both are zero; nil when either is not measured or
        /// the base is zero and the new value is not (an infinite rise).
        public var change: Double?
        /// Whether this figure breaks the comparison's rule for it.
        public var regressed: Bool

        public init(base: Double?, new: Double?, regressed: Bool = false) {
            self.base = base
            self.new = new
            self.regressed = regressed
            if let base, let new {
                if base != 0 {
                    change = (new - base) / abs(base)
                } else {
                    change = new == 0 ? 0 : nil
                }
            } else {
                change = nil
            }
        }
    }

    /// One action's figures. A counter of an action one report never sent counts as 0
    /// there; its latencies are not measured.
    public struct ActionDelta: Sendable, Codable, Equatable {
        /// CALL → CALLRESULT latency, 50th percentile, µs.
        public var p50Micros: Delta
        /// CALL → CALLRESULT latency, 99th percentile, µs.
        public var p99Micros: Delta
        public var sent: Delta
        public var callErrors: Delta
        public var timeouts: Delta

        public init(p50Micros: Delta, p99Micros: Delta, sent: Delta, callErrors: Delta, timeouts: Delta) {
            self.p50Micros = p50Micros
            self.p99Micros = p99Micros
            self.sent = sent
            self.callErrors = callErrors
            self.timeouts = timeouts
        }
    }

    /// The load generator's cost per unit of work.
    public struct ClientDelta: Sendable, Codable, Equatable {
        public var cpuMicrosPerCall: Delta
        public var rssBytesPerChargePoint: Delta

        public init(cpuMicrosPerCall: Delta, rssBytesPerChargePoint: Delta) {
            self.cpuMicrosPerCall = cpuMicrosPerCall
            self.rssBytesPerChargePoint = rssBytesPerChargePoint
        }
    }

    /// One figure that regressed.
    public struct Regression: Sendable, Codable, Equatable {
        /// The action name, or `"client"`.
        public var subject: String
        /// The key of the figure in ``ActionDelta`` or ``ClientDelta`` (`"p99Micros"`).
        public var metric: String
        /// A sentence for people: what moved, from what to what.
        public var message: String

        public init(subject: String, metric: String, message: String) {
            self.subject = subject
            self.metric = metric
            self.message = message
        }
    }
}

extension RunReport {
    /// Compares `new` against this report, the base.
    ///
    /// A figure regresses when:
    /// - a latency (p50, p99) or client cost (CPU µs per call, RSS bytes per charge point),
    ///   measured in both reports with a non-zero base, rose by more than `maxRegression`
    ///   (a fraction: `0.1` allows 10 %);
    /// - CALLERRORs or timeouts of an action were zero in the base and are not in `new`.
    ///
    /// Figures absent from either report are shown but never regress; `sent` never regresses.
    /// Comparing a report with itself passes at any non-negative threshold.
    public func compare(to new: RunReport, maxRegression: Double) -> ReportComparison {
        var regressions: [ReportComparison.Regression] = []
        var actionDeltas: [String: ReportComparison.ActionDelta] = [:]
        let names = Set(actions.keys).union(new.actions.keys).sorted()
        for name in names {
            let base = actions[name]
            let next = new.actions[name]
            func latency(_ metric: String, _ value: KeyPath<LatencySummary, Int64>) -> ReportComparison.Delta {
                cost(
                    subject: name, metric: metric,
                    base: (base?.latencyMicros?[keyPath: value]).map(Double.init),
                    new: (next?.latencyMicros?[keyPath: value]).map(Double.init),
                    maxRegression: maxRegression, unit: .micros, regressions: &regressions)
            }
            func failures(_ metric: String, _ value: KeyPath<Action, Int>) -> ReportComparison.Delta {
                riseFromZero(
                    subject: name, metric: metric,
                    base: base?[keyPath: value] ?? 0, new: next?[keyPath: value] ?? 0, regressions: &regressions)
            }
            actionDeltas[name] = ReportComparison.ActionDelta(
                p50Micros: latency("p50Micros", \.p50),
                p99Micros: latency("p99Micros", \.p99),
                sent: ReportComparison.Delta(base: Double(base?.sent ?? 0), new: Double(next?.sent ?? 0)),
                callErrors: failures("callErrors", \.callErrors),
                timeouts: failures("timeouts", \.timeouts))
        }
        let clientDelta = ReportComparison.ClientDelta(
            cpuMicrosPerCall: cost(
                subject: "client", metric: "cpuMicrosPerCall",
                base: client.cpuMicrosPerCall, new: new.client.cpuMicrosPerCall,
                maxRegression: maxRegression, unit: .cpuMicros, regressions: &regressions),
            rssBytesPerChargePoint: cost(
                subject: "client", metric: "rssBytesPerChargePoint",
                base: client.rssBytesPerChargePoint.map(Double.init), new: new.client.rssBytesPerChargePoint.map(Double.init),
                maxRegression: maxRegression, unit: .bytes, regressions: &regressions))
        return ReportComparison(
            maxRegression: maxRegression, actions: actionDeltas, client: clientDelta, regressions: regressions)
    }
}

/// How a compared figure reads in a regression sentence.
private enum CostUnit {
    case micros, cpuMicros, bytes

    func format(_ value: Double) -> String {
        switch self {
        case .micros: "\(fixed(value / 1000, 2)) ms"
        case .cpuMicros: "\(fixed(value, 2)) µs"
        case .bytes: "\(fixed(value / 1024, 2)) KiB"
        }
    }
}

/// A figure where higher is worse: regressed when it rose by more than `maxRegression`.
private func cost(
    subject: String, metric: String, base: Double?, new: Double?, maxRegression: Double, unit: CostUnit,
    regressions: inout [ReportComparison.Regression]
) -> ReportComparison.Delta {
    var delta = ReportComparison.Delta(base: base, new: new)
    if let base, let new, base > 0, let change = delta.change, change > maxRegression {
        delta.regressed = true
        regressions.append(.init(
            subject: subject, metric: metric,
            message: "\(subject) \(metricLabel(metric)) rose \(fixed(change * 100, 1))% "
                + "(\(unit.format(base)) → \(unit.format(new))), more than \(percentLimit(maxRegression))"))
    }
    return delta
}

/// A count that must stay zero once it was zero: regressed when it rose from zero.
private func riseFromZero(
    subject: String, metric: String, base: Int, new: Int, regressions: inout [ReportComparison.Regression]
) -> ReportComparison.Delta {
    var delta = ReportComparison.Delta(base: Double(base), new: Double(new))
    if base == 0, new > 0 {
        delta.regressed = true
        regressions.append(.init(
            subject: subject, metric: metric, message: "\(subject) \(metricLabel(metric)) rose from 0 to \(new)"))
    }
    return delta
}

private func metricLabel(_ metric: String) -> String {
    switch metric {
    case "p50Micros": "p50 latency"
    case "p99Micros": "p99 latency"
    case "callErrors": "CALLERRORs"
    case "cpuMicrosPerCall": "CPU per call"
    case "rssBytesPerChargePoint": "RSS per charge point"
    default: metric
    }
}

/// A relative change as a signed percentage with one decimal: `0.2` → `"+20.0%"`.
public func percentChange(_ change: Double) -> String {
    (change > 0 ? "+" : change < 0 ? "-" : "") + fixed(abs(change) * 100, 1) + "%"
}

/// A threshold fraction as a percentage without needless decimals: `0.1` → `"10%"`, `0.125` → `"12.5%"`.
public func percentLimit(_ fraction: Double) -> String {
    var text = fixed(fraction * 100, 2)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text + "%"
}
