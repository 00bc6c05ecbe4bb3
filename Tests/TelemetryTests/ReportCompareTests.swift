import Foundation
import Testing
@testable import Telemetry

@Suite("Comparing and merging reports")
struct ReportCompareTests {
    /// 100 BootNotifications answered in 1 ms and 2 slow ones (`tail` µs), so p50 is 1 ms and
    /// p99 (capped at the exact max) is `tail`; `errors` CALLERRORs and `timeouts` timeouts on
    /// StatusNotification.
    static func report(tail: Int64 = 10_000, errors: Int = 0, timeouts: Int = 0, cpuSeconds: Double = 7) -> RunReport {
        let telemetry = LoopTelemetry()
        for _ in 0 ..< 100 {
            telemetry.connected()
            telemetry.callSent("BootNotification")
            telemetry.callCompleted("BootNotification", latencyMicros: 1_000)
            telemetry.bootAccepted()
            telemetry.callSent("StatusNotification")
            telemetry.callCompleted("StatusNotification", latencyMicros: 500)
        }
        for _ in 0 ..< 2 {
            telemetry.callSent("BootNotification")
            telemetry.callCompleted("BootNotification", latencyMicros: tail)
        }
        for _ in 0 ..< errors {
            telemetry.callSent("StatusNotification")
            telemetry.callErrored("StatusNotification", code: "InternalError", latencyMicros: 300)
        }
        for _ in 0 ..< timeouts {
            telemetry.callSent("StatusNotification")
            telemetry.callTimedOut("StatusNotification")
        }
        return RunReport.build(
            snapshot: telemetry.snapshot(), run: .fixture, peakConnected: 100, baseline: .baselineFixture,
            end: ProcessSample(cpuSeconds: cpuSeconds, rssBytes: 60 * 1_048_576, peakRSSBytes: 60 * 1_048_576),
            availableCores: 2)
    }

    @Test("A report compared with itself passes, every change zero", arguments: [0.0, 0.1])
    func selfCompare(threshold: Double) throws {
        let report = Self.report(errors: 3, timeouts: 2)
        let comparison = report.compare(to: report, maxRegression: threshold)
        #expect(comparison.passed)
        #expect(comparison.regressions.isEmpty)
        let boot = try #require(comparison.actions["BootNotification"])
        #expect(boot.p99Micros == .init(base: 10_000, new: 10_000))
        #expect(boot.p99Micros.change == 0)
        #expect(comparison.actions["StatusNotification"]?.callErrors.change == 0)
        #expect(comparison.client.cpuMicrosPerCall.change == 0)
        #expect(comparison.client.rssBytesPerChargePoint.change == 0)
    }

