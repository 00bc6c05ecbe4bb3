import Foundation
import Testing
@testable import Telemetry

@Suite("Backend protocol faults and response time from the intended send time")
struct BackendFaultTelemetryTests {
    /// Faults of a few kinds and scheduled completions, replayable on one loop or split over two.
    static func record(_ range: Range<Int>, into telemetry: LoopTelemetry) {
        let kinds = ["unmatchedResult", "lateAnswer", "unknownMessageType", "invalidCall"]
        for index in range {
            telemetry.protocolFault(kinds[index % kinds.count], sample: "frame \(index)")
            telemetry.callCompleted("Heartbeat", latencyMicros: Int64(100 + index))
            telemetry.callCompletedSinceDue("Heartbeat", micros: Int64(1_000 + index * 37))
        }
    }

    @Test("Counts per kind and intended-time histograms merge exactly; samples stay bounded",
          arguments: [0, 7, 20, 40])
    func mergeIsExact(split: Int) throws {
        let whole = LoopTelemetry()
        Self.record(0 ..< 40, into: whole)
        let first = LoopTelemetry()
        let second = LoopTelemetry()
        Self.record(0 ..< split, into: first)
        Self.record(split ..< 40, into: second)
        var merged = first.snapshot()
        merged.merge(second.snapshot())
        let expected = whole.snapshot()

        #expect(merged.backendFaults == expected.backendFaults)
        #expect(merged.backendFaults == ["unmatchedResult": 10, "lateAnswer": 10, "unknownMessageType": 10, "invalidCall": 10])
        #expect(merged.actions["Heartbeat"]?.responseFromIntended == expected.actions["Heartbeat"]?.responseFromIntended)
        #expect(merged.actions["Heartbeat"]?.responseFromIntended?.count == 40)
        for (kind, samples) in merged.backendFaultSamples {
            #expect(samples.count == TelemetrySnapshot.Limits.faultSamples, "\(kind)")
        }
        // One loop keeps the first samples of each kind.
        #expect(expected.backendFaultSamples["unmatchedResult"] == ["frame 0", "frame 4", "frame 8", "frame 12", "frame 16"])
    }

    @Test("The report carries faults, samples and responseFromIntended; report merge adds them")
    func report() throws {
        let telemetry = LoopTelemetry()
        Self.record(0 ..< 12, into: telemetry)
        telemetry.callCompleted("BootNotification", latencyMicros: 900)
        let report = RunReport.fixture(telemetry)
        #expect((report.schemaMinorVersion ?? 0) >= 2, "faults and responseFromIntended came with 1.2")
        #expect(report.backendFaults?["lateAnswer"] == 3)
        #expect(report.backendFaultSamples?["lateAnswer"] == ["frame 1", "frame 5", "frame 9"])
        #expect(report.actions["Heartbeat"]?.responseFromIntendedMicros?.count == 12)
        #expect(report.actions["Heartbeat"]?.responseFromIntendedHistogram != nil)
        #expect(report.actions["BootNotification"]?.responseFromIntendedMicros == nil)

        let json = try JSONSerialization.jsonObject(with: report.jsonData())
        #expect(jsonValue(at: "backendFaults.invalidCall", in: json) as? Int == 3)
        #expect(jsonValue(at: "actions.Heartbeat.responseFromIntendedMicros.count", in: json) as? Int == 12)
        #expect(jsonValue(at: "actions.BootNotification.responseFromIntendedMicros", in: json) == nil)

        var merged = report
        try merged.merge(report)
        #expect(merged.backendFaults?["lateAnswer"] == 6)
        #expect(merged.backendFaultSamples?["lateAnswer"]?.count == 5)
        #expect(merged.actions["Heartbeat"]?.responseFromIntendedMicros?.count == 24)
        #expect(merged.actions["Heartbeat"]?.responseFromIntendedMicros?.p99 == report.actions["Heartbeat"]?.responseFromIntendedMicros?.p99)

        // A report from before schema 1.2 has no fault counts: the merge does not invent them.
        var old = report
        old.backendFaults = nil
        old.backendFaultSamples = nil
        var mixed = report
        try mixed.merge(old)
        #expect(mixed.backendFaults == nil)
    }

    @Test("Thresholds on backendFaults, in total and by kind; text, Markdown and HTML show them")
    func thresholdsAndRenderers() throws {
        let telemetry = LoopTelemetry()
        Self.record(0 ..< 4, into: telemetry)
        var report = RunReport.fixture(telemetry)
        _ = report.applyThresholds([try Threshold.parse("backendFaults < 5"),
                                    try Threshold.parse("backendFaults{kind=lateAnswer} == 0"),
                                    try Threshold.parse("backendFaults{kind=binaryFrame} == 0")])
        let results = try #require(report.thresholds)
        #expect(results.map(\.observed) == [4, 1, 0])
        #expect(results.map(\.passed) == [true, false, true])
        #expect(throws: ThresholdParseError.self) { try Threshold.parse("backendFaults{action=Heartbeat} == 0") }

        let text = renderText(report: report)
        #expect(text.contains("Backend protocol faults"))
        #expect(text.contains("lateAnswer"))
        #expect(text.contains("From intended send"))
        let markdown = renderMarkdown(report: report, checks: report.checks)
        #expect(markdown.contains("| Backend protocol fault | count | sample |"))
        #expect(markdown.contains("From intended send"))
        let html = renderHTML(report: report)
        #expect(html.contains("CSMS protocol fault: lateAnswer"))
        #expect(html.contains("from intended send"))
    }
}
