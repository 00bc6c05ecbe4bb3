import Testing
@testable import OCPP

@Suite("Timestamps")
struct TimestampTests {
    @Test("Formatting writes RFC 3339 UTC with milliseconds", arguments: [
        (0, "1970-01-01T00:00:00.000Z"),
        (1_764_120_699_123_456, "2025-11-26T01:31:39.123Z"),
        (951_782_400_000_000, "2000-02-29T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (-86_400_000_000, "1969-12-31T00:00:00.000Z"),
        (-1_000_001, "1969-12-31T23:59:58.999Z"),
        (253_402_300_799_999_000, "9999-12-31T23:59:59.999Z"),
    ] as [(Int64, String)])
    func format(microseconds: Int64, text: String) {
        #expect(Timestamp(microseconds: microseconds).iso8601 == text)
        #expect(Timestamp(microseconds: microseconds).description == text)
    }

    @Test("Parsing accepts zones, offsets and fractions", arguments: [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000Z", 0),
        ("1970-01-01T00:00:00", 0),
        ("1970-01-01t00:00:00z", 0),
        ("1970-01-01 00:00:00Z", 0),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1969-12-31T19:30:00-04:30", 0),
        ("1970-01-01T00:00:00.5Z", 500_000),
        ("1970-01-01T00:00:00.123456Z", 123_456),
        ("1970-01-01T00:00:00.1234569Z", 123_456),
        ("2026-11-26T03:31:39.123+02:00", 1_795_656_699_123_000),
        ("2026-11-26T01:31:39.123Z", 1_795_656_699_123_000),
        ("2016-12-31T23:59:60Z", 1_483_228_799_000_000),
    ] as [(String, Int64)])
    func parse(text: String, microseconds: Int64) {
        #expect(Timestamp(iso8601: text)?.microseconds == microseconds)
    }

    @Test("Leap years follow the Gregorian rules", arguments: [
        ("2024-02-29T00:00:00Z", true), ("2023-02-29T00:00:00Z", false), ("2000-02-29T00:00:00Z", true),
        ("1900-02-29T00:00:00Z", false), ("2100-02-29T00:00:00Z", false), ("2400-02-29T00:00:00Z", true),
        ("2024-02-30T00:00:00Z", false), ("2024-04-31T00:00:00Z", false), ("2024-12-31T00:00:00Z", true),
    ])
    func leapYears(text: String, valid: Bool) {
        #expect((Timestamp(iso8601: text) != nil) == valid)
    }

    @Test("Invalid date-times are rejected", arguments: [
        "", "2024", "2024-01-01", "2024-01-01T", "2024-01-01T00:00", "2024-1-01T00:00:00Z", "2024-01-01X00:00:00Z",
        "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-32T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z", "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+0100", "2024-01-01T00:00:00+01", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+01:60",
        "2024-01-01T00:00:00ZZ", "2024-01-01T00:00:00Z ", " 2024-01-01T00:00:00Z", "2024-01-01T00:00:00 UTC",
        "２０２４-01-01T00:00:00Z", "yesterday",
    ])
    func invalid(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test("Formatting and parsing agree over four centuries of days")
    func calendarRoundTrip() {
        var day: Int64 = -25_000
        while day < 150_000 {
            let timestamp = Timestamp(microseconds: day * 86_400_000_000 + 45_296_789_000)
            #expect(Timestamp(iso8601: timestamp.iso8601) == timestamp)
            day += 37
        }
    }

    @Test("Arithmetic with intervals")
    func arithmetic() {
        let start = Timestamp(seconds: 100)
        #expect(start + .seconds(5) == Timestamp(seconds: 105))
        #expect(Timestamp(seconds: 105) - start == .seconds(5))
        #expect(Interval.milliseconds(1500).seconds == 1.5)
        #expect(Interval.seconds(2) * 3 == .seconds(6))
        #expect(start < start + .milliseconds(1))
    }
}
