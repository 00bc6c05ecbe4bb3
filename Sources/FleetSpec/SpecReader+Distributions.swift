import Telemetry
import Yams

extension SpecReader {
    static let distributionKinds = ["uniform", "exponential", "normal", "lognormal", "choice", "empirical"]

    /// What a distribution's values measure, and so how they are written and bounded.
    enum Quantity {
        /// Durations, sampled as seconds; ≥ 0.
        case seconds
        /// Power in kW; > 0.
        case kilowatts
        /// Energy in kWh; > 0.
        case kilowattHours
        /// A meter register in Wh; ≥ 0.
        case wattHours
        /// A state of charge in %; 0...100.
        case percent

        var allowsZero: Bool {
            switch self {
            case .seconds, .wattHours, .percent: true
            case .kilowatts, .kilowattHours: false
            }
        }

        var upperBound: Double? { self == .percent ? 100 : nil }
    }

    /// A bare value (constant) or a one-key mapping naming the distribution.
    mutating func distribution(_ node: Node, _ path: String, _ quantity: Quantity) -> Distribution? {
        switch node {
        case .scalar:
            guard let value = value(node, path, quantity, allowZero: quantity.allowsZero) else { return nil }
            return .constant(value)
        case .mapping(let mapping):
            guard let fields = fields(node, path, allowed: Self.distributionKinds) else { return nil }
            if mapping.count == 0 {
                report(node, path, "must name a distribution: \(Self.distributionKinds.joined(separator: ", "))")
                return nil
            }
            guard let (kind, _, value) = fields.entries.first else { return nil }
            if fields.entries.count > 1 {
                report(fields.entries[1].keyNode, path,
                       "takes one distribution, got '\(kind)' and '\(fields.entries[1].key)'")
                return nil
            }
            return distribution(kind: kind, value, fields.child(kind), quantity)
        case .sequence, .alias:
            report(node, path, "must be a value or a distribution such as {uniform: [a, b]}, got \(Self.describe(node))")
            return nil
        }
    }

    private mutating func distribution(kind: String, _ node: Node, _ path: String, _ quantity: Quantity) -> Distribution? {
        let zero = quantity.allowsZero
        switch kind {
        case "uniform":
            guard case .sequence(let bounds) = node, bounds.count == 2 else {
                report(node, path, "must be a list of two values [low, high], got \(Self.describe(node))")
                return nil
            }
            let low = value(bounds[0], "\(path)[0]", quantity, allowZero: zero)
            let high = value(bounds[1], "\(path)[1]", quantity, allowZero: zero)
            guard let low, let high else { return nil }
            guard low <= high else {
                report(node, path, "low must not be above high, got [\(Self.text(of: bounds[0])), \(Self.text(of: bounds[1]))]")
                return nil
            }
            return .uniform(lower: low, upper: high)
        case "exponential":
            return value(node, path, quantity, allowZero: false).map { .exponential(mean: $0) }
        case "normal":
            guard let fields = fields(node, path, allowed: ["mean", "stddev"]) else { return nil }
            let mean = required(fields, "mean").flatMap {
                value($0, fields.child("mean"), quantity, allowZero: zero)
            }
            let stddev = required(fields, "stddev").flatMap {
                value($0, fields.child("stddev"), quantity, allowZero: true, bounded: false)
            }
            guard let mean, let stddev else { return nil }
            return .normal(mean: mean, stddev: stddev)
        case "lognormal":
            guard let fields = fields(node, path, allowed: ["median", "sigma"]) else { return nil }
            let median = required(fields, "median").flatMap {
                value($0, fields.child("median"), quantity, allowZero: false)
            }
            let sigma = required(fields, "sigma").flatMap { sigma -> Double? in
                guard let value = number(sigma, fields.child("sigma")) else { return nil }
                guard value >= 0 else {
                    report(sigma, fields.child("sigma"), "must be >= 0, got \(Self.text(of: sigma))")
                    return nil
                }
                return value
            }
            guard let median, let sigma else { return nil }
            return .lognormal(median: median, sigma: sigma)
        case "choice":
            return choice(node, path) { reader, value, field in
                reader.value(value, field, quantity, allowZero: zero)
            }.map { .choice($0) }
        case "empirical":
            return empirical(node, path, quantity).map { .empirical($0) }
        default:
            return nil  // `fields(_:_:allowed:)` has reported the unknown kind.
        }
    }

