/// A pass/fail criterion on a run's figures, written k6-style as one expression:
/// `latency.p99{action=StartTransaction} < 800ms`, `errors.rate < 0.1%`, `timeouts == 0`.
///
/// Grammar (docs/thresholds.md), spaces allowed between the parts:
///
/// ```
/// threshold := metric [ "{" label "=" value { "," label "=" value } "}" ] comparison number [ unit ]
/// metric    := one of ``ThresholdMetric/allCases``' names, e.g. latency.p99, errors.rate
/// comparison:= "<" | "<=" | ">" | ">=" | "==" | "!="
/// number    := digits [ "." digits ]
/// unit      := us | µs | ms | s | m  (durations) · % (ratios) · B | KiB | MiB | GiB (bytes)
/// ```
///
/// The limit is kept in the metric's base unit: microseconds, a fraction (`0.1%` → 0.001),
/// a count, bytes, or 0/1 for a flag.
public struct Threshold: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The expression as written, without surrounding spaces.
    public var expression: String
    public var metric: ThresholdMetric
    /// `{action=…}`: only this action (CALLs of the charge points, or CSMS CALLs for `incoming.*`).
    public var action: String?
    /// `{code=…}`: only CALLERRORs with this error code.
    public var code: String?
    /// `{reason=…}`: only connect failures with this reason.
    public var reason: String?
    /// `{kind=…}`: only backend protocol faults of this kind (`lateAnswer`, …).
    public var kind: String? = nil
    public var comparison: Comparison
    /// In the metric's base unit (``ThresholdMetric/Kind``).
    public var limit: Double

    public var description: String { expression }

    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        public func holds(_ observed: Double, _ limit: Double) -> Bool {
            switch self {
            case .less: observed < limit
            case .lessOrEqual: observed <= limit
            case .greater: observed > limit
            case .greaterOrEqual: observed >= limit
            case .equal: observed == limit
            case .notEqual: observed != limit
            }
        }
    }

    /// Parses one expression; the error's column counts from 1 in `text`.
    public static func parse(_ text: String) throws(ThresholdParseError) -> Threshold {
        var parser = ThresholdParser(text)
        return try parser.parse()
    }
}

/// Where and why a threshold expression does not parse; `column` counts Unicode scalars from 1.
public struct ThresholdParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var column: Int
    public var message: String

    public init(column: Int, message: String) {
        self.column = column
        self.message = message
    }

    public var description: String { "column \(column): \(message)" }
}

/// What a threshold measures. Each has a name (as written), a kind (its unit) and the labels it accepts.
public enum ThresholdMetric: String, Sendable, Hashable, CaseIterable {
    case latencyP50 = "latency.p50", latencyP75 = "latency.p75", latencyP90 = "latency.p90"
    case latencyP95 = "latency.p95", latencyP99 = "latency.p99", latencyP999 = "latency.p999"
    case latencyMax = "latency.max", latencyMean = "latency.mean"
    case sent, completed, callErrors, timeouts, errors
    case errorRate = "errors.rate"
    case incomingReceived = "incoming.received", incomingCallErrors = "incoming.callErrors"
    case connected
    case connectedRatio = "connected.ratio"
    case connectFailures
    case bootAccepted = "boot.accepted"
    case bootAcceptedRatio = "boot.accepted.ratio"
    case transactionsStarted = "transactions.started", transactionsStopped = "transactions.stopped"
    case cpuPerCall = "client.cpuPerCall"
    case rssPerChargePoint = "client.rssPerChargePoint"
    case cpuUtilization = "client.cpuUtilization"
    case saturated
    /// Soak metrics, read from the time series after a warm-up (``TimeSeries/drift(of:)``):
    /// RSS growth as a fraction, and the growth of open file descriptors and open transactions.
    case rssGrowth = "client.rssGrowth"
    case fdGrowth = "client.fdGrowth"
    case openTransactionsGrowth = "transactions.openGrowth"
    /// The backend's protocol faults (`backendFaults` in the report), optionally of one `kind`.
    case backendFaults
    /// Transaction messages given up (`transactions.messages.dropped`), optionally for one `reason`.
    case transactionMessagesDropped = "transactions.messagesDropped"
    /// Reconnects, and the time from a lost connection to the next (the reconnect spread).
    case reconnects
    case reconnectP50 = "reconnect.p50", reconnectP90 = "reconnect.p90", reconnectP99 = "reconnect.p99"
    case reconnectMax = "reconnect.max"

