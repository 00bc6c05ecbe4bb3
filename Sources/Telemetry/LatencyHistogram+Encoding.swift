import Foundation

/// The exact, compact text form of a ``LatencyHistogram`` used in reports and snapshots
/// (docs/report-schema.md, "Histogram encoding").
///
/// Base64 (RFC 4648, with padding) of bytes: a format byte `1`, then unsigned LEB128
/// varints: significant digits (3), the exact minimum, the exact maximum, and for each
/// non-empty bucket in ascending order the difference between its bucket index and the
/// previous one's (the first from 0) followed by its count. Bucket indices are
/// HdrHistogram's counts-array indices for 3 significant digits and a lowest value of 1
/// (``bucketIndex(ofLowerBound:)``), so runs of neighbouring buckets cost one byte per index.
/// Decoding puts every count back in its bucket and restores the exact minimum and maximum,
/// so decoded histograms give the same percentiles and add exactly.
extension LatencyHistogram {
    static let encodingFormat: UInt8 = 1

    /// The exact text form (see the type's documentation).
    public func encoded() -> String {
        var bytes: [UInt8] = [Self.encodingFormat]
        bytes.appendLEB128(UInt64(Self.significantDigits))
        bytes.appendLEB128(isEmpty ? 0 : storage.min)
        bytes.appendLEB128(isEmpty ? 0 : storage.maxRecorded)
        var previous: UInt64 = 0
        for item in storage.recordedValues() {
            let index = Self.bucketIndex(ofLowerBound: storage.lowestEquivalentForValue(item.value))
            bytes.appendLEB128(index - previous)
            bytes.appendLEB128(item.count)
            previous = index
        }
        return Data(bytes).base64EncodedString()
    }

    /// Decodes ``encoded()``; throws ``HistogramEncodingError`` on anything it would not produce.
    public init(encoded text: String) throws(HistogramEncodingError) {
        guard let data = Data(base64Encoded: text) else { throw .init("not base64") }
        var reader = LEB128Reader(bytes: [UInt8](data))
        guard reader.nextByte() == Self.encodingFormat else { throw .init("unknown format byte") }
        guard try reader.next() == UInt64(Self.significantDigits) else {
            throw .init("significant digits other than \(Self.significantDigits)")
        }
        let min = try reader.next()
        let max = try reader.next()
        var buckets: [(lowerBound: UInt64, count: UInt64)] = []
        var previous: UInt64 = 0
        var total: UInt64 = 0
        let lastIndex = Self.bucketIndex(ofLowerBound: UInt64(Self.highestMicros))
        while !reader.isAtEnd {
            let (index, overflow) = previous.addingReportingOverflow(try reader.next())
            let count = try reader.next()
            let (sum, totalOverflow) = total.addingReportingOverflow(count)
            guard !overflow, !totalOverflow, count > 0, buckets.isEmpty || index > previous, index <= lastIndex else {
                throw .init("buckets not ascending, empty, out of range or overflowing")
            }
            buckets.append((Self.lowerBound(ofBucketIndex: index), count))
            previous = index
            total = sum
        }
        self.init()
        try restore(buckets: buckets, min: min, max: max)
    }

    private mutating func restore(
        buckets: [(lowerBound: UInt64, count: UInt64)], min: UInt64, max: UInt64
    ) throws(HistogramEncodingError) {
        guard let first = buckets.first, let last = buckets.last else {
            guard min == 0, max == 0 else { throw .init("minimum or maximum without values") }
            return
        }
        let range = UInt64(Self.lowestMicros) ... UInt64(Self.highestMicros)
        guard range.contains(min), range.contains(max), min <= max,
              storage.lowestEquivalentForValue(min) == first.lowerBound,
              storage.lowestEquivalentForValue(max) == last.lowerBound
        else { throw .init("minimum or maximum outside the first or last bucket") }
        for (index, bucket) in buckets.enumerated() {
            guard storage.lowestEquivalentForValue(bucket.lowerBound) == bucket.lowerBound else {
                throw .init("\(bucket.lowerBound) is not the lowest value of a bucket")
            }
            // Counts go into their bucket; the first and last are recorded at the exact
            // minimum and maximum (same bucket) so the histogram's min and max come back too.
            switch (index == 0, index == buckets.count - 1) {
            case (true, true):
                if bucket.count == 1 {
                    guard min == max else { throw .init("one value but minimum ≠ maximum") }
                    storage.record(min, count: 1)
                } else {
                    storage.record(min, count: bucket.count - 1)
                    storage.record(max, count: 1)
                }
            case (true, false):
                storage.record(min, count: bucket.count)
            case (false, true):
                storage.record(max, count: bucket.count)
            case (false, false):
                storage.record(bucket.lowerBound, count: bucket.count)
            }
        }
    }
}

extension LatencyHistogram {
    /// Values below this have their own bucket each (2 × 10³ rounded up to a power of two).
    static let subBucketCount: UInt64 = 2048
    static let subBucketHalfCountMagnitude: UInt64 = 10

    /// HdrHistogram's counts-array index of the bucket whose lowest value is `lowerBound`
    /// (3 significant digits, lowest discernible value 1): values below 2048 are their own index;
    /// above, bucket `b = 53 − leadingZeros(v)` holds values `v >> b` in 1024 ..< 2048, at
    /// index `(b + 1) × 1024 + (v >> b) − 1024`.
    static func bucketIndex(ofLowerBound lowerBound: UInt64) -> UInt64 {
        let bucket = UInt64(53 - (lowerBound | (subBucketCount - 1)).leadingZeroBitCount)
        let subBucket = lowerBound >> bucket
        return ((bucket + 1) << subBucketHalfCountMagnitude) + subBucket - (subBucketCount >> 1)
    }

    /// The inverse of ``bucketIndex(ofLowerBound:)``.
    static func lowerBound(ofBucketIndex index: UInt64) -> UInt64 {
        let half = subBucketCount >> 1
        guard index >= subBucketCount else { return index }
        let bucket = (index >> subBucketHalfCountMagnitude) - 1
        return ((index & (half - 1)) + half) << bucket
    }
}

extension LatencyHistogram: Codable {
    /// Decodes from the string form of ``encoded()``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(encoded: text)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "histogram: \(error.reason)")
        }
    }

    /// Encodes as the string form of ``encoded()``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoded())
    }
}

/// A histogram text that ``LatencyHistogram/init(encoded:)`` cannot read.
public struct HistogramEncodingError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "invalid histogram encoding: \(reason)" }
}
