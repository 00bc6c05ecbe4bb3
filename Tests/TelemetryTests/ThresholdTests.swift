import Foundation
import Testing
@testable import Telemetry

@Suite("Threshold expressions")
struct ThresholdParseTests {
    @Test("Valid expressions parse into metric, labels, comparison and a limit in the base unit", arguments: [
        ("latency.p99{action=StartTransaction} < 800ms", ThresholdMetric.latencyP99, "StartTransaction", nil,
         Threshold.Comparison.less, 800_000.0),
        ("latency.p95 < 2s", .latencyP95, nil, nil, .less, 2_000_000),
        ("latency.max<=1m", .latencyMax, nil, nil, .lessOrEqual, 60_000_000),
        ("latency.p50 { action = Heartbeat } < 250us", .latencyP50, "Heartbeat", nil, .less, 250),
        ("errors.rate < 0.1%", .errorRate, nil, nil, .less, 0.001),
        ("errors.rate{action=MeterValues} <= 0.05", .errorRate, "MeterValues", nil, .lessOrEqual, 0.05),
        ("boot.accepted.ratio > 99.9%", .bootAcceptedRatio, nil, nil, .greater, 0.999),
        ("timeouts == 0", .timeouts, nil, nil, .equal, 0),
        ("callErrors{code=NotImplemented} == 0", .callErrors, nil, "NotImplemented", .equal, 0),
        ("callErrors{action=Authorize,code=InternalError}!=3", .callErrors, "Authorize", "InternalError", .notEqual, 3),
        ("saturated == 0", .saturated, nil, nil, .equal, 0),
        ("client.rssPerChargePoint < 8KiB", .rssPerChargePoint, nil, nil, .less, 8192),
        ("client.cpuPerCall < 300us", .cpuPerCall, nil, nil, .less, 300),
        ("connected >= 100", .connected, nil, nil, .greaterOrEqual, 100),
    ] as [(String, ThresholdMetric, String?, String?, Threshold.Comparison, Double)])
    func parses(text: String, metric: ThresholdMetric, action: String?, code: String?,
                comparison: Threshold.Comparison, limit: Double) throws {
        let threshold = try Threshold.parse("  " + text + " ")
        #expect(threshold.expression == text)
        #expect(threshold.metric == metric)
        #expect(threshold.action == action)
        #expect(threshold.code == code)
        #expect(threshold.comparison == comparison)
        #expect(abs(threshold.limit - limit) < 1e-9)
    }

    @Test("Parse errors say what is wrong and point at the column", arguments: [
        ("", 1, "empty threshold; write e.g. latency.p99 < 800ms"),
        ("latency.pp99 < 1s", 1, "unknown metric 'latency.pp99'; did you mean 'latency.p99'?"),
        ("p99 < 1s", 1, "unknown metric 'p99'; known metrics: \(ThresholdMetric.allCases.map(\.name).joined(separator: ", "))"),
        ("latency.p99{actoin=Boot} < 1s", 13, "unknown label 'actoin'; latency.p99 accepts: action"),
        ("timeouts{code=X} == 0", 10, "unknown label 'code'; timeouts accepts: action"),
        ("saturated{action=X} == 0", 11, "unknown label 'action'; saturated takes no labels"),
        ("latency.p99{action=} < 1s", 20, "label 'action' needs a value"),
        ("latency.p99{action=A < 1s", 26, "'{' at column 12 is never closed"),
        ("latency.p99{action=A,action=B} < 1s", 22, "label 'action' given twice"),
        ("latency.p99 => 1s", 13, "expected a comparison (<, <=, >, >=, ==, !=), got '=>'"),
        ("latency.p99 800ms", 13, "expected a comparison (<, <=, >, >=, ==, !=), got '8'"),
        ("latency.p99 <", 14, "expected a number after the comparison, e.g. 800ms"),
        ("latency.p99 < 800", 18, "latency.p99 is a duration: add a unit (us, ms, s, m), e.g. 800ms"),
        ("latency.p99 < 800h", 18, "unknown duration unit 'h'; use us, ms, s or m"),
        ("errors.rate < 5", 15, "errors.rate is a ratio: write a percentage (5%) or a fraction from 0 to 1"),
        ("timeouts < 5ms", 13, "timeouts is a count and takes no unit, got 'ms'"),
        ("timeouts < 1.2.3", 12, "'1.2.3' is not a number"),
        ("saturated == 2", 14, "saturated is 1 (true) or 0 (false): write saturated == 0"),
        ("timeouts == 0 extra", 15, "unexpected 'extra' after the limit"),
    ])
    func rejects(text: String, column: Int, message: String) {
        #expect(throws: ThresholdParseError(column: column, message: message)) { try Threshold.parse(text) }
    }
}

