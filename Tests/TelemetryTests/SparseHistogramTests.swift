import Foundation
import Testing
@testable import Telemetry

@Suite("Sparse histograms")
struct SparseHistogramTests {
    static func values(seed: UInt64, count: Int) -> [Int64] {
        var random = SplitMix64(state: seed)
        return (0 ..< count).map { _ in Int64(exp(Double.random(in: 0 ... log(4_000_000_000.0), using: &random))) }
    }

    @Test("Holds the same buckets as the full histogram: same percentiles, mean, encoding", arguments: [1, 2, 7, 1_000])
    func sameAsFull(count: Int) throws {
        let full = LatencyHistogram(values: Self.values(seed: UInt64(count), count: count))
        let sparse = SparseHistogram(full)
        #expect(sparse.count == UInt64(count))
        #expect(sparse.summary == full.summary)
        for percentile in [0.0, 1, 25, 50, 75, 90, 95, 99, 99.9, 100] {
            #expect(sparse.value(atPercentile: percentile) == full.value(atPercentile: percentile))
        }
        #expect(sparse.encoded() == full.encoded())
        #expect(try SparseHistogram(encoded: full.encoded()) == sparse)
    }

    @Test("Built from raw values it equals the full histogram of them, clamping included", arguments: [1, 2, 7, 1_000])
    func fromValues(count: Int) {
        var values = Self.values(seed: UInt64(count) + 100, count: count) + (count > 2 ? [0, -5, 5_000_000_000] : [])
        let full = LatencyHistogram(values: values)
        #expect(SparseHistogram(values: &values) == SparseHistogram(full))
        #expect(values == values.sorted())
    }

    @Test("Adding two equals recording both into one")
    func addsExactly() {
        let left = Self.values(seed: 1, count: 300)
        let right = Self.values(seed: 2, count: 200)
        var sum = SparseHistogram(LatencyHistogram(values: left))
        sum.add(SparseHistogram(LatencyHistogram(values: right)))
        #expect(sum == SparseHistogram(LatencyHistogram(values: left + right)))
        var empty = SparseHistogram()
        empty.add(sum)
        #expect(empty == sum)
    }

    @Test("An empty histogram has no figures")
    func empty() {
        let empty = SparseHistogram()
        #expect(empty.summary == nil)
        #expect(empty.value(atPercentile: 50) == nil)
        #expect(empty.values.isEmpty)
    }
}
