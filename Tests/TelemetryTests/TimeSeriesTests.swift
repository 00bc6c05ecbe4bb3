import Foundation
import MetricsTestKit
import Testing
@testable import Telemetry

@Suite("Time series")
struct TimeSeriesTests {
    /// A 1-s point at `time` with `sent` Heartbeats answered in `micros` each.
    static func point(_ time: Int64, sent: Int = 1, micros: Int64 = 500, connected: Int? = 10) -> TimeSeries.Point {
        let latency = SparseHistogram(LatencyHistogram(values: Array(repeating: micros, count: sent)))
        return TimeSeries.Point(
            time: time, connected: connected, sent: sent, completed: sent,
            actions: ["Heartbeat": .init(sent: sent, completed: sent, latency: sent > 0 ? latency : nil)],
            cpuSeconds: 0.01, rssBytes: 1_000)
    }

    @Test("Points land in 1-s buckets; a second sample of the same second merges into it")
    func record() {
        var series = TimeSeries()
        series.record(Self.point(100))
        series.record(Self.point(101, connected: 12))
        series.record(Self.point(101, sent: 2, connected: 11))
        #expect(series.intervalSeconds == 1)
        #expect(series.points.map(\.time) == [100, 101])
        #expect(series.points[1].sent == 3)
        #expect(series.points[1].connected == 11, "a gauge takes the later value")
        #expect(series.points[1].actions["Heartbeat"]?.latency?.count == 3)
    }

    @Test("A long run keeps at most 600 points: buckets widen by powers of two, counts exact")
    func bounded() {
        var series = TimeSeries()
        for second in 0 ..< 3_000 { series.record(Self.point(1_000_000 + Int64(second), connected: second)) }
        #expect(series.points.count <= TimeSeries.maxPoints)
        #expect(series.intervalSeconds == 8)
        #expect(series.points.reduce(0) { $0 + $1.sent } == 3_000)
        #expect(series.points.allSatisfy { $0.time % 8 == 0 })
        #expect(series.points.last?.connected == 2_999)
        let cpu = series.points.reduce(0.0) { $0 + ($1.cpuSeconds ?? 0) }
        #expect(abs(cpu - 30) < 1e-6)
    }

    @Test("Merging a series with itself doubles every count and gauge, percentiles unchanged")
    func mergeSelf() {
        var series = TimeSeries()
        for second in 0 ..< 5 { series.record(Self.point(50 + Int64(second), sent: second + 1, micros: 1_000 * Int64(second + 1))) }
        var merged = series
        merged.merge(series)
        #expect(merged.points.count == 5)
        for (one, two) in zip(series.points, merged.points) {
            #expect(two.sent == 2 * one.sent)
            #expect(two.connected == 2 * one.connected!)
            #expect(two.rssBytes == 2 * one.rssBytes!)
            #expect(two.actions["Heartbeat"]?.latency?.count == 2 * one.actions["Heartbeat"]!.latency!.count)
            #expect(two.actions["Heartbeat"]?.latency?.summary?.p99 == one.actions["Heartbeat"]?.latency?.summary?.p99)
        }
    }

    @Test("Series of different widths merge at the wider width, aligned to the epoch")
    func mergeWidths() {
        var fine = TimeSeries()
        for second in 0 ..< 8 { fine.record(Self.point(64 + Int64(second))) }
        var coarse = TimeSeries()
        for second in 0 ..< 8 { coarse.record(Self.point(64 + Int64(second))) }
        coarse.widen(to: 4)
        fine.merge(coarse)
        #expect(fine.intervalSeconds == 4)
        #expect(fine.points.map(\.time) == [64, 68])
        #expect(fine.points.map(\.sent) == [8, 8])
    }

    @Test("The series survives report.json: histograms and summaries written, histograms read back")
    func codable() throws {
        var series = TimeSeries()
        series.record(Self.point(10, sent: 3))
        series.record(TimeSeries.Point(time: 11, connected: nil))
        let data = try JSONEncoder().encode(series)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((json["points"] as? [[String: Any]])?.first)
        #expect(jsonValue(at: "actions.Heartbeat.latencyMicros.p99", in: first) as? Int == 500)
        #expect(jsonValue(at: "actions.Heartbeat.histogram", in: first) is String)
        let second = try #require((json["points"] as? [[String: Any]])?.last)
        #expect(second["connected"] == nil, "not measured: absent, not 0")
        #expect(try JSONDecoder().decode(TimeSeries.self, from: data) == series)
    }
}

