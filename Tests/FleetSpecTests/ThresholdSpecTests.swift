import Telemetry
import Testing

@testable import FleetSpec

@Suite("Thresholds in the fleet spec")
struct ThresholdSpecTests {
    static let group = """
        groups:
          - count: 1
            idPattern: "CP-{index}"

        """

    @Test("A thresholds list parses into expressions, plain or quoted")
    func parses() throws {
        let spec = try FleetSpec.parse(yaml: Self.group + """
            thresholds:
              - latency.p99{action=StartTransaction} < 800ms
              - "errors.rate < 0.1%"
              - 'timeouts == 0'

            """, file: "t.yaml")
        #expect(spec.thresholds.map(\.expression) == [
            "latency.p99{action=StartTransaction} < 800ms", "errors.rate < 0.1%", "timeouts == 0",
        ])
        #expect(spec.thresholds[0].metric == .latencyP99)
        #expect(spec.thresholds[0].action == "StartTransaction")
        #expect(spec.thresholds[1].limit == 0.001)
    }

    @Test("A spec without thresholds has none")
    func absent() throws {
        #expect(try FleetSpec.parse(yaml: Self.group, file: "t.yaml").thresholds.isEmpty)
    }

    @Test("Bad thresholds are reported at file:line:column inside the expression, all at once")
    func errorsPointIntoTheExpression() {
        let yaml = Self.group + """
            thresholds:
              - latency.p99 < 800
              - "errors.rat < 1%"
              - latency.p99{action=X} < 1s
              - timeouts == 0 ms

            """
        #expect(errors(yaml) == [
            "bad.yaml:5:22: thresholds[0]: latency.p99 is a duration: add a unit (us, ms, s, m), e.g. 800ms",
            "bad.yaml:6:6: thresholds[1]: unknown metric 'errors.rat'; did you mean 'errors.rate'?",
            "bad.yaml:8:19: thresholds[3]: unexpected 'ms' after the limit",
        ])
    }

    @Test("thresholds must be a list of strings", arguments: [
        ("thresholds: latency.p99 < 1s\n", "bad.yaml:4:13: thresholds: must be a list of expressions like '- latency.p99 < 800ms', got 'latency.p99 < 1s'"),
        ("thresholds:\n  - {a: 1}\n", "bad.yaml:5:5: thresholds[0]: must be an expression like 'latency.p99 < 800ms', got a mapping"),
        ("threshold:\n  - timeouts == 0\n", "bad.yaml:4:1: threshold: unknown key; did you mean 'thresholds'?"),
    ])
    func shape(tail: String, expected: String) {
        #expect(errors(Self.group + tail) == [expected])
    }
}
