import Testing
@testable import Telemetry

@Suite("Text summary")
struct TextReportTests {
    @Test("The summary shows charge points, actions, incoming CALLs, transactions and client cost")
    func sections() {
        let text = renderText(report: RunReportTests.sampleReport())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "ocpp-fleet 0.1.0 · seed 42 · started 2025-06-15T15:06:40.000Z · 60.00 s")
        #expect(lines.contains("CSMS ws://127.0.0.1:9000/ocpp (embedded)"))
        #expect(lines.contains("  connect failures: connection refused 1"))
        #expect(lines.contains { $0.hasPrefix("BootNotification") && $0.hasSuffix("10         10           0         0    1.40    1.90") })
        #expect(lines.contains { $0.hasPrefix("StatusNotification") && $0.hasSuffix("1         1       –       –") })
        #expect(lines.contains { $0.hasPrefix("Reset") && $0.hasSuffix("10        10           0") })
    }

    @Test("Table columns line up")
    func alignment() {
        let lines = renderText(report: RunReportTests.sampleReport()).split(separator: "\n").map(String.init)
        let header = lines.firstIndex { $0.hasPrefix("Action") }!
        let table = lines[header ... header + 3]
        #expect(Set(table.map(\.count)).count == 1, "\(table)")
    }

    @Test("Numbers not measured print as a dash")
    func dashes() {
        let report = RunReport.build(
            snapshot: TelemetrySnapshot(), run: .fixture, peakConnected: 0,
            baseline: ProcessSample(cpuSeconds: 0, rssBytes: 0, peakRSSBytes: nil),
            end: ProcessSample(cpuSeconds: 0, rssBytes: 0, peakRSSBytes: nil), availableCores: nil)
        let text = renderText(report: report)
        #expect(text.contains("Action: no CALLs sent"))
        #expect(text.contains("Incoming: no CALLs received"))
        let clientValues = text.split(separator: "\n").first { $0.hasPrefix("Client") }
            .flatMap { header in text.split(separator: "\n").drop { $0 != header }.dropFirst().first }
        #expect(clientValues?.split(separator: " ") == ["–", "–", "0.00", "–", "–", "–"])
    }

    @Test("Warnings are listed last")
    func warnings() {
        var report = RunReportTests.sampleReport()
        report.warnings = ["client CPU was 95% of 2 cores"]
        let lines = renderText(report: report).split(separator: "\n").map(String.init)
        #expect(Array(lines.suffix(2)) == ["Warnings", "  ! client CPU was 95% of 2 cores"])
    }
}
