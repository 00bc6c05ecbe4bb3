import Foundation

/// A ``LatencyHistogram`` kept as its non-empty buckets only: the form the time series holds
/// for every second and action. A ``LatencyHistogram`` of sub-second latencies holds about
/// 11 k counters (88 KiB); a second of one action's traffic fills a few dozen buckets.
///
/// Same bucket layout (HdrHistogram, 3 significant digits, lowest value 1 µs), same exact
/// minimum and maximum, same text form (``encoded()``) and the same percentile and mean
/// definitions as ``LatencyHistogram``, so the two agree value for value and add exactly.
public struct SparseHistogram: Sendable, Equatable {
    struct Bucket: Sendable, Equatable {
        var index: UInt32
        var count: UInt64
    }

    /// Exact smallest and largest value; 0 when empty.
    private(set) var minimum: UInt64 = 0
    private(set) var maximum: UInt64 = 0
    /// Non-empty buckets, ascending by index, packed as LEB128 pairs (index − previous index,
    /// count): the body of ``encoded()``, two or three bytes a bucket where a `Bucket` takes 16.
    /// The time series copies these bytes into its packed points (``append(to:)``), so a
    /// bucket costs the series two or three bytes and no allocation of its own.
    private var packed: [UInt8] = []

    /// The non-empty buckets, ascending by index (decoded from ``packed``).
    var buckets: [Bucket] {
        var list: [Bucket] = []
        forEachBucket { list.append($0) }
        return list
    }
    /// Sum of the counts.
    public private(set) var count: UInt64 = 0

    public init() {}

    /// The buckets of `histogram`, exactly.
    public init(_ histogram: LatencyHistogram) {
        guard !histogram.isEmpty else { return }
        minimum = histogram.storage.min
        maximum = histogram.storage.maxRecorded
        var list: [Bucket] = []
        for item in histogram.storage.recordedValues() {
            let lower = histogram.storage.lowestEquivalentForValue(item.value)
            list.append(Bucket(index: UInt32(LatencyHistogram.bucketIndex(ofLowerBound: lower)), count: item.count))
            count += item.count
        }
        packed = Self.pack(list)
    }

    /// The histogram of `values` (µs, clamped to 1 µs … 1 hour as ``LatencyHistogram`` does),
    /// exactly as a ``LatencyHistogram`` recording them would hold it; sorts `values` in place.
    public init(values: inout [Int64]) {
        guard !values.isEmpty else { return }
        values.sort()
        let low = UInt64(Swift.max(values[0], LatencyHistogram.lowestMicros))
        let high = UInt64(Swift.min(Swift.max(values[values.count - 1], LatencyHistogram.lowestMicros),
                                    LatencyHistogram.highestMicros))
        minimum = Swift.min(low, UInt64(LatencyHistogram.highestMicros))
        maximum = high
        var list: [Bucket] = []
        for value in values {
            let index = Self.bucketIndex(value)
            if let last = list.last, last.index == index {
                list[list.count - 1].count += 1
            } else {
                list.append(Bucket(index: index, count: 1))
            }
        }
        packed = Self.pack(list)
        count = UInt64(values.count)
    }

    /// The bucket of `value` µs, clamped to 1 µs … 1 hour.
    private static func bucketIndex(_ value: Int64) -> UInt32 {
        let clamped = UInt64(Swift.min(Swift.max(value, LatencyHistogram.lowestMicros), LatencyHistogram.highestMicros))
        return UInt32(LatencyHistogram.bucketIndex(ofLowerBound: clamped))
    }

    public var isEmpty: Bool { count == 0 }

    /// The smallest recorded value, exact; nil when empty.
    public var min: Int64? { isEmpty ? nil : Int64(minimum) }

    /// The largest recorded value, exact; nil when empty.
    public var max: Int64? { isEmpty ? nil : Int64(maximum) }

