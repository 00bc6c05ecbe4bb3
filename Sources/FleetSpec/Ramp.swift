import Foundation

/// How the fleet's first connections are spread over time. The schedule hands out start times in
/// charge point index order; a group's `startOffset` is added on top.
public enum RampSpec: Sendable, Equatable {
    /// Starts spread evenly over the duration: charge point k of n (from 0) starts at
    /// duration × k / n. `.linear(.zero)` starts everything at once.
    case linear(Duration)
    /// Batches: each step starts `count` charge points at `after`, spread evenly over `over`.
    case steps([RampStep])
    /// Starts as a Poisson process: exponential gaps with mean 1 / `perSecond` seconds, from the
    /// fleet seed (the first start is one gap after the beginning).
    case poisson(perSecond: Double)

    /// Start offsets for `count` charge points (in plan order), deterministic for a seed.
    ///
    /// Step counts are scaled to `count` in proportion (largest remainder, as for
    /// `--charge-points`) when they do not add up to it. The Poisson stream is
    /// `SplitMix64.stream(seed: seed ^ RampSpec.poissonSalt, index: 0)`: frozen, like every
    /// seeded stream.
    public func offsets(count: Int, seed: UInt64) -> [Duration] {
        guard count > 0 else { return [] }
        switch self {
        case .linear(let duration):
            let micros = Self.micros(duration)
            return (0..<count).map { .microseconds(count > 1 ? micros * Int64($0) / Int64(count) : 0) }
        case .steps(let steps):
            let counts = steps.map(\.count).reduce(0, +) == count
                ? steps.map(\.count) : FleetSpec.split(total: count, weights: steps.map(\.count))
            var offsets: [Duration] = []
            offsets.reserveCapacity(count)
            for (step, size) in zip(steps, counts) {
                let start = Self.micros(step.after)
                let spread = Self.micros(step.over)
                for position in 0..<size {
                    offsets.append(.microseconds(start + (size > 1 ? spread * Int64(position) / Int64(size) : 0)))
                }
            }
            return offsets
        case .poisson(let perSecond):
            var random = SplitMix64.stream(seed: seed ^ Self.poissonSalt, index: 0)
            let mean = Distribution.exponential(mean: 1 / perSecond)
            var elapsed = 0.0
            return (0..<count).map { _ in
                elapsed += mean.sample(using: &random)
                return .microseconds(Int64((elapsed * 1_000_000).rounded(.down)))
            }
        }
    }

    /// When the last of `count` charge points starts (groups' `startOffset`s aside): how long the
    /// ramp lasts, the default spread of the end-of-run stops (`RunSettings.rampDown`).
    public func span(count: Int, seed: UInt64) -> Duration {
        if case .linear(let duration) = self {
            return count > 1 ? .microseconds(Self.micros(duration) * Int64(count - 1) / Int64(count)) : .zero
        }
        return offsets(count: count, seed: seed).max() ?? .zero
    }

    /// When each of `plans` first connects: the offset its index (from 1) has in the schedule
    /// of the whole fleet of `fleetSize` charge points, plus its group's `startOffset`. `plans`
    /// may be one shard's slice: a charge point starts at the same moment whichever shard runs it.
    public func startOffsets(of plans: [ChargePointPlan], fleetSize: Int, seed: UInt64) -> [Duration] {
        let offsets = self.offsets(count: max(fleetSize, plans.map(\.index).max() ?? 0), seed: seed)
        return plans.map { offsets[max(0, $0.index - 1)] + $0.startOffset }
    }

    /// Mixed into the fleet seed for the Poisson ramp's stream ("ramp").
    public static let poissonSalt: UInt64 = 0x7261_6D70

    static func micros(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }
}

/// One batch of a stepped ramp.
public struct RampStep: Sendable, Equatable {
    /// When the batch starts, from the beginning of the run.
    public var after: Duration
    /// How many charge points start in it; ≥ 1.
    public var count: Int
    /// Spread the batch's starts evenly over this long; zero starts them together.
    public var over: Duration

    public init(after: Duration, count: Int, over: Duration = .zero) {
        self.after = after
        self.count = count
        self.over = over
    }
}