    /// The unit a metric is measured in, which decides the units its limit may carry.
    public enum Kind: String, Sendable {
        /// Microseconds; limits need a unit: `us`, `µs`, `ms`, `s`, `m`.
        case duration = "µs"
        /// A fraction from 0 to 1; limits as `0.1%` or `0.001`.
        case ratio
        /// A number of things; limits without a unit.
        case count
        /// Bytes; limits as `B`, `KiB`, `MiB`, `GiB`, or without a unit.
        case bytes
        /// 1 (true) or 0 (false).
        case flag
    }

    public var name: String { rawValue }

    public var kind: Kind {
        switch self {
        case .latencyP50, .latencyP75, .latencyP90, .latencyP95, .latencyP99, .latencyP999, .latencyMax,
             .latencyMean, .cpuPerCall, .reconnectP50, .reconnectP90, .reconnectP99, .reconnectMax:
            .duration
        case .errorRate, .connectedRatio, .bootAcceptedRatio, .cpuUtilization, .rssGrowth: .ratio
        case .fdGrowth, .openTransactionsGrowth: .count
        case .sent, .completed, .callErrors, .timeouts, .errors, .incomingReceived, .incomingCallErrors, .connected,
             .connectFailures, .bootAccepted, .transactionsStarted, .transactionsStopped, .backendFaults,
             .transactionMessagesDropped, .reconnects:
            .count
        case .rssPerChargePoint: .bytes
        case .saturated: .flag
        }
    }

    /// The labels `{…}` this metric accepts.
    public var labels: [String] {
        switch self {
        case .latencyP50, .latencyP75, .latencyP90, .latencyP95, .latencyP99, .latencyP999, .latencyMax,
             .latencyMean, .sent, .completed, .timeouts, .errors, .errorRate, .incomingReceived:
            ["action"]
        case .callErrors, .incomingCallErrors: ["action", "code"]
        case .connectFailures, .transactionMessagesDropped: ["reason"]
        case .backendFaults: ["kind"]
        case .connected, .connectedRatio, .bootAccepted, .bootAcceptedRatio, .transactionsStarted,
             .transactionsStopped, .cpuPerCall, .rssPerChargePoint, .cpuUtilization, .saturated, .rssGrowth,
             .fdGrowth, .openTransactionsGrowth, .reconnects, .reconnectP50, .reconnectP90, .reconnectP99, .reconnectMax:
            []
        }
    }

    /// The percentile (0…100) a latency metric reads, nil for max, mean and the other metrics.
    var percentile: Double? {
        switch self {
        case .latencyP50, .reconnectP50: 50
        case .latencyP75: 75
        case .latencyP90, .reconnectP90: 90
        case .latencyP95: 95
        case .latencyP99, .reconnectP99: 99
        case .latencyP999: 99.9
        default: nil
        }
    }
}

/// A hand-written scanner over the expression's Unicode scalars, so errors point at a column.
struct ThresholdParser {
    let scalars: [Unicode.Scalar]
    let text: String
    var position = 0

    init(_ text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
    }

    private func error(_ message: String, at index: Int? = nil) -> ThresholdParseError {
        ThresholdParseError(column: (index ?? position) + 1, message: message)
    }

    private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func skipSpaces() {
        while let scalar = current, scalar == " " || scalar == "\t" { position += 1 }
    }