    /// Adds every count of `other`: the result is what one histogram recording both would hold.
    public mutating func add(_ other: SparseHistogram) {
        guard !other.isEmpty else { return }
        guard !isEmpty else {
            self = other
            return
        }
        let mine = buckets
        let theirs = other.buckets
        var merged: [Bucket] = []
        merged.reserveCapacity(Swift.max(mine.count, theirs.count))
        var left = 0
        var right = 0
        while left < mine.count || right < theirs.count {
            if right == theirs.count || (left < mine.count && mine[left].index < theirs[right].index) {
                merged.append(mine[left])
                left += 1
            } else if left == mine.count || theirs[right].index < mine[left].index {
                merged.append(theirs[right])
                right += 1
            } else {
                merged.append(Bucket(index: mine[left].index, count: mine[left].count + theirs[right].count))
                left += 1
                right += 1
            }
        }
        packed = Self.pack(merged)
        count += other.count
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    /// `buckets` packed (see ``packed``), in an array of exactly their size.
    static func pack(_ buckets: [Bucket]) -> [UInt8] {
        var size = 0
        var previous: UInt32 = 0
        for bucket in buckets {
            size += varintSize(UInt64(bucket.index - previous)) + varintSize(bucket.count)
            previous = bucket.index
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        previous = 0
        for bucket in buckets {
            bytes.appendLEB128(UInt64(bucket.index - previous))
            bytes.appendLEB128(bucket.count)
            previous = bucket.index
        }
        return bytes
    }

    private static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    /// Calls `body` with each bucket, ascending, decoding ``packed`` as it goes.
    func forEachBucket(_ body: (Bucket) -> Void) {
        var reader = LEB128Reader(bytes: packed)
        var index: UInt32 = 0
        while !reader.isAtEnd {
            index += UInt32(reader.nextWritten())
            body(Bucket(index: index, count: reader.nextWritten()))
        }
    }

    /// Appends the histogram to `bytes` as the time series' packed points keep it (its count,
    /// minimum, maximum, then ``packed``'s length and bytes); ``init(reading:)`` reads it back.
    func append(to bytes: inout [UInt8]) {
        bytes.appendLEB128(count)
        bytes.appendLEB128(minimum)
        bytes.appendLEB128(maximum)
        bytes.appendLEB128(UInt64(packed.count))
        bytes += packed
    }

    /// The histogram ``append(to:)`` wrote at the reader's position.
    init(reading reader: inout LEB128Reader) {
        count = reader.nextWritten()
        minimum = reader.nextWritten()
        maximum = reader.nextWritten()
        let length = Int(reader.nextWritten())
        packed = Array(reader.nextWritten(count: length))
    }

    /// Width of the bucket at `index` in µs (1 below 2048, then powers of two).
    static func width(ofBucketIndex index: UInt32) -> UInt64 {
        index < 2048 ? 1 : UInt64(1) << (UInt64(index) / 1024 - 1)
    }

    /// The value at `percentile` (0 … 100) with HdrHistogram's definition, as
    /// ``LatencyHistogram/value(atPercentile:)``; nil when empty.
    public func value(atPercentile percentile: Double) -> Int64? {
        guard !isEmpty else { return nil }
        guard percentile != 0 else { return Int64(minimum) }
        guard percentile < 100 else { return Int64(maximum) }
        let requested = Swift.min(Swift.max(percentile.nextDown, 0), 100)
        let countAtPercentile = Swift.max(1, UInt64((requested * Double(count) / 100).rounded(.up)))
        var seen: UInt64 = 0
        var found: Int64?
        forEachBucket { bucket in
            guard found == nil else { return }
            seen += bucket.count
            if seen >= countAtPercentile {
                let lower = LatencyHistogram.lowerBound(ofBucketIndex: UInt64(bucket.index))
                let highest = lower + Self.width(ofBucketIndex: bucket.index) - 1
                found = Int64(Swift.max(Swift.min(highest, maximum), minimum))
            }
        }
        return found ?? Int64(maximum)
    }

    /// The mean from the middle of each bucket (HdrHistogram's definition); nil when empty.
    public var mean: Double? {
        guard !isEmpty else { return nil }
        var total: Double = 0
        forEachBucket { bucket in
            let lower = LatencyHistogram.lowerBound(ofBucketIndex: UInt64(bucket.index))
            total += Double(lower + (Self.width(ofBucketIndex: bucket.index) >> 1)) * Double(bucket.count)
        }
        return total / Double(count)
    }

    /// The percentiles reports show; nil when empty.
    public var summary: LatencySummary? {
        guard let max, let mean else { return nil }
        return LatencySummary(
            p50: value(atPercentile: 50)!, p90: value(atPercentile: 90)!, p99: value(atPercentile: 99)!,
            p999: value(atPercentile: 99.9)!, max: max, mean: mean, count: Int(clamping: count))
    }

    /// Each bucket's lowest value and count, ascending; the first bucket's values are reported
    /// at the exact minimum and the last's at the exact maximum (as decoding restores them).
    public var values: [(micros: Int64, count: UInt64)] {
        let list = buckets
        return list.enumerated().map { position, bucket in
            let value: UInt64 = if position == 0 {
                minimum
            } else if position == list.count - 1 {
                maximum
            } else {
                LatencyHistogram.lowerBound(ofBucketIndex: UInt64(bucket.index))
            }
            return (Int64(value), bucket.count)
        }
    }

    /// The text form of ``LatencyHistogram/encoded()`` (docs/report-schema.md, "Histogram encoding").
    public func encoded() -> String {
        var bytes: [UInt8] = [LatencyHistogram.encodingFormat]
        bytes.appendLEB128(UInt64(LatencyHistogram.significantDigits))
        bytes.appendLEB128(minimum)
        bytes.appendLEB128(maximum)
        bytes += packed
        return Data(bytes).base64EncodedString()
    }

    /// Decodes the text form; accepts exactly what ``LatencyHistogram/init(encoded:)`` accepts.
    public init(encoded text: String) throws(HistogramEncodingError) {
        self.init(try LatencyHistogram(encoded: text))
    }
}

extension SparseHistogram: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(encoded: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "histogram: \(error.reason)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoded())
    }
}
