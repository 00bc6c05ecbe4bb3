import Foundation

/// A distribution of non-negative values: seconds for durations, kilowatts for power, and so on.
///
/// Sampling uses only `next()` of the generator and its own arithmetic (no `Double.random`), so the
/// same generator state gives the same value on every platform and Swift version.
public enum Distribution: Sendable, Equatable, Hashable {
    /// Always `value`.
    case constant(Double)
    /// Uniform on `[lower, upper)`; `lower == upper` is a constant.
    case uniform(lower: Double, upper: Double)
    /// Exponential with the given mean.
    case exponential(mean: Double)
    /// Normal, with draws below 0 clamped to 0.
    case normal(mean: Double, stddev: Double)
    /// Log-normal: `median * exp(sigma * z)`, z standard normal.
    case lognormal(median: Double, sigma: Double)
    /// One of several values, each with a relative weight.
    case choice(WeightedChoice<Double>)
    /// An empirical distribution from a cumulative table: draws interpolate linearly between
    /// neighbouring points (an inverse-CDF lookup). The first probability is 0, the last 1.
    case empirical([CDFPoint])

    /// One draw; never negative.
    public func sample<R: RandomNumberGenerator>(using generator: inout R) -> Double {
        switch self {
        case .constant(let value):
            return value
        case .uniform(let lower, let upper):
            return lower + (upper - lower) * Self.unit(&generator)
        case .exponential(let mean):
            // 1 - u is in (0, 1], so the logarithm is finite.
            return -mean * log(1 - Self.unit(&generator))
        case .normal(let mean, let stddev):
            return max(0, mean + stddev * Self.standardNormal(&generator))
        case .lognormal(let median, let sigma):
            return median * exp(sigma * Self.standardNormal(&generator))
        case .choice(let choice):
            return choice.pick(using: &generator)
        case .empirical(let points):
            return Self.interpolate(points, at: Self.unit(&generator))
        }
    }

    /// The distribution's mean (before clamping, for `normal`); handy for reports and sanity checks.
    public var mean: Double {
        switch self {
        case .constant(let value): value
        case .uniform(let lower, let upper): (lower + upper) / 2
        case .exponential(let mean): mean
        case .normal(let mean, _): mean
        case .lognormal(let median, let sigma): median * exp(sigma * sigma / 2)
        case .choice(let choice): choice.mean
        case .empirical(let points):
            zip(points, points.dropFirst()).reduce(0) { total, pair in
                total + (pair.1.probability - pair.0.probability) * (pair.0.value + pair.1.value) / 2
            }
        }
    }

    /// The value at cumulative probability `u` (0 ≤ u < 1) of a table whose probabilities run
    /// from 0 to 1 without decreasing; steps of zero width are skipped.
    static func interpolate(_ points: [CDFPoint], at u: Double) -> Double {
        guard let first = points.first else { return 0 }
        var lower = first
        for point in points.dropFirst() {
            if point.probability > u {
                let width = point.probability - lower.probability
                guard width > 0 else { return point.value }
                return lower.value + (point.value - lower.value) * (u - lower.probability) / width
            }
            lower = point
        }
        return lower.value
    }

    /// A uniform draw in [0, 1) from the top 53 bits.
    public static func unit<R: RandomNumberGenerator>(_ generator: inout R) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }

    /// A standard normal draw by Box–Muller (two uniforms per draw, the second variate dropped so
    /// a sample consumes a fixed number of generator steps).
    static func standardNormal<R: RandomNumberGenerator>(_ generator: inout R) -> Double {
        let u1 = 1 - unit(&generator)  // (0, 1]
        let u2 = unit(&generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// One point of an empirical distribution's cumulative table: P(X ≤ value) = probability.
public struct CDFPoint: Sendable, Equatable, Hashable {
    public var value: Double
    public var probability: Double

    public init(value: Double, probability: Double) {
        self.value = value
        self.probability = probability
    }
}

/// A weighted choice among values (numbers, error codes, …): each option is picked with
/// probability weight / total weight, using one uniform draw.
public struct WeightedChoice<Value: Sendable & Hashable>: Sendable, Hashable {
    public struct Option: Sendable, Hashable {
        public var value: Value
        /// Relative weight, > 0.
        public var weight: Double

        public init(value: Value, weight: Double) {
            self.value = value
            self.weight = weight
        }
    }

    /// At least one option, in spec order.
    public var options: [Option]

    public init(_ options: [Option]) {
        self.options = options
    }

    /// A choice that always gives `value`.
    public init(always value: Value) {
        self.options = [Option(value: value, weight: 1)]
    }

    public var totalWeight: Double { options.reduce(0) { $0 + $1.weight } }

    /// One pick; consumes exactly one generator step, whatever the number of options.
    public func pick<R: RandomNumberGenerator>(using generator: inout R) -> Value {
        let target = Distribution.unit(&generator) * totalWeight
        var cumulative = 0.0
        for option in options {
            cumulative += option.weight
            if target < cumulative { return option.value }
        }
        return options[options.count - 1].value
    }
}

extension WeightedChoice where Value == Double {
    /// The weighted mean of the values.
    public var mean: Double {
        let total = totalWeight
        guard total > 0 else { return 0 }
        return options.reduce(0) { $0 + $1.value * $1.weight } / total
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, seedable generator. One per charge point.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable, Hashable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The generator of charge point `index` in a fleet seeded with `seed`.
    ///
    /// It depends only on `(seed, index)`, so adding charge point 501 never shifts charge point 7's
    /// draws. The starting state hashes both through the SplitMix64 finalizer, which puts different
    /// indices at unrelated points of the 2^64 cycle. This formula is frozen: changing it changes
    /// every seeded run.
    public static func stream(seed: UInt64, index: UInt64) -> SplitMix64 {
        SplitMix64(seed: mix(mix(seed &+ 0x9E37_79B9_7F4A_7C15) ^ mix(index &+ 0xD1B5_4A32_D192_ED03)))
    }

    /// The SplitMix64 output function (a bijective 64-bit mixer).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
