import Foundation
import Testing

@testable import FleetSpec

private func draws(_ distribution: Distribution, count: Int = 10_000, seed: UInt64 = 2024) -> [Double] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in distribution.sample(using: &generator) }
}

private func average(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

@Suite("Distributions and seeded generators")
struct DistributionTests {
    @Test("SplitMix64 matches the reference output for seed 0")
    func reference() {
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test("The same seed gives the same samples", arguments: [
        Distribution.constant(3), .uniform(lower: 1, upper: 5), .exponential(mean: 30),
        .normal(mean: 10, stddev: 3), .lognormal(median: 60, sigma: 0.5),
    ])
    func determinism(distribution: Distribution) {
        #expect(draws(distribution, count: 100, seed: 7) == draws(distribution, count: 100, seed: 7))
        if distribution != .constant(3) {
            #expect(draws(distribution, count: 100, seed: 7) != draws(distribution, count: 100, seed: 8))
        }
    }

    @Test("A charge point's stream depends only on the seed and its own index")
    func streamIndependence() {
        func firstDraws(_ index: UInt64) -> [UInt64] {
            var generator = SplitMix64.stream(seed: 42, index: index)
            return (0..<16).map { _ in generator.next() }
        }
        let before = firstDraws(7)
        // Use other streams, as a bigger fleet would, then ask again.
        var sink: UInt64 = 0
        for index in 1...600 where index != 7 {
            var other = SplitMix64.stream(seed: 42, index: UInt64(index))
            sink ^= other.next()
        }
        #expect(sink != 0)
        #expect(firstDraws(7) == before)
        #expect(firstDraws(8) != before)
        var otherSeed = SplitMix64.stream(seed: 43, index: 7)
        #expect(otherSeed.next() != before[0])
        var plain = SplitMix64(seed: 42)
        #expect(plain.next() != before[0])
    }

    @Test("Neighbouring streams are uncorrelated and do not overlap")
    func neighbouringStreams() {
        var first = SplitMix64.stream(seed: 1, index: 1)
        var second = SplitMix64.stream(seed: 1, index: 2)
        let xs = (0..<10_000).map { _ in Distribution.unit(&first) }
        let ys = (0..<10_000).map { _ in Distribution.unit(&second) }
        let (mx, my) = (average(xs), average(ys))
        let covariance = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let spread = (xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) } * ys.reduce(0) { $0 + ($1 - my) * ($1 - my) }).squareRoot()
        #expect(abs(covariance / spread) < 0.05)
        #expect(Set(xs).isDisjoint(with: ys))
    }

    @Test("Sample means over 10k draws land near the distribution's mean", arguments: [
        (Distribution.uniform(lower: 5, upper: 20), 0.3),
        (.exponential(mean: 30), 1.5),
        (.normal(mean: 100, stddev: 15), 0.75),
        (.lognormal(median: 60, sigma: 0.5), 2.0),
        (.constant(11), 0),
    ])
    func means(distribution: Distribution, tolerance: Double) {
        let sampled = average(draws(distribution))
        #expect(abs(sampled - distribution.mean) <= tolerance, "sampled \(sampled), expected \(distribution.mean)")
    }

    @Test("Uniform draws stay within their bounds and fill them")
    func uniformBounds() {
        let values = draws(.uniform(lower: 5, upper: 20))
        #expect(values.allSatisfy { $0 >= 5 && $0 < 20 })
        #expect(values.min()! < 5.1)
        #expect(values.max()! > 19.9)
    }

    @Test("Normal draws are clamped at zero")
    func normalClamp() {
        let values = draws(.normal(mean: 1, stddev: 5))
        #expect(values.allSatisfy { $0 >= 0 })
        let zeros = values.filter { $0 == 0 }.count
        #expect((3_800...4_400).contains(zeros))  // P(z < -0.2) ≈ 0.42
    }

    @Test("Half the lognormal draws fall below the median")
    func lognormalMedian() {
        let below = draws(.lognormal(median: 60, sigma: 0.5)).filter { $0 < 60 }.count
        #expect((4_800...5_200).contains(below))
    }

    @Test("Exponential draws are positive with a standard deviation near the mean")
    func exponentialSpread() {
        let values = draws(.exponential(mean: 30))
        #expect(values.allSatisfy { $0 >= 0 && $0.isFinite })
        let mean = average(values)
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        #expect(abs(deviation - 30) < 2)
    }

    @Test("A weighted choice picks each value in proportion to its weight, one generator step per pick")
    func weightedChoice() {
        let choice = WeightedChoice([.init(value: 7.4, weight: 1), .init(value: 11, weight: 3), .init(value: 22, weight: 6)])
        let values = draws(.choice(choice))
        #expect(Set(values) == [7.4, 11, 22])
        #expect((900...1_100).contains(values.filter { $0 == 7.4 }.count))
        #expect((2_800...3_200).contains(values.filter { $0 == 11 }.count))
        #expect(abs(average(values) - Distribution.choice(choice).mean) < 0.3)
        var one = SplitMix64(seed: 5)
        var other = SplitMix64(seed: 5)
        _ = choice.pick(using: &one)
        _ = other.next()
        #expect(one == other)
        var generator = SplitMix64(seed: 1)
        #expect((0..<100).allSatisfy { _ in WeightedChoice(always: "OtherError").pick(using: &generator) == "OtherError" })
    }

    @Test("An empirical table interpolates its cumulative probabilities")
    func empirical() {
        let table = [CDFPoint(value: 10, probability: 0), CDFPoint(value: 20, probability: 0.5),
                     CDFPoint(value: 20, probability: 0.8), CDFPoint(value: 60, probability: 1)]
        #expect(Distribution.interpolate(table, at: 0) == 10)
        #expect(Distribution.interpolate(table, at: 0.25) == 15)
        #expect(Distribution.interpolate(table, at: 0.6) == 20)  // a flat stretch: 30% of the mass at 20
        #expect(Distribution.interpolate(table, at: 0.9) == 40)
        let values = draws(.empirical(table))
        #expect(values.allSatisfy { $0 >= 10 && $0 < 60 })
        #expect((4_800...5_200).contains(values.filter { $0 < 20 }.count))
        #expect((1_800...2_200).contains(values.filter { $0 > 20 }.count))
        // Mean: 0.5 × 15 + 0.3 × 20 + 0.2 × 40 = 21.5.
        #expect(abs(Distribution.empirical(table).mean - 21.5) < 1e-12)
        #expect(abs(average(values) - 21.5) < 0.4)
        // A step: P(X ≤ 5) jumps from 0 to 1 at 5.
        #expect(draws(.empirical([CDFPoint(value: 5, probability: 0), CDFPoint(value: 5, probability: 1)]), count: 10)
            .allSatisfy { $0 == 5 })
    }
}
