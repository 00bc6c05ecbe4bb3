/// A point in time as microseconds since 1970-01-01T00:00:00Z. It is both the
/// engine's clock value and OCPP's `dateTime`; formatting and parsing are hand-written
/// (no `DateFormatter` per message). Output is RFC 3339 UTC with milliseconds.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public static func + (lhs: Timestamp, rhs: Interval) -> Timestamp { Timestamp(microseconds: lhs.microseconds + rhs.microseconds) }
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Interval { Interval(microseconds: lhs.microseconds - rhs.microseconds) }

    public var description: String { iso8601 }

    /// `2026-11-26T01:31:39.123Z`
    public var iso8601: String {
        var millis = microseconds / 1000
        if microseconds < 0, microseconds % 1000 != 0 { millis -= 1 }
        var days = millis / 86_400_000
        var msOfDay = millis % 86_400_000
        if msOfDay < 0 { msOfDay += 86_400_000; days -= 1 }
        let (year, month, day) = Self.civil(fromDays: days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let ms = msOfDay % 1000
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int64, _ offset: Int, _ width: Int) {
            var v = value
            for i in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(year, 0, 4); bytes[4] = UInt8(ascii: "-")
        put(month, 5, 2); bytes[7] = UInt8(ascii: "-")
        put(day, 8, 2); bytes[10] = UInt8(ascii: "T")
        put(hour, 11, 2); bytes[13] = UInt8(ascii: ":")
        put(minute, 14, 2); bytes[16] = UInt8(ascii: ":")
        put(second, 17, 2); bytes[19] = UInt8(ascii: ".")
        put(ms, 20, 3); bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses RFC 3339 (`Z` or `±hh:mm`, optional fraction). A missing zone is read as UTC,
    /// as many backends send it that way.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        func digits(_ offset: Int, _ count: Int) -> Int64? {
            guard offset + count <= b.count else { return nil }
            var value: Int64 = 0
            for i in offset..<offset + count {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var micros: Int64 = 0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100_000
            let start = index
            while index < b.count, b[index] >= 48, b[index] <= 57 {
                micros += Int64(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds: Int64 = 0
        if index < b.count {
            switch b[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard let oh = digits(index + 1, 2), index + 3 < b.count, b[index + 3] == UInt8(ascii: ":"),
                      let om = digits(index + 4, 2), oh < 24, om < 60 else { return nil }
                offsetSeconds = (oh * 3600 + om * 60) * (b[index] == UInt8(ascii: "+") ? 1 : -1)
                index += 6
            default:
                return nil
            }
        }
        guard index == b.count else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        self.microseconds = seconds * 1_000_000 + micros
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// A span of time in microseconds: the engine's durations (timeouts, intervals).
public struct Interval: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64
    public init(microseconds: Int64) { self.microseconds = microseconds }
    public static func seconds(_ s: Int) -> Interval { Interval(microseconds: Int64(s) * 1_000_000) }
    public static func milliseconds(_ ms: Int) -> Interval { Interval(microseconds: Int64(ms) * 1000) }
    public static let zero = Interval(microseconds: 0)
    public static func < (lhs: Interval, rhs: Interval) -> Bool { lhs.microseconds < rhs.microseconds }
    public static func + (lhs: Interval, rhs: Interval) -> Interval { Interval(microseconds: lhs.microseconds + rhs.microseconds) }
    public static func * (lhs: Interval, rhs: Int) -> Interval { Interval(microseconds: lhs.microseconds * Int64(rhs)) }
    public var seconds: Double { Double(microseconds) / 1e6 }
    public var description: String { "\(seconds)s" }
}
