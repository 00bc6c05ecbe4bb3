import Foundation
import Testing
@testable import Telemetry

@Suite("Reconnect spread: time from a lost connection to the next")
struct ReconnectTelemetryTests {
    /// Downtimes of 1 s, 2 s, … for `range`, one reconnect each.
    static func record(_ range: Range<Int>, into telemetry: LoopTelemetry) {
        for index in range { telemetry.reconnected(downtimeMicros: Int64(index + 1) * 1_000_000) }
    }


    @Test("Snapshots and shard reports merge to what one loop would have recorded", arguments: [0, 7, 20])
    func mergeIsExact(split: Int) throws {
        let whole = LoopTelemetry()
        Self.record(0 ..< 20, into: whole)
        let first = LoopTelemetry()
        let second = LoopTelemetry()
        Self.record(0 ..< split, into: first)
        Self.record(split ..< 20, into: second)
        var merged = first.snapshot()
        merged.merge(second.snapshot())
        #expect(merged.reconnectDowntime == whole.snapshot().reconnectDowntime)
        #expect(merged.reconnectDowntime?.count == 20)

        var shards = RunReport.fixture(first)
        try shards.merge(RunReport.fixture(second))
        let expected = RunReport.fixture(whole).chargePoints
        #expect(shards.chargePoints.reconnectDowntimeMicros == expected.reconnectDowntimeMicros)
        #expect(shards.chargePoints.reconnectDowntimeHistogram == expected.reconnectDowntimeHistogram)
        let summary = try #require(expected.reconnectDowntimeMicros)
        #expect(summary.count == 20)
        #expect(summary.max == 20_000_000)
        #expect(abs(summary.p50 - 10_000_000) <= 10_000, "within HDR's 0.1 %: \(summary.p50)")
    }

    @Test("Without reconnects the report has no figure (not a zero), and reads back from JSON")
    func absentWithoutReconnects() throws {
        let quiet = RunReport.fixture(LoopTelemetry())
        #expect(quiet.chargePoints.reconnectDowntimeMicros == nil)
        #expect(quiet.chargePoints.reconnectText == nil)
        let json = try JSONSerialization.jsonObject(with: quiet.jsonData())
        #expect(jsonValue(at: "chargePoints.reconnectDowntimeMicros", in: json) == nil)

        let telemetry = LoopTelemetry()
        Self.record(0 ..< 4, into: telemetry)
        let report = RunReport.fixture(telemetry)
        #expect(try JSONDecoder().decode(RunReport.self, from: report.jsonData()) == report)
        #expect(report.schemaMinorVersion == 5)
    }

    @Test("Thresholds read the spread; text, Markdown and HTML show it")
    func thresholdsAndRenderers() throws {
        let telemetry = LoopTelemetry()
        Self.record(0 ..< 10, into: telemetry)
        var report = RunReport.fixture(telemetry)
        _ = report.applyThresholds([try Threshold.parse("reconnect.p99 < 30s"),
                                    try Threshold.parse("reconnect.p50 < 2s"),
                                    try Threshold.parse("reconnects == 10"),
                                    try Threshold.parse("reconnect.max <= 10s")])
        let verdicts = try #require(report.thresholds).map(\.passed)
        #expect(verdicts == [true, false, true, true])

        var none = RunReport.fixture(LoopTelemetry())
        _ = none.applyThresholds([try Threshold.parse("reconnect.p99 < 30s"), try Threshold.parse("reconnects == 0")])
        #expect(none.thresholds?.map(\.noData) == [true, false])
        #expect(none.thresholds?.map(\.passed) == [false, true])

        let line = "10 reconnects, back after p50 5.00 s, p90 9.00 s, p99 10.0 s, max 10.0 s"
        #expect(report.chargePoints.reconnectText == line)
        #expect(renderText(report: report).contains(line))
        #expect(renderMarkdown(report: report).contains("Reconnects: \(line)."))
        #expect(renderHTML(report: report).contains("<dt>Reconnects</dt><dd>\(line)</dd>"))
    }
}
