import Foundation
import Testing
@testable import Telemetry

@Suite("Latency histograms")
struct LatencyHistogramTests {
    @Test("Percentiles of 1…10 000 µs are within 0.1 % of the exact values")
    func percentiles() throws {
        let histogram = LatencyHistogram(values: 1 ... 10_000)
        #expect(histogram.count == 10_000)
        #expect(histogram.min == 1)
        #expect(histogram.max == 10_000)
        for (percentile, exact) in [(50.0, 5_000.0), (90.0, 9_000.0), (99.0, 9_900.0), (99.9, 9_990.0)] {
            let value = try #require(histogram.value(atPercentile: percentile))
            #expect(abs(Double(value) - exact) <= exact / 1000, "p\(percentile) = \(value)")
        }
        let summary = try #require(histogram.summary)
        #expect(summary.p50 == 5_003)  // the top of the bucket 5 000 falls in (4-µs buckets above 4 096)
        #expect(summary.max == 10_000)
        #expect(summary.count == 10_000)
        #expect(abs(summary.mean - 5_000.5) <= 5)
    }

    @Test("Values outside 1 µs … 1 hour are clamped to the range")
    func clamping() {
        let histogram = LatencyHistogram(values: [-5, 0, 7_200_000_000])
        #expect(histogram.min == 1)
        #expect(histogram.max == LatencyHistogram.highestMicros)
        #expect(histogram.count == 3)
    }

    @Test("An empty histogram has no summary or percentiles")
    func empty() {
        let histogram = LatencyHistogram()
        #expect(histogram.isEmpty)
        #expect(histogram.summary == nil)
        #expect(histogram.value(atPercentile: 50) == nil)
        #expect(histogram.max == nil)
    }

    @Test("Decoding the encoding gives an equal histogram with identical percentiles",
          arguments: [[], [1], [3_600_000_000], [17, 17, 17], [2_047, 2_048, 2_049, 4_095, 1_000_000], Array(1 ... 3_000)])
    func roundTrip(values: [Int64]) throws {
        let histogram = LatencyHistogram(values: values)
        let decoded = try LatencyHistogram(encoded: histogram.encoded())
        #expect(decoded == histogram)
        #expect(decoded.summary == histogram.summary)
        #expect(decoded.min == histogram.min)
        #expect(decoded.buckets.elementsEqual(histogram.buckets) { $0 == $1 })
    }

    @Test("A log-uniform histogram over the whole range round-trips exactly at every percentile")
    func roundTripWide() throws {
        var random = SplitMix64(state: 7)
        let values = (0 ..< 200_000).map { _ in Int64(exp(Double.random(in: 0 ... log(3.6e9), using: &random))) }
        let histogram = LatencyHistogram(values: values)
        let text = histogram.encoded()
        let decoded = try LatencyHistogram(encoded: text)
        #expect(decoded == histogram)
        for percentile in stride(from: 0.0, through: 100.0, by: 0.5) + [99.9, 99.99, 99.999] {
            #expect(decoded.value(atPercentile: percentile) == histogram.value(atPercentile: percentile))
        }
        #expect(decoded.mean == histogram.mean)
        // Nearly all 23 k buckets are in use; a dense array of counts would need 23 k numbers.
        #expect(text.utf8.count < 64 * 1024, "sparse: \(text.utf8.count) bytes")
    }

    @Test("A typical latency distribution encodes in a few kilobytes")
    func compactness() {
        var random = SplitMix64(state: 3)
        let values = (0 ..< 100_000).map { _ in
            // 2 ms ± 0.5 ms with a tail to 50 ms
            let base = 1_500 + Int64.random(in: 0 ... 1_000, using: &random)
            return Int.random(in: 0 ..< 100, using: &random) == 0 ? base * Int64.random(in: 2 ... 25, using: &random) : base
        }
        let text = LatencyHistogram(values: values).encoded()
        #expect(text.utf8.count < 8 * 1024)
    }

    @Test("Bucket indices follow HdrHistogram's layout and invert exactly")
    func bucketIndices() {
        let histogram = LatencyHistogram()
        let last = LatencyHistogram.bucketIndex(ofLowerBound: UInt64(LatencyHistogram.highestMicros))
        var previous: UInt64?
        for index in 0 ... last {
            let lowerBound = LatencyHistogram.lowerBound(ofBucketIndex: index)
            #expect(histogram.storage.lowestEquivalentForValue(lowerBound) == lowerBound)
            #expect(LatencyHistogram.bucketIndex(ofLowerBound: lowerBound) == index)
            if let previous { #expect(lowerBound > previous) }
            previous = lowerBound
        }
        #expect(last == 23_220)
    }

    @Test("Adding two histograms equals recording all values in one")
    func addIsExact() throws {
        var random = SplitMix64(state: 11)
        let values = (0 ..< 20_000).map { _ in Int64.random(in: 1 ... 5_000_000, using: &random) }
        var left = LatencyHistogram(values: values[..<7_000])
        left.add(LatencyHistogram(values: values[7_000...]))
        #expect(left == LatencyHistogram(values: values))
        #expect(left.encoded() == LatencyHistogram(values: values).encoded())
    }

    @Test("Codable stores the histogram as its encoded string")
    func codable() throws {
        let histogram = LatencyHistogram(values: [5, 50, 500_000])
        let data = try JSONEncoder().encode([histogram])
        let strings = try JSONDecoder().decode([String].self, from: data)
        #expect(strings == [histogram.encoded()])
        #expect(try JSONDecoder().decode([LatencyHistogram].self, from: data) == [histogram])
    }

    @Test("Malformed encodings are rejected", arguments: [
        "not base64!",
        "",                                            // no format byte
        Data([2, 3, 0, 0]).base64EncodedString(),      // unknown format
        Data([1, 2, 0, 0]).base64EncodedString(),      // two significant digits
        Data([1, 3, 5]).base64EncodedString(),         // truncated header
        Data([1, 3, 5, 5, 5, 0]).base64EncodedString(), // empty bucket
        Data([1, 3, 5, 9, 5, 1, 5, 1]).base64EncodedString(), // max outside the last bucket
        Data([1, 3, 0, 0, 5, 1]).base64EncodedString(),        // minimum 0 with a value
        Data([1, 3, 5, 5, 5, 1, 0, 1]).base64EncodedString(),  // bucket not ascending
        Data([1, 3, 5, 5, 5, 0x81]).base64EncodedString(),     // truncated varint
        Data([1, 3, 5, 5, 5, 1, 0xB0, 0xEA, 0x01, 1]).base64EncodedString(), // bucket index past one hour
    ])
    func malformed(text: String) {
        #expect(throws: HistogramEncodingError.self) { try LatencyHistogram(encoded: text) }
    }
}
