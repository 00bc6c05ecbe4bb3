/// Unsigned LEB128 varints: seven bits a byte, low bits first, the high bit set on every byte
/// but the last. The histogram encoding of reports (docs/report-schema.md) and the time
/// series' packed points (``PackedPoints``) are written with these.
extension [UInt8] {
    mutating func appendLEB128(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(rest))
    }

    /// A signed integer as the LEB128 of its ZigZag form (0, -1, 1, -2, … → 0, 1, 2, 3, …),
    /// so small negative values stay one byte too.
    mutating func appendZigZag(_ value: Int) {
        appendLEB128(UInt64(bitPattern: Int64((value << 1) ^ (value >> (Int.bitWidth - 1)))))
    }
}

/// Reads LEB128 varints from `bytes`, starting at `position`.
struct LEB128Reader {
    let bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position >= bytes.count }

    mutating func nextByte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next varint; throws on a truncated one or one past 64 bits (input from outside).
    mutating func next() throws(HistogramEncodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = nextByte() {
            guard shift < 64, shift < 63 || byte <= 1 else { throw .init("varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw .init("truncated varint")
    }

    /// The next varint of bytes this process wrote itself (packed histogram buckets, packed
    /// points): a malformed one is a bug, not bad input, and traps.
    mutating func nextWritten() -> UInt64 {
        do {
            return try next()
        } catch {
            preconditionFailure("bytes written by this process: \(error)")
        }
    }

    /// ``nextWritten()`` of a value written with `appendZigZag`.
    mutating func nextWrittenZigZag() -> Int {
        let raw = nextWritten()
        return Int(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
    }

    /// The next `count` bytes as they are (written by this process).
    mutating func nextWritten(count: Int) -> ArraySlice<UInt8> {
        precondition(position + count <= bytes.count, "bytes written by this process: truncated")
        defer { position += count }
        return bytes[position ..< position + count]
    }
}
