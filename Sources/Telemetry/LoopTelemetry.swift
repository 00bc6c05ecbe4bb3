/// The counters and latency histograms of the charge points on one event loop.
///
/// One instance per loop, touched only on that loop: no locks, no atomics, nothing shared.
/// Call the recording methods as events happen; call ``snapshot()`` (on the loop) to get a
/// `Sendable` copy to merge with the other loops' snapshots. Action names are the OCPP
/// action strings (`"BootNotification"`), whatever the protocol version.
///
/// Events are recorded per charge point group (the spec's `groups`, by index) into the
/// current interval; ``flush()``, called once a second, hands the interval over as one
/// ``IntervalSample`` per group (the time series and live metrics), folds it into the run's
/// totals and clears it in place, so recording never allocates once an action has been seen.
///
/// Histograms are created on first use, per action, so actions that never run cost nothing.
public final class LoopTelemetry {
    /// Everything up to the last flush, plus the connection gauges and counters, plus every
    /// latency histogram (recorded directly: a histogram is never scanned per second).
    private var flushed = TelemetrySnapshot()
    /// Per group, the counts and raw latencies since the last flush.
    private var intervals: [Interval]
    private var connectedByGroup: [Int]
    /// Event-loop lag samples since the last flush, µs.
    private var intervalLag: [Int64] = []

    /// A loop whose charge points belong to `groups` groups (indices `0 ..< groups`).
    public init(groups: Int = 1) {
        intervals = Array(repeating: Interval(), count: max(1, groups))
        connectedByGroup = Array(repeating: 0, count: max(1, groups))
    }

    /// Charge points on this loop whose WebSocket is open now. Sum it over loops every second
    /// and keep the largest sum for the fleet's peak concurrent connections.
    public var connectedNow: Int { flushed.connectedNow }

    // MARK: CALLs we send

    /// A CALL was handed to the socket.
    public func callSent(_ action: String, group: Int = 0) {
        let index = actionSlot(action, group)
        intervals[group].actions.values[index].sent += 1
    }

    /// A CALLRESULT arrived `latencyMicros` after its CALL was sent.
    public func callCompleted(_ action: String, latencyMicros: Int64, group: Int = 0) {
        let index = actionSlot(action, group)
        intervals[group].actions.values[index].completed += 1
        intervals[group].actions.values[index].latencies.append(latencyMicros)
        let total = totalSlot(action)
        if flushed.actions.values[total].latency == nil {
            flushed.actions.values[total].latency = LatencyHistogram()
        }
        flushed.actions.values[total].latency!.record(micros: latencyMicros)
    }

    /// A scheduled CALL got its CALLRESULT `micros` after it fell due (its intended send time):
    /// the time a slow backend kept it waiting in the charge point's queue counts too. Recorded
    /// into the run's histogram only (no per-second series), so it costs one histogram record.
    public func callCompletedSinceDue(_ action: String, micros: Int64) {
        let total = totalSlot(action)
        if flushed.actions.values[total].responseFromIntended == nil {
            flushed.actions.values[total].responseFromIntended = LatencyHistogram()
        }
        flushed.actions.values[total].responseFromIntended!.record(micros: micros)
    }

    /// A CALLERROR with `code` arrived `latencyMicros` after its CALL was sent.
    public func callErrored(_ action: String, code: String, latencyMicros: Int64, group: Int = 0) {
        let index = actionSlot(action, group)
        intervals[group].actions.values[index].callErrors += 1
        intervals[group].actions.values[index].callErrorsByCode.increment(code, limit: TelemetrySnapshot.Limits.errorCodes)
        let total = totalSlot(action)
        if flushed.actions.values[total].callErrorLatency == nil {
            flushed.actions.values[total].callErrorLatency = LatencyHistogram()
        }
        flushed.actions.values[total].callErrorLatency!.record(micros: latencyMicros)
    }

    /// A CALL got no answer before its timeout.
    public func callTimedOut(_ action: String, group: Int = 0) {
        let index = actionSlot(action, group)
        intervals[group].actions.values[index].timeouts += 1
    }

    // MARK: The backend's protocol faults

    /// The backend broke the OCPP-J RPC rules or a schema (`kind`, e.g. `unmatchedResult`);
    /// `sample` is an excerpt of the frame, secrets already redacted. Counted per kind; the
    /// first few samples of each kind are kept. Only faults get here: nothing on the hot path.
    public func protocolFault(_ kind: String, sample: String, group: Int = 0) {
        flushed.backendFaults.increment(kind, limit: TelemetrySnapshot.Limits.faultKinds)
        flushed.backendFaultSamples.addSample(sample, for: kind)
    }

    // MARK: CALLs the CSMS sends

    /// A CALL from the CSMS arrived.
    public func incomingReceived(_ action: String, group: Int = 0) {
        let index = incomingSlot(action, group)
        intervals[group].incoming.values[index].received += 1
    }

