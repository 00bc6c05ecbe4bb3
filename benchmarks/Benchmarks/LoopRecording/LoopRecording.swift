import Benchmark
import BenchmarkSupport
import Foundation
import Telemetry

// The per-loop telemetry every OCPP call goes through, the once-a-second flush that feeds
// the time series and live metrics, and what the run's time series keeps per second.
// Recording must not allocate once an action has been seen (the flush clears the interval in
// place): CI gates the allocation counts.

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

/// One second of the compressed soak (`fleets/soak.yaml`: 300 charge points at time scale 48)
/// on one loop: CALLs per action as its report's time series shows them, latencies spread
/// log-uniformly over 200 µs … 11 ms (its p50s are 0.2–0.5 ms, its p99s up to 16 ms), and the
/// loop's ten event-loop lag probes.
struct SoakSecond {
    static let calls = [("MeterValues", 55), ("Heartbeat", 47), ("StatusNotification", 17), ("Authorize", 4),
                        ("StartTransaction", 4), ("StopTransaction", 4)]
    private var state: UInt64 = 8

    /// A fraction in 0 ..< 1 from a 64-bit LCG: different seconds get different histograms.
    private mutating func fraction() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(UInt64(1) << 53)
    }

    mutating func record(into telemetry: LoopTelemetry) {
        for (action, count) in Self.calls {
            for _ in 0 ..< count {
                telemetry.callSent(action)
                telemetry.callCompleted(action, latencyMicros: Int64(200 * exp(4 * fraction())))
            }
        }
        for _ in 0 ..< 10 { telemetry.eventLoopLagSampled(micros: Int64(50 + 450 * fraction())) }
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

    // One operation: a second of the soak's traffic flushed from a loop and recorded into the
    // run's time series, as the sampler does once a second; `Heap in use` is what the series
    // keeps per point. Series of 500 points, below TimeSeries.maxPoints, so no widening happens.
    Benchmark("TimeSeries.recordSecond",
              configuration: .init(metrics: [.mallocCountTotal, .mallocFreeDelta, HeapInUse.metric,
                                             Metrics.threadCPU, .wallClock],
                                   scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 50,
                                   thresholds: Metrics.gated)) { benchmark in
        let pointsPerSeries = 500
        let telemetry = LoopTelemetry()
        var second = SoakSecond()
        second.record(into: telemetry)
        _ = telemetry.flush()
        var finished: [TimeSeries] = []
        finished.reserveCapacity(benchmark.scaledIterations.count / pointsPerSeries + 1)
        var series = TimeSeries()
        benchmark.startMeasurement()
        let heap = HeapInUse()
        benchmark.measuringThreadCPU {
            for index in benchmark.scaledIterations {
                if index > 0, index % pointsPerSeries == 0 {
                    finished.append(series)
                    series = TimeSeries()
                }
                second.record(into: telemetry)
                let flush = telemetry.flush()
                series.record(TimeSeries.Point(
                    time: 1_700_000_000 + Int64(index % pointsPerSeries), sample: flush.groups[0], connected: 300,
                    cpuSeconds: 0.12, rssBytes: 44_000_000, eventLoopLag: flush.eventLoopLag,
                    openFileDescriptors: 330, openTransactions: 350))
            }
            finished.append(series)
        }
        let kept = heap.bytesKept()
        benchmark.stopMeasurement()
        if let kept { benchmark.measurement(HeapInUse.metric, kept) }
        precondition(finished.allSatisfy { $0.intervalSeconds == 1 }, "the series widened: not the cost of a point")
        blackHole(finished)
    }
}
