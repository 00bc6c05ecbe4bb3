import Benchmark
import ChargePoint
import OCPP

// CPU and allocations of the wire layer on the hottest outbound message. CI gates
// allocation counts (deterministic); CPU figures are compared, never gated.

private let meterValues = V16.MeterValuesRequest(
    connectorId: 1, transactionId: 4711,
    meterValue: [V16.MeterValue(timestamp: Timestamp(seconds: 1_790_000_000), sampledValue: [
        V16.SampledValue(value: "12345", measurand: .energyActiveImportRegister, unit: .wh),
        V16.SampledValue(value: "11000", measurand: .powerActiveImport, unit: .w),
        V16.SampledValue(value: "15.9", measurand: .currentImport, unit: .a),
    ])])

private let meterValuesFrame = Frame.encodeCall(id: "123", action: V16.Action.meterValues.rawValue, payload: meterValues.encoded)

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.cpuTotal, .wallClock, .mallocCountTotal, .throughput, .instructions]
    let configuration = Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(5))

    Benchmark("MeterValues: encode a CALL frame", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Frame.encodeCall(id: "123", action: V16.Action.meterValues.rawValue, payload: meterValues.encoded))
        }
    }

    Benchmark("MeterValues: decode and validate a CALL frame", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            guard case let .call(_, _, payload) = try Frame.parse(meterValuesFrame) else { fatalError("not a CALL") }
            blackHole(try V16.MeterValuesRequest(json: payload))
        }
    }

    Benchmark("MeterValues: encode + decode round trip", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            let frame = Frame.encodeCall(id: "123", action: V16.Action.meterValues.rawValue, payload: meterValues.encoded)
            guard case let .call(_, _, payload) = try Frame.parse(frame) else { fatalError("not a CALL") }
            blackHole(try V16.MeterValuesRequest(json: payload))
        }
    }
}