@Suite("Threshold verdicts")
struct ThresholdEvaluationTests {
    /// 10 boots (1.0–1.9 ms), 10 heartbeats (0.4 ms), StatusNotification: 10 sent, 1 CALLERROR, 1 timeout.
    static let report = RunReportTests.sampleReport()

    func evaluate(_ text: String) throws -> ThresholdResult {
        try Threshold.parse(text).evaluate(on: Self.report)
    }

    @Test("A latency threshold on one action reads that action's histogram")
    func latencyOfOneAction() throws {
        let held = try evaluate("latency.p99{action=BootNotification} < 2ms")
        #expect(held.passed)
        #expect(held.observed == 1_900)
        #expect(held.unit == "µs")
        #expect(held.message == "latency.p99 (BootNotification) = 1.9 ms, holds: must be < 2 ms")
        let p95 = try evaluate("latency.p95{action=BootNotification} < 1ms")
        #expect(!p95.passed)
        #expect(p95.observed == 1_900)
    }

    @Test("Without an action, a latency threshold holds the worst action to it")
    func worstAction() throws {
        let result = try evaluate("latency.p50 < 1ms")
        #expect(!result.passed)
        #expect(result.observed == 1_400)
        #expect(result.message.contains("worst: BootNotification"))
    }

    @Test("A metric the run did not measure fails as no data and shows no number", arguments: [
        ("latency.p99{action=DataTransfer} < 1s", "no data: the charge points never sent DataTransfer"),
        ("latency.p99{action=StatusNotification} < 1s", "no data: no StatusNotification was answered with a CALLRESULT"),
        ("errors.rate{action=Authorize} < 1%", "no data: the charge points never sent Authorize"),
        ("timeouts{action=Authorize} == 0", "no data: the charge points never sent Authorize"),
        ("incoming.received{action=Reset2} > 0", "no data: the CSMS never sent Reset2"),
    ])
    func noData(text: String, message: String) throws {
        let result = try evaluate(text)
        #expect(!result.passed)
        #expect(result.noData)
        #expect(result.observed == nil)
        #expect(result.message == message)
    }

    @Test("Counts, ratios and flags are read from the report", arguments: [
        ("timeouts == 0", 1.0, false),
        ("timeouts{action=BootNotification} == 0", 0, true),
        ("callErrors{code=FormationViolation} == 1", 1, true),
        ("callErrors{code=NotImplemented} == 0", 0, true),
        ("errors == 2", 2, true),
        ("errors.rate < 10%", 2.0 / 30, true),
        ("errors.rate{action=StatusNotification} < 10%", 0.2, false),
        ("boot.accepted.ratio > 99.9%", 0.1, false),
        ("connected.ratio == 100%", 0.1, false),
        ("connectFailures{reason=connection refused} == 1", 1, true),
        ("incoming.received{action=Reset} == 10", 10, true),
        ("saturated == 0", 0, true),
        ("client.cpuPerCall < 200ms", 150_000, true),
        ("client.rssPerChargePoint < 1MiB", 1_048_576, false),
    ] as [(String, Double, Bool)])
    func figures(text: String, observed: Double, passes: Bool) throws {
        let result = try evaluate(text)
        #expect(result.observed.map { abs($0 - observed) < 1e-9 } == true, "\(text): \(result)")
        #expect(result.passed == passes, "\(text): \(result.message)")
    }

    @Test("A report with thresholds is checked by them; results go into report.json, Markdown and JUnit")
    func checksAndFormats() throws {
        var report = Self.report
        let held = report.applyThresholds([
            try Threshold.parse("latency.p99 < 1s"), try Threshold.parse("timeouts == 0"),
            try Threshold.parse("latency.p99 < 1s"),
        ])
        #expect(!held)
        #expect(report.thresholds?.map(\.expression) == ["latency.p99 < 1s", "timeouts == 0"])
        #expect(report.checks.map(\.name) == ["latency.p99 < 1s", "timeouts == 0"])
        let json = try JSONSerialization.jsonObject(with: report.jsonData())
        let first = try #require((jsonValue(at: "thresholds", in: json) as? [[String: Any]])?.first)
        #expect(first["expression"] as? String == "latency.p99 < 1s")
        #expect(first["passed"] as? Bool == true)
        #expect(first["observed"] as? Double == 1_900)
        let markdown = renderMarkdown(report: report)
        #expect(markdown.contains("**Thresholds:** 1 of 2 failed"))
        #expect(markdown.contains("| `timeouts == 0` | 1 | ❌ fail |"))
        let junit = renderJUnit(report: report, checks: report.checks)
        #expect(junit.contains(#"<testcase classname="ocpp-fleet" name="timeouts == 0" time="0">"#))
        #expect(junit.contains(#"tests="2" failures="1""#))
        #expect(!junit.contains("every charge point connected"))
    }
}
