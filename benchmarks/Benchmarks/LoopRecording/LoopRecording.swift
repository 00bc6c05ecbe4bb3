import Benchmark
import BenchmarkSupport
import Telemetry

// The per-loop telemetry every OCPP call goes through, and the once-a-second flush that feeds
// the time series and live metrics. Recording must not allocate once an action has been seen
// (the flush clears the interval in place): CI gates the allocation counts.

let actions = ["BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "StartTransaction"]

/// A loop's telemetry with two groups that has already seen every action, and a second of
/// 1,000 calls, and been flushed: its interval buffers have the capacity of such a second.
func warmedUp() -> LoopTelemetry {
    let telemetry = LoopTelemetry(groups: 2)
    recordSecond(telemetry)
    _ = telemetry.flush()
    return telemetry
}

/// 1,000 calls, each sent and answered, spread over five actions and two groups.
func recordSecond(_ telemetry: LoopTelemetry) {
    var latency: Int64 = 400
    for index in 0 ..< 1_000 {
        let action = actions[index % actions.count]
        telemetry.callSent(action, group: index & 1)
        telemetry.callCompleted(action, latencyMicros: latency, group: index & 1)
        latency = latency &* 7 % 900_000 + 100
    }
}

let benchmarks: @Sendable () -> Void = {
    // One operation: a CALL sent and its CALLRESULT recorded (what a charge point does per call).
    Benchmark("LoopTelemetry.recordCall",
              configuration: .init(metrics: Metrics.standard, scalingFactor: .kilo, maxDuration: .seconds(3),
                                   thresholds: Metrics.gated)) { benchmark in
        let telemetry = warmedUp()
        var latency: Int64 = 400
        benchmark.startMeasurement()
        benchmark.measuringThreadCPU {
            for index in benchmark.scaledIterations {
                let action = actions[index % actions.count]
                telemetry.callSent(action, group: index & 1)
                telemetry.callCompleted(action, latencyMicros: latency, group: index & 1)
                latency = latency &* 7 % 900_000 + 100
            }
        }
        benchmark.stopMeasurement()
        blackHole(telemetry.flush())
    }

    // One operation: the sampler's flush of a loop after a second of 1,000 calls over five actions.
    Benchmark("LoopTelemetry.flushSecond",
              configuration: .init(metrics: Metrics.standard, scalingFactor: .one, maxDuration: .seconds(3),
                                   thresholds: Metrics.gated)) { benchmark in
        let telemetry = warmedUp()
        for _ in benchmark.scaledIterations {
            recordSecond(telemetry)
            benchmark.startMeasurement()
            benchmark.measuringThreadCPU { blackHole(telemetry.flush()) }
            benchmark.stopMeasurement()
        }
    }
}
