import Foundation
import Testing
@testable import Telemetry

@Suite("Run reports")
struct RunReportTests {
    /// 10 charge points booted; 30 CALLs sent, 10 CALLs received; 1 CALLERROR and 1 timeout.
    static func sampleSnapshot() -> TelemetrySnapshot {
        let telemetry = LoopTelemetry()
        for index in 0 ..< 10 {
            telemetry.connected()
            telemetry.callSent("BootNotification")
            telemetry.callCompleted("BootNotification", latencyMicros: 1_000 + Int64(index) * 100)
            telemetry.bootAccepted()
            telemetry.callSent("Heartbeat")
            telemetry.callCompleted("Heartbeat", latencyMicros: 400)
            telemetry.callSent("StatusNotification")
            telemetry.incomingReceived("Reset")
            telemetry.incomingAnswered("Reset")
        }
        telemetry.callErrored("StatusNotification", code: "FormationViolation", latencyMicros: 250)
        telemetry.callTimedOut("StatusNotification")
        telemetry.transactionStarted()
        telemetry.connectFailed(reason: "connection refused", kind: "connect")
        return telemetry.snapshot()
    }

    static func sampleReport(availableCores: Int? = 2) -> RunReport {
        RunReport.build(
            snapshot: sampleSnapshot(), run: .fixture, peakConnected: 10,
            baseline: .baselineFixture, end: .endFixture, availableCores: availableCores)
    }

    @Test("Client cost: CPU per call over CALLs sent and received, RSS growth per connected charge point")
    func clientFigures() throws {
        let client = Self.sampleReport().client
        #expect(client.cpuSeconds == 6)
        #expect(client.callsHandled == 40)
        #expect(client.cpuMicrosPerCall == 150_000)
        #expect(client.baselineRSSBytes == 50 * 1_048_576)
        #expect(client.peakRSSBytes == 60 * 1_048_576)
        #expect(client.rssBytesPerChargePoint == 1_048_576)
        #expect(client.cpuUtilization == 0.05)
        #expect(client.availableCores == 2)
    }