    /// We answered a CALL from the CSMS with a CALLRESULT.
    public func incomingAnswered(_ action: String, group: Int = 0) {
        let index = incomingSlot(action, group)
        intervals[group].incoming.values[index].answered += 1
    }

    /// We answered a CALL from the CSMS with a CALLERROR carrying `code`.
    public func incomingCallError(_ action: String, code: String, group: Int = 0) {
        let index = incomingSlot(action, group)
        intervals[group].incoming.values[index].callErrors += 1
        intervals[group].incoming.values[index].callErrorsByCode.increment(code, limit: TelemetrySnapshot.Limits.errorCodes)
    }

    // MARK: Charge points and transactions

    /// A transaction was started (StartTransaction accepted).
    public func transactionStarted(group: Int = 0) {
        intervals[group].transactionsStarted += 1
    }

    /// A transaction was stopped.
    public func transactionStopped(group: Int = 0) {
        intervals[group].transactionsStopped += 1
    }

    /// A transaction message was made while its charge point was offline; it waits for the
    /// reconnect. Rare (outages only): counted in the totals, no per-second series.
    public func transactionMessageQueuedOffline() {
        flushed.transactionMessages.queuedOffline += 1
    }

    /// A transaction message cut off in flight by a lost connection was sent again.
    public func transactionMessageReplayed() {
        flushed.transactionMessages.replayed += 1
    }

    /// A transaction message was given up (`reason`: `overflow`, `attemptsExhausted`, …).
    public func transactionMessageDropped(reason: String) {
        flushed.transactionMessages.dropped.increment(reason, limit: TelemetrySnapshot.Limits.faultKinds)
    }

    /// A charge point's WebSocket is open.
    public func connected(group: Int = 0) {
        connectedByGroup[group] += 1
        flushed.connectedNow += 1
        flushed.connectionsOpened += 1
        if flushed.connectedNow > flushed.peakConnected {
            flushed.peakConnected = flushed.connectedNow
        }
    }

    /// A charge point's WebSocket opened `downtimeMicros` (wall clock) after its previous one was
    /// lost: recorded besides ``connected(group:)``, for the reconnect spread. Rare (outages
    /// only): totals, no per-second series.
    public func reconnected(downtimeMicros: Int64) {
        if flushed.reconnectDowntime == nil {
            flushed.reconnectDowntime = LatencyHistogram()
        }
        flushed.reconnectDowntime!.record(micros: downtimeMicros)
    }

    /// A charge point's WebSocket, opened with ``connected(group:)``, is closed.
    public func disconnected(group: Int = 0) {
        assert(connectedByGroup[group] > 0, "disconnected() without a matching connected()")
        connectedByGroup[group] = max(0, connectedByGroup[group] - 1)
        flushed.connectedNow = max(0, flushed.connectedNow - 1)
        flushed.connectionsClosed += 1
    }

    /// A BootNotification was answered `Accepted`.
    public func bootAccepted(group: Int = 0) {
        intervals[group].bootAccepted += 1
    }

    /// A connection attempt failed; counted per reason (the words a user reads) and per `kind`
    /// (a short stable key such as `http-401` or `tls-expired`), at most 32 distinct of each,
    /// then `"other"`.
    public func connectFailed(reason: String, kind: String? = nil, group: Int = 0) {
        intervals[group].connectFailures.increment(reason, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        if let kind {
            intervals[group].connectionFailures.increment(kind, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        }
    }

    // MARK: Generator health

    /// A timer on this loop ran `micros` later than it was scheduled for.
    public func eventLoopLagSampled(micros: Int64) {
        if flushed.eventLoopLag == nil {
            flushed.eventLoopLag = LatencyHistogram()
        }
        flushed.eventLoopLag!.record(micros: micros)
        intervalLag.append(micros)
    }

    /// Everything counted so far, flushed or not, as one value.
    public func snapshot() -> TelemetrySnapshot {
        var total = flushed
        for interval in intervals { interval.addCounts(into: &total) }
        return total
    }

    /// Hands over what happened since the last flush (one ``IntervalSample`` per group, and the
    /// loop's lag), adds its counts to the totals ``snapshot()`` returns, and clears the interval
    /// in place, keeping its dictionaries and buffers for the next one. Its cost grows with the
    /// interval's events (their latencies are sorted into buckets), not with histogram sizes.
    public func flush() -> LoopFlush {
        var samples: [IntervalSample] = []
        samples.reserveCapacity(intervals.count)
        for group in intervals.indices {
            var sample = intervals[group].sample()
            sample.connected = connectedByGroup[group]
            samples.append(sample)
            intervals[group].addCounts(into: &flushed)
            intervals[group].clearKeepingStorage()
        }
        let lag = intervalLag.isEmpty ? nil : SparseHistogram(values: &intervalLag)
        intervalLag.removeAll(keepingCapacity: true)
        return LoopFlush(groups: samples, eventLoopLag: lag)
    }

    private func actionSlot(_ action: String, _ group: Int) -> Dictionary<String, Interval.Action>.Index {
        intervals[group].actions.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: Interval.Action())
    }

    private func totalSlot(_ action: String) -> Dictionary<String, ActionStats>.Index {
        flushed.actions.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: ActionStats())
    }