@Suite("Packed time-series points")
struct PackedPointsTests {
    /// Points with every optional figure present or absent, latency histograms nil, empty and
    /// spanning the whole range, odd action names and extreme integers.
    static let variedPoints: [TimeSeries.Point] = {
        let wide = SparseHistogram(LatencyHistogram(values: [1, 2, 999, 1_000, 65_537, 3_600_000_000]))
        var full = TimeSeries.Point(
            time: -7, connected: 0, sent: 12, completed: 9, callErrors: 2, timeouts: 1, incoming: 4, connectFailures: -3,
            actions: ["Heartbeat": .init(sent: 5, completed: 5, latency: wide),
                      "StatusNotification": .init(sent: 7, completed: 4, callErrors: 2, timeouts: 1, latency: SparseHistogram()),
                      "Ünïcode Äction": .init(sent: 0, completed: 0)],
            cpuSeconds: 0.1 + 0.2, rssBytes: Int.max,
            eventLoopLag: SparseHistogram(LatencyHistogram(values: [70, 80, 4_000])))
        full.openFileDescriptors = 330
        full.openTransactions = Int.min
        let bare = TimeSeries.Point(time: 1_750_000_000)
        let someGauges = TimeSeries.Point(
            time: 1_750_000_001, connected: 300, sent: 1, completed: 1,
            actions: ["Heartbeat": .init(sent: 1, completed: 1, latency: SparseHistogram(LatencyHistogram(values: [450])))],
            rssBytes: 44_000_000)
        return [full, bare, someGauges]
    }()

    @Test("Packed points decode to the points appended, figure by figure")
    func roundTrip() {
        let packed = PackedPoints(Self.variedPoints)
        #expect(packed.count == 3)
        #expect(packed.times == [-7, 1_750_000_000, 1_750_000_001])
        #expect(packed.points == Self.variedPoints)
        #expect(packed[0].actions["StatusNotification"]?.latency == SparseHistogram(), "an empty histogram stays, not nil")
        #expect(packed[1].actions["Heartbeat"] == nil)
        #expect(packed[0].openTransactions == Int.min)
        #expect(TimeSeries(points: Self.variedPoints).points == Self.variedPoints)
    }

    @Test("Removing the last point gives it back and leaves the others as they were")
    func removeLast() {
        var packed = PackedPoints(Self.variedPoints)
        #expect(packed.removeLast() == Self.variedPoints[2])
        #expect(packed.points == Array(Self.variedPoints.prefix(2)))
        packed.append(Self.variedPoints[0])
        #expect(packed[2] == Self.variedPoints[0])
    }

    @Test("A late second is merged into its bucket or inserted in order; gauges stay those of the bucket's end")
    func lateSamples() {
        var series = TimeSeries()
        series.record(TimeSeriesTests.point(100, sent: 1, connected: 10))
        series.record(TimeSeriesTests.point(102, sent: 1, connected: 12))
        series.record(TimeSeriesTests.point(101, sent: 2, connected: 11))
        series.record(TimeSeriesTests.point(100, sent: 3, connected: 99))
        let points = series.points
        #expect(points.map(\.time) == [100, 101, 102])
        #expect(points.map(\.sent) == [4, 2, 1])
        #expect(points.map(\.connected) == [10, 11, 12], "a late sample adds counts, not gauges")
        #expect(points[0].actions["Heartbeat"]?.latency?.count == 4)
    }

    @Test("Series whose action names were first seen in another order are equal and merge exactly")
    func internOrder() throws {
        func point(_ time: Int64, _ names: [String]) -> TimeSeries.Point {
            TimeSeries.Point(time: time, sent: names.count, actions: Dictionary(uniqueKeysWithValues: names.map {
                ($0, TimeSeries.Point.Action(sent: 1, completed: 1, latency: SparseHistogram(LatencyHistogram(values: [300]))))
            }))
        }
        var one = TimeSeries()
        one.record(point(10, ["Authorize"]))
        one.record(point(11, ["Authorize", "Heartbeat"]))
        var two = TimeSeries()
        two.record(point(10, ["Heartbeat"]))
        two.record(point(10, ["Authorize"]))
        two.record(point(11, ["Authorize", "Heartbeat"]))
        two.points[0].actions["Heartbeat"] = nil
        two.points[0].sent = 1
        #expect(one == two)
        var merged = one
        merged.merge(two)
        #expect(merged.points.map { $0.actions.mapValues(\.sent) } == [["Authorize": 2], ["Authorize": 2, "Heartbeat": 2]])
        let data = try JSONEncoder().encode(merged)
        #expect(try JSONDecoder().decode(TimeSeries.self, from: data) == merged)
    }
}

@Suite("Interval flushes")
struct IntervalFlushTests {
    @Test("A flush hands over each group's second and keeps the run's totals exact")
    func flush() throws {
        let telemetry = LoopTelemetry(groups: 2)
        telemetry.connected(group: 1)
        telemetry.callSent("BootNotification", group: 0)
        telemetry.callCompleted("BootNotification", latencyMicros: 900, group: 0)
        telemetry.callSent("BootNotification", group: 1)
        telemetry.callErrored("BootNotification", code: "InternalError", latencyMicros: 100, group: 1)
        telemetry.eventLoopLagSampled(micros: 70)
        let before = telemetry.snapshot()
        let first = telemetry.flush()
        #expect(first.groups.count == 2)
        #expect(first.groups[0].actions["BootNotification"]?.completed == 1)
        #expect(first.groups[0].actions["BootNotification"]?.latency?.max == 900)
        #expect(first.groups[1].actions["BootNotification"]?.callErrorsByCode == ["InternalError": 1])
        #expect(first.groups[1].connected == 1)
        #expect(first.eventLoopLag?.max == 70)
        #expect(telemetry.snapshot() == before, "flushing moves counts into the totals, losing none")

        telemetry.callSent("Heartbeat", group: 0)
        let second = telemetry.flush()
        #expect(second.groups[0].actions.keys.sorted() == ["Heartbeat"], "the previous second's actions are gone")
        #expect(second.groups[1].actions.isEmpty)
        #expect(second.eventLoopLag == nil)
        #expect(telemetry.snapshot().actions["BootNotification"]?.sent == 2)
        #expect(telemetry.snapshot().actions["Heartbeat"]?.sent == 1)
    }