    @Test("Counters and latency summaries are carried from the snapshot")
    func counters() throws {
        let report = Self.sampleReport()
        #expect(report.chargePoints == RunReport.ChargePoints(
            configured: 100, connected: 10, bootAccepted: 10, connectFailures: ["connection refused": 1],
            connectionFailures: ["connect": 1], connectionsOpened: 10, connectionsClosed: 0))
        let boot = try #require(report.actions["BootNotification"])
        #expect(boot.sent == 10 && boot.completed == 10 && boot.callErrors == 0 && boot.timeouts == 0)
        #expect(boot.latencyMicros?.max == 1_900)
        #expect(boot.latencyMicros?.count == 10)
        let status = try #require(report.actions["StatusNotification"])
        #expect(status.callErrorsByCode == ["FormationViolation": 1])
        #expect(status.latencyMicros == nil)
        #expect(status.histogram == nil)
        #expect(status.callErrorLatencyMicros?.max == 250)
        #expect(report.incoming["Reset"] == RunReport.Incoming(received: 10, answered: 10, callErrors: 0, callErrorsByCode: [:]))
        #expect(report.transactions == RunReport.Transactions(started: 1, stopped: 0, messages: TransactionMessageCounts()))
        #expect(report.startedAt == "2025-06-15T15:06:40.000Z")
        #expect(report.schemaVersion == 1)
        #expect(report.warnings.isEmpty)
    }

    @Test("The histogram in the report decodes to the latencies' percentiles")
    func histogramInReport() throws {
        let report = Self.sampleReport()
        let boot = try #require(report.actions["BootNotification"])
        let histogram = try LatencyHistogram(encoded: try #require(boot.histogram))
        #expect(histogram.summary == boot.latencyMicros)
        #expect(histogram == Self.sampleSnapshot().actions["BootNotification"]?.latency)
    }

    @Test("JSON has every documented key path")
    func jsonKeys() throws {
        var report = Self.sampleReport()
        report.warnings = ["example"]
        let json = try JSONSerialization.jsonObject(with: report.jsonData())
        let paths = [
            "schemaVersion", "tool.name", "tool.version", "seed", "startedAt", "durationSeconds",
            "csms.url", "csms.embedded",
            "chargePoints.configured", "chargePoints.connected", "chargePoints.bootAccepted",
            "chargePoints.connectFailures.connection refused", "chargePoints.connectionFailures.connect",
            "chargePoints.connectionsOpened",
            "chargePoints.connectionsClosed",
            "actions.BootNotification.sent", "actions.BootNotification.completed",
            "actions.BootNotification.callErrors", "actions.BootNotification.callErrorsByCode",
            "actions.BootNotification.timeouts", "actions.BootNotification.histogram",
            "actions.BootNotification.latencyMicros.p50", "actions.BootNotification.latencyMicros.p90",
            "actions.BootNotification.latencyMicros.p99", "actions.BootNotification.latencyMicros.p999",
            "actions.BootNotification.latencyMicros.max", "actions.BootNotification.latencyMicros.mean",
            "actions.BootNotification.latencyMicros.count",
            "actions.StatusNotification.callErrorLatencyMicros.p99", "actions.StatusNotification.callErrorHistogram",
            "incoming.Reset.received", "incoming.Reset.answered", "incoming.Reset.callErrors",
            "incoming.Reset.callErrorsByCode",
            "transactions.started", "transactions.stopped",
            "client.cpuSeconds", "client.peakRSSBytes", "client.baselineRSSBytes", "client.rssBytesPerChargePoint",
            "client.cpuMicrosPerCall", "client.callsHandled", "client.availableCores", "client.cpuUtilization",
            "warnings",
        ]
        for path in paths {
            #expect(jsonValue(at: path, in: json) != nil, "missing \(path)")
        }
        #expect(jsonValue(at: "schemaVersion", in: json) as? Int == 1)
        #expect(jsonValue(at: "csms.url", in: json) as? String == "ws://127.0.0.1:9000/ocpp")
        #expect(jsonValue(at: "actions.StatusNotification.latencyMicros", in: json) == nil)
        #expect(jsonValue(at: "client.eventLoopLagMicros", in: json) == nil)
    }

    @Test("A report written before connectionFailures existed still reads, with none counted; merging adds kinds")
    func connectionFailuresCompatible() throws {
        let report = Self.sampleReport()
        var object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        var points = try #require(object["chargePoints"] as? [String: Any])
        points["connectionFailures"] = nil
        object["chargePoints"] = points
        let old = try RunReport.decode(from: JSONSerialization.data(withJSONObject: object))
        #expect(old.chargePoints.connectionFailures == [:])
        #expect(old.schemaVersion == 1)
        var merged = report
        try merged.merge(report)
        #expect(merged.chargePoints.connectionFailures == ["connect": 2])
    }

    @Test("Numbers not measured are absent, not zero")
    func notMeasured() throws {
        let report = RunReport.build(
            snapshot: TelemetrySnapshot(), run: .fixture, peakConnected: 0,
            baseline: ProcessSample(cpuSeconds: 1, rssBytes: 0, peakRSSBytes: nil),
            end: ProcessSample(cpuSeconds: 1.5, rssBytes: 0, peakRSSBytes: nil), availableCores: nil)
        #expect(report.client.cpuMicrosPerCall == nil)
        #expect(report.client.rssBytesPerChargePoint == nil)
        #expect(report.client.baselineRSSBytes == nil)
        #expect(report.client.peakRSSBytes == nil)
        #expect(report.client.cpuUtilization == nil)
        let json = try JSONSerialization.jsonObject(with: report.jsonData())
        for path in ["client.cpuMicrosPerCall", "client.rssBytesPerChargePoint", "client.peakRSSBytes", "client.availableCores"] {
            #expect(jsonValue(at: path, in: json) == nil, "\(path) should be absent")
        }
        #expect(jsonValue(at: "client.cpuSeconds", in: json) as? Double == 0.5)
    }

    @Test("A report survives a JSON round trip, including a 64-bit seed")
    func roundTrip() throws {
        var report = Self.sampleReport()
        report.seed = .max
        #expect(try RunReport.decode(from: report.jsonData()) == report)
    }

    @Test("Saturated client CPU adds a warning with the figure")
    func cpuWarning() throws {
        let warning = try #require(RunReport.cpuSaturationWarning(cpuSeconds: 114, durationSeconds: 60, cores: 2))
        #expect(warning.hasPrefix("client CPU was 95% of 2 cores (114.0 s CPU in 60.0 s)"))
        #expect(warning.contains("the generator itself may be the bottleneck"))
        #expect(RunReport.cpuSaturationWarning(cpuSeconds: 100, durationSeconds: 60, cores: 2) == nil)

        let busy = RunReport.build(
            snapshot: Self.sampleSnapshot(), run: .fixture, peakConnected: 10, baseline: .baselineFixture,
            end: ProcessSample(cpuSeconds: 60, rssBytes: 1, peakRSSBytes: 1), availableCores: 1)
        #expect(busy.warnings.count == 1)
        #expect(busy.warnings.first?.hasPrefix("client CPU was 98% of 1 core ") == true)
    }

    @Test("Late event loops add a warning")
    func lagWarning() {
        let telemetry = LoopTelemetry()
        for _ in 0 ..< 100 { telemetry.eventLoopLagSampled(micros: 80_000) }
        let report = RunReport.build(
            snapshot: telemetry.snapshot(), run: .fixture, peakConnected: 0,
            baseline: .baselineFixture, end: .endFixture, availableCores: 2)
        #expect(report.client.eventLoopLagMicros?.p99 == 80_000)
        #expect(report.warnings.contains { $0.hasPrefix("event-loop lag p99 was 80.00 ms (max 80.00 ms)") })
    }

    @Test("Merging shard reports equals the report of the merged snapshots")
    func mergeReports() throws {
        let events = Event.workload(count: 4_000, seed: 99)
        let first = LoopTelemetry.recording(events[..<1_500]).snapshot()
        let second = LoopTelemetry.recording(events[1_500...]).snapshot()
        var whole = first
        whole.merge(second)

        func report(_ snapshot: TelemetrySnapshot, peak: Int, cpu: Double) -> RunReport {
            RunReport.build(
                snapshot: snapshot, run: .fixture, peakConnected: peak,
                baseline: ProcessSample(cpuSeconds: 0, rssBytes: 1_000, peakRSSBytes: 1_000),
                end: ProcessSample(cpuSeconds: cpu, rssBytes: 2_000, peakRSSBytes: 9_000), availableCores: nil)
        }
        var merged = report(first, peak: 5, cpu: 1)
        try merged.merge(report(second, peak: 3, cpu: 2))
        let expected = report(whole, peak: 8, cpu: 3)

        #expect(merged.actions == expected.actions)
        #expect(merged.incoming == expected.incoming)
        #expect(merged.transactions == expected.transactions)
        #expect(merged.chargePoints.connected == 8)
        #expect(merged.chargePoints.configured == 200)
        #expect(merged.chargePoints.bootAccepted == expected.chargePoints.bootAccepted)
        #expect(merged.chargePoints.connectFailures == expected.chargePoints.connectFailures)
        #expect(merged.client.cpuSeconds == 3)
        #expect(merged.client.cpuMicrosPerCall == expected.client.cpuMicrosPerCall)
        #expect(merged.client.eventLoopLagHistogram == expected.client.eventLoopLagHistogram)
        #expect(merged.client.eventLoopLagMicros == expected.client.eventLoopLagMicros)
        #expect(merged.client.rssBytesPerChargePoint == (2 * 8_000) / 8)
        #expect(merged.client.availableCores == nil)
        #expect(merged.durationSeconds == 60)
    }

    @Test("Merging spans the earliest start to the latest end and rejects other schema versions")
    func mergeTiming() throws {
        var early = Self.sampleReport()
        var late = Self.sampleReport()
        late.startedAt = "2025-06-15T15:07:10.000Z"  // 30 s later, also 60 s long
        try early.merge(late)
        #expect(early.startedAt == "2025-06-15T15:06:40.000Z")
        #expect(early.durationSeconds == 90)

        var future = Self.sampleReport()
        future.schemaVersion = 2
        var current = Self.sampleReport()
        #expect(throws: RunReport.MergeError.schemaVersionMismatch(1, 2)) { try current.merge(future) }
    }
}

@Suite("Soak drift from the time series")
struct SoakDriftTests {
    func series(_ values: [Int], key: WritableKeyPath<TimeSeries.Point, Int?>) -> TimeSeries {
        var series = TimeSeries()
        for (second, value) in values.enumerated() {
            var point = TimeSeries.Point(time: 1_000 + Int64(second))
            point[keyPath: key] = value
            series.record(point)
        }
        return series
    }

    @Test("After the warm-up, the last tenth's median is compared with the first tenth's")
    func drift() throws {
        // 40 s of warm-up growth, then flat at 100 with noise, then a climb to 110 at the end.
        let values = (0..<40).map { 50 + $0 } + (0..<100).map { 100 + ($0 % 3) } + (0..<20).map { _ in 110 }
        let drift = try #require(series(values, key: \.rssBytes).drift(of: { $0.rssBytes }))
        #expect(drift.start == 101)
        #expect(drift.end == 110)
    }

    @Test("Too few samples after the warm-up give no drift, and the threshold says no data")
    func tooShort() throws {
        let short = series(Array(repeating: 5, count: 20), key: \.openFileDescriptors)
        #expect(short.drift(of: { $0.openFileDescriptors }) == nil)
    }
}
