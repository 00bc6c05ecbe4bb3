import Foundation

/// A distribution of non-negative values: seconds for durations, kilowatts for power.
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
        }
    }

    /// A uniform draw in [0, 1) from the top 53 bits.
    static func unit<R: RandomNumberGenerator>(_ generator: inout R) -> Double {
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