    private mutating func take(while predicate: (Unicode.Scalar) -> Bool) -> String {
        var taken = String.UnicodeScalarView()
        while let scalar = current, predicate(scalar) {
            taken.append(scalar)
            position += 1
        }
        return String(taken)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.properties.isAlphabetic && scalar.isASCII) || ("0" ... "9").contains(scalar) || scalar == "." || scalar == "_"
    }

    mutating func parse() throws(ThresholdParseError) -> Threshold {
        skipSpaces()
        guard current != nil else { throw error("empty threshold; write e.g. latency.p99 < 800ms") }
        let nameStart = position
        let name = take(while: Self.isNameScalar)
        guard !name.isEmpty else {
            throw error("expected a metric name such as latency.p99, errors.rate or timeouts")
        }
        guard let metric = ThresholdMetric(rawValue: name) else {
            let names = ThresholdMetric.allCases.map(\.name)
            if let guess = closest(to: name, among: names) {
                throw error("unknown metric '\(name)'; did you mean '\(guess)'?", at: nameStart)
            }
            throw error("unknown metric '\(name)'; known metrics: \(names.joined(separator: ", "))", at: nameStart)
        }
        skipSpaces()
        var labels: [String: String] = [:]
        if current == "{" {
            labels = try parseLabels(for: metric)
            skipSpaces()
        }
        let comparison = try parseComparison()
        skipSpaces()
        let limit = try parseLimit(for: metric)
        skipSpaces()
        if current != nil {
            throw error("unexpected '\(String(scalars[position...].map(Character.init)))' after the limit")
        }
        return Threshold(
            expression: text.trimmingSpaces(), metric: metric, action: labels["action"], code: labels["code"],
            reason: labels["reason"], kind: labels["kind"], comparison: comparison, limit: limit)
    }

    private mutating func parseLabels(for metric: ThresholdMetric) throws(ThresholdParseError) -> [String: String] {
        let open = position
        position += 1  // "{"
        var labels: [String: String] = [:]
        while true {
            skipSpaces()
            let keyStart = position
            let key = take(while: Self.isNameScalar)
            guard !key.isEmpty else { throw error("expected a label name such as action") }
            guard metric.labels.contains(key) else {
                let accepted = metric.labels.isEmpty
                    ? "\(metric.name) takes no labels"
                    : "\(metric.name) accepts: \(metric.labels.joined(separator: ", "))"
                throw error("unknown label '\(key)'; \(accepted)", at: keyStart)
            }
            guard labels[key] == nil else { throw error("label '\(key)' given twice", at: keyStart) }
            skipSpaces()
            guard current == "=" else { throw error("expected '=' after the label '\(key)'") }
            position += 1
            skipSpaces()
            let valueStart = position
            let value = take { $0 != "," && $0 != "}" }.trimmingSpaces()
            guard !value.isEmpty else { throw error("label '\(key)' needs a value", at: valueStart) }
            labels[key] = value
            guard let separator = current else { throw error("'{' at column \(open + 1) is never closed") }
            position += 1
            if separator == "}" { return labels }
        }
    }

    private mutating func parseComparison() throws(ThresholdParseError) -> Threshold.Comparison {
        let start = position
        let symbol = take { "<>=!".unicodeScalars.contains($0) }
        guard let comparison = Threshold.Comparison(rawValue: symbol) else {
            let got = symbol.isEmpty ? (current.map { "'\(Character($0))'" } ?? "the end") : "'\(symbol)'"
            throw error("expected a comparison (<, <=, >, >=, ==, !=), got \(got)", at: start)
        }
        return comparison
    }

    private mutating func parseLimit(for metric: ThresholdMetric) throws(ThresholdParseError) -> Double {
        let start = position
        let digits = take { ("0" ... "9").contains($0) || $0 == "." }
        guard !digits.isEmpty else {
            throw error("expected a number after the comparison\(Self.example(metric.kind))", at: start)
        }
        guard digits.first != ".", digits.last != ".", digits.filter({ $0 == "." }).count <= 1,
              let number = Double(digits), number.isFinite
        else { throw error("'\(digits)' is not a number", at: start) }
        let unitStart = position
        let unit = take { !($0 == " " || $0 == "\t") }
        switch metric.kind {
        case .duration:
            let micros: Double? = switch unit {
            case "us", "µs", "μs": 1
            case "ms": 1_000
            case "s": 1_000_000
            case "m": 60_000_000
            default: nil
            }
            guard let micros else {
                if unit.isEmpty {
                    throw error("\(metric.name) is a duration: add a unit (us, ms, s, m), e.g. \(digits)ms", at: unitStart)
                }
                throw error("unknown duration unit '\(unit)'; use us, ms, s or m", at: unitStart)
            }
            return number * micros
        case .ratio:
            switch unit {
            case "%":
                return number / 100
            case "":
                guard number <= 1 else {
                    throw error("\(metric.name) is a ratio: write a percentage (\(digits)%) or a fraction from 0 to 1",
                                at: start)
                }
                return number
            default:
                throw error("\(metric.name) is a ratio: the only unit is %, got '\(unit)'", at: unitStart)
            }
        case .count:
            guard unit.isEmpty else {
                throw error("\(metric.name) is a count and takes no unit, got '\(unit)'", at: unitStart)
            }
            return number
        case .bytes:
            guard let factor = ByteSize.factor(of: unit) else {
                throw error("unknown size unit '\(unit)'; use B, KiB, MiB or GiB", at: unitStart)
            }
            return number * Double(factor)
        case .flag:
            guard unit.isEmpty, number == 0 || number == 1 else {
                throw error("\(metric.name) is 1 (true) or 0 (false): write \(metric.name) == 0", at: start)
            }
            return number
        }
    }

    private static func example(_ kind: ThresholdMetric.Kind) -> String {
        switch kind {
        case .duration: ", e.g. 800ms"
        case .ratio: ", e.g. 0.1%"
        case .count, .flag: ", e.g. 0"
        case .bytes: ", e.g. 8KiB"
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