    /// `[{value: X, weight: W}, ...]`: at least one option, every weight a number > 0.
    mutating func choice<Value>(
        _ node: Node, _ path: String, value read: (inout SpecReader, Node, String) -> Value?
    ) -> WeightedChoice<Value>? {
        guard case .sequence(let items) = node, !items.isEmpty else {
            report(node, path, "must be a list of {value: ..., weight: ...} options, got \(Self.describe(node))")
            return nil
        }
        var options: [WeightedChoice<Value>.Option] = []
        for (offset, item) in items.enumerated() {
            let field = "\(path)[\(offset)]"
            guard let entry = fields(item, field, allowed: ["value", "weight"]) else { continue }
            let value = required(entry, "value").flatMap { read(&self, $0, entry.child("value")) }
            let weight = required(entry, "weight").flatMap { node -> Double? in
                guard let weight = number(node, entry.child("weight")) else { return nil }
                guard weight > 0 else {
                    report(node, entry.child("weight"), "must be > 0, got \(Self.text(of: node))")
                    return nil
                }
                return weight
            }
            if let value, let weight { options.append(.init(value: value, weight: weight)) }
        }
        return options.count == items.count ? WeightedChoice(options) : nil
    }

    /// A bare choice (`OtherError`) or `{choice: [{value: ..., weight: ...}, ...]}` among `allowed` words.
    mutating func wordChoice(_ node: Node, _ path: String, allowed: [String]) -> WeightedChoice<String>? {
        func word(_ reader: inout SpecReader, _ node: Node, _ field: String) -> String? {
            guard let text = reader.string(node, field) else { return nil }
            guard allowed.contains(text) else {
                if let guess = closest(to: text, among: allowed) {
                    reader.report(node, field, "unknown value '\(text)'; did you mean '\(guess)'?")
                } else {
                    reader.report(node, field, "must be one of \(allowed.joined(separator: ", ")), got '\(text)'")
                }
                return nil
            }
            return text
        }
        if case .mapping = node {
            guard let fields = fields(node, path, allowed: ["choice"]) else { return nil }
            guard let options = required(fields, "choice") else { return nil }
            return choice(options, fields.child("choice"), value: word)
        }
        return word(&self, node, path).map { WeightedChoice(always: $0) }
    }

    /// `[[value, cumulativeProbability], ...]`: at least two points, values and probabilities
    /// never decreasing, the first probability 0 and the last 1.
    private mutating func empirical(_ node: Node, _ path: String, _ quantity: Quantity) -> [CDFPoint]? {
        guard case .sequence(let items) = node, items.count >= 2 else {
            report(node, path, "must be a list of at least two [value, cumulativeProbability] points, got \(Self.describe(node))")
            return nil
        }
        var points: [CDFPoint] = []
        for (offset, item) in items.enumerated() {
            let field = "\(path)[\(offset)]"
            guard case .sequence(let pair) = item, pair.count == 2 else {
                report(item, field, "must be a [value, cumulativeProbability] pair, got \(Self.describe(item))")
                continue
            }
            let value = value(pair[0], "\(field)[0]", quantity, allowZero: quantity.allowsZero)
            let probability = number(pair[1], "\(field)[1]").flatMap { p -> Double? in
                guard (0...1).contains(p) else {
                    report(pair[1], "\(field)[1]", "must be a probability in 0...1, got \(Self.text(of: pair[1]))")
                    return nil
                }
                return p
            }
            guard let value, let probability else { continue }
            if let last = points.last, points.count == offset {
                if value < last.value {
                    report(pair[0], "\(field)[0]", "values must not decrease, got \(Self.text(of: pair[0])) after a larger one")
                }
                if probability < last.probability {
                    report(pair[1], "\(field)[1]",
                           "cumulative probabilities must not decrease, got \(Self.text(of: pair[1])) after \(last.probability)")
                }
            }
            points.append(CDFPoint(value: value, probability: probability))
        }
        guard points.count == items.count else { return nil }
        if points[0].probability != 0, case .sequence(let first) = items[0] {
            report(first[1], "\(path)[0][1]", "the first cumulative probability must be 0, got \(Self.text(of: first[1]))")
            return nil
        }
        if points[points.count - 1].probability != 1, case .sequence(let last) = items[items.count - 1] {
            report(last[1], "\(path)[\(items.count - 1)][1]",
                   "the last cumulative probability must be 1, got \(Self.text(of: last[1]))")
            return nil
        }
        let ordered = zip(points, points.dropFirst()).allSatisfy { $0.value <= $1.value && $0.probability <= $1.probability }
        return ordered ? points : nil
    }

    /// A duration in seconds or a plain number, > 0 (or >= 0 with `allowZero`), and at most the
    /// quantity's upper bound when `bounded`.
    mutating func value(_ node: Node, _ path: String, _ quantity: Quantity, allowZero: Bool, bounded: Bool = true) -> Double? {
        let value: Double?
        switch quantity {
        case .seconds: value = duration(node, path).map(Self.seconds)
        case .kilowatts, .kilowattHours, .wattHours, .percent: value = number(node, path)
        }
        guard let value else { return nil }
        guard value > 0 || (allowZero && value == 0) else {
            report(node, path, "must be \(allowZero ? ">=" : ">") 0, got \(Self.text(of: node))")
            return nil
        }
        if bounded, let upper = quantity.upperBound, value > upper {
            report(node, path, "must be at most \(Self.format(upper)), got \(Self.text(of: node))")
            return nil
        }
        return value
    }

    /// A number as short as it can be written (`100`, `0.5`).
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