    @Test("Replaying a workload with flushes in between gives the same totals as without")
    func flushesLoseNothing() {
        let events = Event.workload(count: 2_000, seed: 11)
        let plain = LoopTelemetry.recording(events)
        let flushed = LoopTelemetry()
        var samples = IntervalSample()
        for (index, event) in events.enumerated() {
            event.apply(to: flushed)
            if index % 97 == 0 { for sample in flushed.flush().groups { samples.merge(sample) } }
        }
        for sample in flushed.flush().groups { samples.merge(sample) }
        #expect(flushed.snapshot() == plain.snapshot())
        let total = plain.snapshot()
        #expect(samples.sent == total.actions.values.reduce(0) { $0 + $1.sent })
        for (name, stats) in total.actions {
            #expect(samples.actions[name]?.latency?.count ?? 0 == UInt64(stats.latency?.count ?? 0))
            #expect(samples.actions[name]?.latency?.summary == stats.latency?.summary)
        }
    }
}

@Suite("Live metrics through swift-metrics")
struct LiveMetricsTests {
    @Test("One second per group becomes counters, gauges and latency timers with action and group labels")
    func publishes() throws {
        let metrics = TestMetrics()
        let live = LiveMetrics(factory: metrics, groupNames: ["depot", "street"])
        var depot = IntervalSample()
        depot.connected = 3
        depot.actions["Heartbeat"] = .init(sent: 5, completed: 4, callErrors: 1, callErrorsByCode: ["InternalError": 1],
                                           latency: SparseHistogram(LatencyHistogram(values: [1_000, 1_000, 2_000, 3_000])))
        var street = IntervalSample()
        street.actions["Heartbeat"] = .init(sent: 2, timeouts: 1)
        live.record(groups: [depot, street], cpuSeconds: 0.25, rssBytes: 4_096, eventLoopLag: nil)
        live.record(groups: [depot, IntervalSample()], cpuSeconds: 0.25, rssBytes: 8_192, eventLoopLag: nil)

        let sent = try metrics.expectCounter("ocpp_fleet_calls_sent_total", [("action", "Heartbeat"), ("group", "depot")])
        #expect(sent.totalValue == 10)
        let streetSent = try metrics.expectCounter("ocpp_fleet_calls_sent_total", [("action", "Heartbeat"), ("group", "street")])
        #expect(streetSent.totalValue == 2)
        let timeouts = try metrics.expectCounter("ocpp_fleet_call_timeouts_total", [("action", "Heartbeat"), ("group", "street")])
        #expect(timeouts.totalValue == 1)
        let errors = try metrics.expectCounter(
            "ocpp_fleet_call_errors_total", [("action", "Heartbeat"), ("group", "depot"), ("code", "InternalError")])
        #expect(errors.totalValue == 2)
        let latency = try metrics.expectTimer("ocpp_fleet_call_latency_seconds", [("action", "Heartbeat"), ("group", "depot")])
        #expect(latency.values.count == 8)
        #expect(latency.values.max() == 3_000_000)
        let connected = try metrics.expectGauge("ocpp_fleet_connected_charge_points", [("group", "depot")])
        #expect(connected.lastValue == 3)
        let rss = try metrics.expectGauge("ocpp_fleet_client_rss_bytes")
        #expect(rss.lastValue == 8_192)
    }

    @Test("A shard's process labels every series with its index, so dashboards sum the shards")
    func shardLabel() throws {
        let metrics = TestMetrics()
        let live = LiveMetrics(factory: metrics, groupNames: ["depot"], shard: Shard(index: 2, count: 3))
        var depot = IntervalSample()
        depot.connected = 7
        depot.actions["Heartbeat"] = .init(sent: 5, completed: 5)
        live.record(groups: [depot], cpuSeconds: 0.5, rssBytes: 4_096, eventLoopLag: nil)
        let sent = try metrics.expectCounter(
            "ocpp_fleet_calls_sent_total", [("action", "Heartbeat"), ("group", "depot"), ("shard", "2")])
        #expect(sent.totalValue == 5)
        #expect(try metrics.expectGauge("ocpp_fleet_connected_charge_points", [("group", "depot"), ("shard", "2")]).lastValue == 7)
        #expect(try metrics.expectGauge("ocpp_fleet_client_rss_bytes", [("shard", "2")]).lastValue == 4_096)
        #expect(throws: (any Error).self) { try metrics.expectGauge("ocpp_fleet_client_rss_bytes") }
    }
}