    private func incomingSlot(_ action: String, _ group: Int) -> Dictionary<String, IncomingStats>.Index {
        intervals[group].incoming.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: IncomingStats())
    }
}

/// What one group's charge points on one loop did since the last flush: counts, and the raw
/// latencies of the CALLRESULTs (kept as values, sorted into buckets only when flushed).
struct Interval {
    struct Action {
        var sent = 0
        var completed = 0
        var callErrors = 0
        var callErrorsByCode: [String: Int] = [:]
        var timeouts = 0
        var latencies: [Int64] = []

        var isEmpty: Bool { sent == 0 && completed == 0 && callErrors == 0 && timeouts == 0 }
    }

    var actions: [String: Action] = [:]
    var incoming: [String: IncomingStats] = [:]
    var transactionsStarted = 0
    var transactionsStopped = 0
    var bootAccepted = 0
    var connectFailures: [String: Int] = [:]
    var connectionFailures: [String: Int] = [:]

    /// The interval as a sample (actions without counts left out); sorts the latency buffers.
    mutating func sample() -> IntervalSample {
        var sample = IntervalSample()
        for index in actions.indices where !actions.values[index].isEmpty {
            let action = actions.values[index]
            let latency = action.latencies.isEmpty ? nil : SparseHistogram(values: &actions.values[index].latencies)
            sample.actions[actions.keys[index]] = IntervalSample.Action(
                sent: action.sent, completed: action.completed, callErrors: action.callErrors,
                callErrorsByCode: action.callErrorsByCode, timeouts: action.timeouts, latency: latency)
        }
        for (name, stats) in incoming where stats.received > 0 || stats.answered > 0 || stats.callErrors > 0 {
            sample.incoming[name] = stats
        }
        sample.transactionsStarted = transactionsStarted
        sample.transactionsStopped = transactionsStopped
        sample.bootAccepted = bootAccepted
        sample.connectFailures = connectFailures
        sample.connectionFailures = connectionFailures
        return sample
    }

    /// Adds the counts (not the latencies: the totals record those directly) to `total`.
    func addCounts(into total: inout TelemetrySnapshot) {
        for (name, action) in actions where !action.isEmpty {
            let index = total.actions.slot(for: name, limit: TelemetrySnapshot.Limits.actions, empty: ActionStats())
            total.actions.values[index].sent += action.sent
            total.actions.values[index].completed += action.completed
            total.actions.values[index].callErrors += action.callErrors
            total.actions.values[index].callErrorsByCode.addCounts(
                action.callErrorsByCode, limit: TelemetrySnapshot.Limits.errorCodes)
            total.actions.values[index].timeouts += action.timeouts
        }
        for (name, stats) in incoming where stats.received > 0 || stats.answered > 0 || stats.callErrors > 0 {
            let index = total.incoming.slot(for: name, limit: TelemetrySnapshot.Limits.actions, empty: IncomingStats())
            total.incoming.values[index].merge(stats)
        }
        total.transactionsStarted += transactionsStarted
        total.transactionsStopped += transactionsStopped
        total.bootAccepted += bootAccepted
        total.connectFailures.addCounts(connectFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        total.connectionFailures.addCounts(connectionFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
    }

    /// Zeroes every count while keeping dictionary entries and buffer capacity, so the next
    /// interval records without allocating.
    mutating func clearKeepingStorage() {
        for index in actions.indices {
            actions.values[index].sent = 0
            actions.values[index].completed = 0
            actions.values[index].callErrors = 0
            actions.values[index].timeouts = 0
            actions.values[index].callErrorsByCode.removeAll(keepingCapacity: true)
            actions.values[index].latencies.removeAll(keepingCapacity: true)
        }
        for index in incoming.indices {
            incoming.values[index].received = 0
            incoming.values[index].answered = 0
            incoming.values[index].callErrors = 0
            incoming.values[index].callErrorsByCode.removeAll(keepingCapacity: true)
        }
        transactionsStarted = 0
        transactionsStopped = 0
        bootAccepted = 0
        connectFailures.removeAll(keepingCapacity: true)
        connectionFailures.removeAll(keepingCapacity: true)
    }
}

/// Confined to its event loop: never handed to another thread.
@available(*, unavailable)
extension LoopTelemetry: Sendable {}
