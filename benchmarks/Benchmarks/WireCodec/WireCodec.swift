import Benchmark
import BenchmarkSupport
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

// Names carry no spaces or slashes: `thresholds update` turns those into "_" in the file
// name and `thresholds check` then looks for the raw name (ordo-one/benchmark #301, #373).
let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: Metrics.standard, scalingFactor: .kilo, maxDuration: .seconds(3), thresholds: Metrics.gated)

    Benchmark("MeterValues.encodeCall", configuration: configuration) { benchmark in
        benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations {
                blackHole(Frame.encodeCall(id: "123", action: V16.Action.meterValues.rawValue, payload: meterValues.encoded))
            }
        }
    }

    Benchmark("MeterValues.decodeCall", configuration: configuration) { benchmark in
        try benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations {
                guard case let .call(_, _, payload) = try Frame.parse(meterValuesFrame) else { fatalError("not a CALL") }
                blackHole(try V16.MeterValuesRequest(json: payload))
            }
        }
    }

    Benchmark("MeterValues.roundTrip", configuration: configuration) { benchmark in
        try benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations {
                let frame = Frame.encodeCall(id: "123", action: V16.Action.meterValues.rawValue, payload: meterValues.encoded)
                guard case let .call(_, _, payload) = try Frame.parse(frame) else { fatalError("not a CALL") }
                blackHole(try V16.MeterValuesRequest(json: payload))
            }
        }
    }
}