    @Test("A 20% rise of p99 fails at 10% and passes at 25%", arguments: [(0.10, false), (0.25, true)])
    func p99Regression(threshold: Double, passes: Bool) throws {
        let base = Self.report(tail: 10_000)
        let new = Self.report(tail: 12_000)
        let comparison = base.compare(to: new, maxRegression: threshold)
        let p99 = try #require(comparison.actions["BootNotification"]?.p99Micros)
        #expect(p99.base == 10_000 && p99.new == 12_000)
        #expect(abs(try #require(p99.change) - 0.2) < 1e-9)
        #expect(p99.regressed == !passes)
        #expect(comparison.actions["BootNotification"]?.p50Micros.regressed == false)
        #expect(comparison.passed == passes)
        if !passes {
            #expect(comparison.regressions == [.init(
                subject: "BootNotification", metric: "p99Micros",
                message: "BootNotification p99 latency rose 20.0% (10.00 ms → 12.00 ms), more than 10%")])
        }
    }

    @Test("Faster is never a regression")
    func improvement() {
        let comparison = Self.report(tail: 12_000).compare(to: Self.report(tail: 6_000), maxRegression: 0)
        #expect(comparison.passed)
        #expect(comparison.actions["BootNotification"]?.p99Micros.change == -0.5)
    }

    @Test("CALLERRORs or timeouts rising from zero fail at any threshold",
          arguments: [(errors: 1, timeouts: 0), (errors: 0, timeouts: 4)])
    func failuresFromZero(errors: Int, timeouts: Int) {
        let comparison = Self.report().compare(to: Self.report(errors: errors, timeouts: timeouts), maxRegression: 10)
        #expect(!comparison.passed)
        let metric = errors > 0 ? "callErrors" : "timeouts"
        #expect(comparison.regressions.map(\.metric) == [metric])
        #expect(comparison.regressions.first?.subject == "StatusNotification")
        let status = comparison.actions["StatusNotification"]
        let delta = errors > 0 ? status?.callErrors : status?.timeouts
        #expect(delta?.regressed == true)
        #expect(delta?.base == 0)
        #expect(delta?.change == nil, "a rise from zero has no finite relative change")
    }

    @Test("An action only the new report sent counts its CALLERRORs as rising from zero")
    func newAction() throws {
        let base = Self.report()
        var new = base
        new.actions["Authorize"] = RunReport.Action(
            sent: 5, completed: 4, callErrors: 1, callErrorsByCode: ["NotSupported": 1], timeouts: 0)
        let comparison = base.compare(to: new, maxRegression: 0.1)
        let authorize = try #require(comparison.actions["Authorize"])
        #expect(authorize.sent == .init(base: 0, new: 5))
        #expect(authorize.p50Micros == .init(base: nil, new: nil))
        #expect(authorize.callErrors.regressed)
        #expect(comparison.regressions.map(\.subject) == ["Authorize"])
    }

    @Test("Client CPU per call rising past the threshold fails")
    func clientCost() {
        // 6 s of CPU in the base, 7.5 s in the new run, over the same calls: +25 %.
        let comparison = Self.report().compare(to: Self.report(cpuSeconds: 8.5), maxRegression: 0.2)
        #expect(comparison.client.cpuMicrosPerCall.regressed)
        #expect(!comparison.client.rssBytesPerChargePoint.regressed)
        #expect(comparison.regressions.map(\.metric) == ["cpuMicrosPerCall"])
        #expect(comparison.regressions.first?.message.hasPrefix("client CPU per call rose 25.0% (") == true)
    }

    @Test("Figures one report did not measure are shown but never regress")
    func notMeasured() {
        let base = Self.report()
        var new = base
        new.client.cpuMicrosPerCall = nil
        #expect(base.compare(to: new, maxRegression: 0).client.cpuMicrosPerCall == .init(base: base.client.cpuMicrosPerCall, new: nil))
        #expect(base.compare(to: new, maxRegression: 0).passed)
        #expect(new.compare(to: base, maxRegression: 0).passed)
    }

    @Test("The comparison's JSON has the documented keys")
    func jsonKeys() throws {
        let comparison = Self.report().compare(to: Self.report(tail: 20_000), maxRegression: 0.1)
        let data = try JSONEncoder().encode(comparison)
        let json = try JSONSerialization.jsonObject(with: data)
        for path in [
            "maxRegression", "actions.BootNotification.p50Micros.base", "actions.BootNotification.p99Micros.new",
            "actions.BootNotification.p99Micros.change", "actions.BootNotification.p99Micros.regressed",
            "actions.BootNotification.sent.base", "actions.StatusNotification.callErrors.new",
            "actions.StatusNotification.timeouts.regressed", "client.cpuMicrosPerCall.change",
            "client.rssBytesPerChargePoint.base", "regressions",
        ] {
            #expect(jsonValue(at: path, in: json) != nil, "missing \(path)")
        }
        let first = try #require((jsonValue(at: "regressions", in: json) as? [[String: Any]])?.first)
        #expect(first["subject"] as? String == "BootNotification")
        #expect(first["metric"] as? String == "p99Micros")
        #expect(first["message"] is String)
        #expect(try JSONDecoder().decode(ReportComparison.self, from: data) == comparison)
    }

    @Test("Merging a report with itself doubles every counter and keeps every percentile")
    func mergeWithSelf() throws {
        var report = RunReportTests.sampleReport(availableCores: nil)
        report.durationSeconds = 26.590068885  // measured, not round: start + duration − start loses digits
        report.simulatedSeconds = report.durationSeconds
        report.csms.counted = RunReport.CSMS.Counted(
            received: ["BootNotification": 10, "Heartbeat": 7], sent: ["TriggerMessage": 3],
            callErrorsSent: ["NotImplemented": 1], transactionsStarted: 4, transactionsStopped: 3,
            openTransactions: 1, violations: 2)
        var merged = report
        try merged.merge(report)

        #expect(merged.durationSeconds == report.durationSeconds, "same start, same end")
        #expect(merged.simulatedSeconds == report.simulatedSeconds)
        #expect(merged.startedAt == report.startedAt)
        #expect(merged.csms.counted == RunReport.CSMS.Counted(
            received: ["BootNotification": 20, "Heartbeat": 14], sent: ["TriggerMessage": 6],
            callErrorsSent: ["NotImplemented": 2], transactionsStarted: 8, transactionsStopped: 6,
            openTransactions: 2, violations: 4))
        #expect(merged.csms.url == report.csms.url && merged.csms.embedded == report.csms.embedded)

        #expect(merged.chargePoints == RunReport.ChargePoints(
            configured: 200, connected: 20, bootAccepted: 20, connectFailures: ["connection refused": 2],
            connectionFailures: ["connect": 2], connectionsOpened: 20, connectionsClosed: 0))
        #expect(merged.transactions == RunReport.Transactions(started: 2, stopped: 0, messages: TransactionMessageCounts()))
        #expect(merged.actions.keys == report.actions.keys)
        for (name, action) in report.actions {
            let doubled = try #require(merged.actions[name])
            #expect(doubled.sent == 2 * action.sent, "\(name)")
            #expect(doubled.completed == 2 * action.completed, "\(name)")
            #expect(doubled.callErrors == 2 * action.callErrors, "\(name)")
            #expect(doubled.timeouts == 2 * action.timeouts, "\(name)")
            #expect(doubled.callErrorsByCode == action.callErrorsByCode.mapValues { 2 * $0 }, "\(name)")
            for (mine, theirs) in [(doubled.latencyMicros, action.latencyMicros),
                                   (doubled.callErrorLatencyMicros, action.callErrorLatencyMicros)] {
                #expect((mine == nil) == (theirs == nil), "\(name)")
                guard let mine, let theirs else { continue }
                #expect([mine.p50, mine.p90, mine.p99, mine.p999, mine.max]
                    == [theirs.p50, theirs.p90, theirs.p99, theirs.p999, theirs.max], "\(name)")
                #expect(mine.mean == theirs.mean, "\(name)")
                #expect(mine.count == 2 * theirs.count, "\(name)")
            }
        }
        for (name, incoming) in report.incoming {
            #expect(merged.incoming[name] == RunReport.Incoming(
                received: 2 * incoming.received, answered: 2 * incoming.answered,
                callErrors: 2 * incoming.callErrors, callErrorsByCode: incoming.callErrorsByCode.mapValues { 2 * $0 }))
        }
        #expect(merged.client.cpuSeconds == 12)
        #expect(merged.client.callsHandled == 80)
        #expect(merged.client.peakRSSBytes == 120 * 1_048_576)
        #expect(merged.client.baselineRSSBytes == 100 * 1_048_576)
        #expect(merged.client.cpuMicrosPerCall == report.client.cpuMicrosPerCall)
        #expect(merged.client.rssBytesPerChargePoint == report.client.rssBytesPerChargePoint)
        #expect(merged.warnings == report.warnings, "no note: same seed and CSMS")
        #expect(report.compare(to: merged, maxRegression: 0).passed, "percentiles and per-unit costs unchanged")
    }

    @Test("The embedded CSMS's counts add up over runs; a run against another CSMS makes them unknown, and runs that started apart span from the first start to the last end")
    func mergeCountedAndTiming() throws {
        var first = RunReportTests.sampleReport(availableCores: nil)
        first.csms.counted = RunReport.CSMS.Counted(
            received: ["BootNotification": 10], sent: [:], callErrorsSent: [:], transactionsStarted: 1,
            transactionsStopped: 1, openTransactions: 0, violations: 0)
        var second = first
        second.csms = .init(url: "ws://127.0.0.1:9100/ocpp", embedded: true, counted: .init(
            received: ["BootNotification": 5, "Authorize": 2], sent: ["TriggerMessage": 1], callErrorsSent: [:],
            transactionsStarted: 2, transactionsStopped: 1, openTransactions: 1, violations: 0))
        second.startedAt = "2025-06-15T15:06:42.500Z"
        second.durationSeconds = 60.125

        var merged = first
        try merged.merge(second)
        #expect(merged.csms.counted?.received == ["BootNotification": 15, "Authorize": 2])
        #expect(merged.csms.counted?.openTransactions == 1 && merged.csms.counted?.transactionsStarted == 3)
        #expect(merged.warnings.contains { $0.hasPrefix("merged reports ran against different CSMSs") })
        #expect(merged.startedAt == first.startedAt)
        #expect(merged.durationSeconds == 62.625, "2.5 s later, 60.125 s long")

        var external = second
        external.csms = .init(url: "ws://127.0.0.1:9000/ocpp", embedded: false)
        var mixed = first
        try mixed.merge(external)
        #expect(mixed.csms.counted == nil, "what the external CSMS received is unknown")
    }
}
