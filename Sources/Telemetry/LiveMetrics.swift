import CoreMetrics
import Synchronization

/// The run's live figures through the swift-metrics API, once a second: the application picks
/// the backend (`ocpp-fleet run --prometheus` bootstraps swift-prometheus). Names and labels
/// are in docs/live-metrics.md.
///
/// Nothing here runs per call: the runner hands over each second's ``IntervalSample`` per
/// group, and this type adds it to counters, sets gauges and feeds the latency timers from
/// the second's histograms (one `record` per value, off the event loops).
public final class LiveMetrics: Sendable {
    public static let prefix = "ocpp_fleet_"

    private struct Key: Hashable {
        var name: String
        var labels: [String]
    }

    private struct Handles: @unchecked Sendable {
        // @unchecked: the swift-metrics handles are thread-safe; the dictionaries are only
        // touched under `handles`' lock.
        var counters: [Key: Counter] = [:]
        var floatingCounters: [Key: FloatingPointCounter] = [:]
        var gauges: [Key: Gauge] = [:]
        var timers: [Key: CoreMetrics.Timer] = [:]
    }

    private let factory: any MetricsFactory
    private let groupNames: [String]
    /// `shard="<index>"` on every series of a sharded run, so one dashboard sums the shards
    /// (`sum without (shard)`) and can still tell them apart; none for a whole fleet.
    private let shardLabels: [(String, String)]
    private let handles = Mutex(Handles())

    /// - Parameters:
    ///   - factory: the metrics backend; the process-wide one unless a test passes its own.
    ///   - groupNames: the spec's group names by index: the `group` label.
    ///   - shard: the slice of the fleet this process runs: the `shard` label; nil for a whole fleet.
    public init(factory: any MetricsFactory = MetricsSystem.factory, groupNames: [String], shard: Shard? = nil) {
        self.factory = factory
        self.groupNames = groupNames
        self.shardLabels = shard.map { [("shard", String($0.index))] } ?? []
    }

    /// Adds one second of the fleet: `groups` by group index, the client's CPU time in that
    /// second, its RSS now, and the event-loop lag samples of the second.
    public func record(groups: [IntervalSample], cpuSeconds: Double, rssBytes: Int?, eventLoopLag: SparseHistogram?) {
        handles.withLock { handles in
            for (index, sample) in groups.enumerated() {
                let group = index < groupNames.count ? groupNames[index] : "group-\(index + 1)"
                record(sample, group: group, into: &handles)
            }
            floatingCounter("client_cpu_seconds_total", [], &handles).increment(by: cpuSeconds)
            if let rssBytes { gauge("client_rss_bytes", [], &handles).record(rssBytes) }
            if let eventLoopLag {
                let timer = timer("event_loop_lag_seconds", [], &handles)
                for (micros, count) in eventLoopLag.values {
                    for _ in 0 ..< count { timer.recordMicroseconds(micros) }
                }
            }
        }
    }

    private func record(_ sample: IntervalSample, group: String, into handles: inout Handles) {
        gauge("connected_charge_points", [("group", group)], &handles).record(sample.connected)
        for (action, stats) in sample.actions {
            let labels = [("action", action), ("group", group)]
            add("calls_sent_total", labels, stats.sent, &handles)
            add("calls_completed_total", labels, stats.completed, &handles)
            add("call_timeouts_total", labels, stats.timeouts, &handles)
            for (code, count) in stats.callErrorsByCode {
                add("call_errors_total", labels + [("code", code)], count, &handles)
            }
            if let latency = stats.latency {
                let timer = timer("call_latency_seconds", labels, &handles)
                for (micros, count) in latency.values {
                    for _ in 0 ..< count { timer.recordMicroseconds(micros) }
                }
            }
        }
        for (action, stats) in sample.incoming {
            let labels = [("action", action), ("group", group)]
            add("incoming_calls_total", labels, stats.received, &handles)
            for (code, count) in stats.callErrorsByCode {
                add("incoming_call_errors_total", labels + [("code", code)], count, &handles)
            }
        }
        let labels = [("group", group)]
        add("connect_failures_total", labels, sample.connectFailures.values.reduce(0, +), &handles)
        add("boots_accepted_total", labels, sample.bootAccepted, &handles)
        add("transactions_started_total", labels, sample.transactionsStarted, &handles)
        add("transactions_stopped_total", labels, sample.transactionsStopped, &handles)
    }

    /// Increments a counter, creating it (at 0) on first use so every series exists from the start.
    private func add(_ name: String, _ labels: [(String, String)], _ amount: Int, _ handles: inout Handles) {
        let counter = counter(name, labels, &handles)
        if amount > 0 { counter.increment(by: amount) }
    }

    private func key(_ name: String, _ labels: [(String, String)]) -> Key {
        Key(name: name, labels: labels.flatMap { [$0.0, $0.1] })
    }

    private func counter(_ name: String, _ labels: [(String, String)], _ handles: inout Handles) -> Counter {
        let key = key(name, labels)
        if let counter = handles.counters[key] { return counter }
        let counter = Counter(label: Self.prefix + name, dimensions: labels + shardLabels, factory: factory)
        handles.counters[key] = counter
        return counter
    }

    private func floatingCounter(
        _ name: String, _ labels: [(String, String)], _ handles: inout Handles
    ) -> FloatingPointCounter {
        let key = key(name, labels)
        if let counter = handles.floatingCounters[key] { return counter }
        let counter = FloatingPointCounter(label: Self.prefix + name, dimensions: labels + shardLabels, factory: factory)
        handles.floatingCounters[key] = counter
        return counter
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ handles: inout Handles) -> Gauge {
        let key = key(name, labels)
        if let gauge = handles.gauges[key] { return gauge }
        let gauge = Gauge(label: Self.prefix + name, dimensions: labels + shardLabels, factory: factory)
        handles.gauges[key] = gauge
        return gauge
    }

    private func timer(_ name: String, _ labels: [(String, String)], _ handles: inout Handles) -> CoreMetrics.Timer {
        let key = key(name, labels)
        if let timer = handles.timers[key] { return timer }
        let timer = CoreMetrics.Timer(label: Self.prefix + name, dimensions: labels + shardLabels, factory: factory)
        handles.timers[key] = timer
        return timer
    }
}
