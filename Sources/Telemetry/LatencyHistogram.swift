import Foundation
import Histogram

/// Latencies in microseconds in an HDR histogram: 1 µs … 1 hour at 3 significant digits,
/// so every recorded value is kept within 0.1 % and two histograms add exactly.
///
/// Storage grows with the largest value seen (hdrhistogram-swift's auto-resize) rather than
/// being allocated for the whole hour up front: a histogram of sub-second latencies holds
/// about 11 k counters (88 KiB), the full range 23 k (184 KiB). Values below 1 µs are
/// recorded as 1 µs, values above one hour as one hour.
public struct LatencyHistogram: Sendable, Equatable {
    /// The smallest value kept apart from its neighbours; smaller values are recorded as this.
    public static let lowestMicros: Int64 = 1
    /// The largest value tracked; larger values are recorded as this.
    public static let highestMicros: Int64 = 3_600_000_000
    /// Significant decimal digits kept for every value.
    public static let significantDigits = 3

    var storage: Histogram<UInt64>

    /// An empty histogram.
    public init() {
        storage = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    }

    /// Records one latency, clamped to `lowestMicros ... highestMicros`.
    public mutating func record(micros: Int64) {
        record(micros: micros, count: 1)
    }

    /// Records `count` occurrences of one latency, clamped to `lowestMicros ... highestMicros`.
    public mutating func record(micros: Int64, count: UInt64) {
        let clamped = Swift.min(Swift.max(micros, Self.lowestMicros), Self.highestMicros)
        storage.record(UInt64(clamped), count: count)
    }

    /// Adds every count of `other` into this histogram; exact (both share one bucket layout).
    public mutating func add(_ other: LatencyHistogram) {
        storage.add(other.storage)
    }

    /// Number of values recorded.
    public var count: Int { Int(clamping: storage.totalCount) }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { storage.totalCount == 0 }

    /// The smallest recorded value, exact; nil when empty.
    public var min: Int64? { isEmpty ? nil : Int64(storage.min) }

    /// The largest recorded value, exact; nil when empty.
    public var max: Int64? { isEmpty ? nil : Int64(storage.maxRecorded) }

    /// The mean, from the middle of each bucket (HdrHistogram's definition); nil when empty.
    public var mean: Double? { isEmpty ? nil : storage.mean }

    /// The value at `percentile` (0 ... 100), HdrHistogram's definition: the highest value
    /// equivalent to the bucket reaching that share, capped by the largest recorded value.
    /// Nil when empty.
    public func value(atPercentile percentile: Double) -> Int64? {
        isEmpty ? nil : Int64(storage.valueAtPercentile(percentile))
    }

    /// Non-empty buckets in ascending order: the lowest value of each bucket and its count.
    public var buckets: [(lowerBound: Int64, count: UInt64)] {
        storage.recordedValues().map { item in
            (Int64(storage.lowestEquivalentForValue(item.value)), item.count)
        }
    }

    /// The percentiles reports show; nil when empty.
    public var summary: LatencySummary? {
        guard let max, let mean else { return nil }
        return LatencySummary(
            p50: storage.valueAtPercentile(50).asInt64,
            p90: storage.valueAtPercentile(90).asInt64,
            p99: storage.valueAtPercentile(99).asInt64,
            p999: storage.valueAtPercentile(99.9).asInt64,
            max: max,
            mean: mean,
            count: count
        )
    }
}

/// Percentiles of a ``LatencyHistogram``, in microseconds (`count` is a number of values).
public struct LatencySummary: Sendable, Codable, Equatable {
    public var p50: Int64
    public var p90: Int64
    public var p99: Int64
    public var p999: Int64
    public var max: Int64
    public var mean: Double
    public var count: Int

    public init(p50: Int64, p90: Int64, p99: Int64, p999: Int64, max: Int64, mean: Double, count: Int) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.mean = mean
        self.count = count
    }
}

extension UInt64 {
    fileprivate var asInt64: Int64 { Int64(clamping: self) }
}
