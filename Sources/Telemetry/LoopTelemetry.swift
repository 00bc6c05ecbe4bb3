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
    /// Everything up to the last flush, plus the connection gauges and counters.
    private var flushed = TelemetrySnapshot()
    /// Per group, what happened since the last flush.
    private var intervals: [TelemetrySnapshot]
    private var connectedByGroup: [Int]
    /// Event-loop lag since the last flush.
    private var intervalLag: LatencyHistogram?

    /// A loop whose charge points belong to `groups` groups (indices `0 ..< groups`).
    public init(groups: Int = 1) {
        intervals = Array(repeating: TelemetrySnapshot(), count: max(1, groups))
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
        if intervals[group].actions.values[index].latency == nil {
            intervals[group].actions.values[index].latency = LatencyHistogram()
        }
        intervals[group].actions.values[index].latency!.record(micros: latencyMicros)
    }

    /// A CALLERROR with `code` arrived `latencyMicros` after its CALL was sent.
    public func callErrored(_ action: String, code: String, latencyMicros: Int64, group: Int = 0) {
        let index = actionSlot(action, group)
        intervals[group].actions.values[index].callErrors += 1
        intervals[group].actions.values[index].callErrorsByCode.increment(code, limit: TelemetrySnapshot.Limits.errorCodes)
        if intervals[group].actions.values[index].callErrorLatency == nil {
            intervals[group].actions.values[index].callErrorLatency = LatencyHistogram()
        }
        intervals[group].actions.values[index].callErrorLatency!.record(micros: latencyMicros)
    }

    /// A CALL got no answer before its timeout.
    public func callTimedOut(_ action: String, group: Int = 0) {
        let index = actionSlot(action, group)
        intervals[group].actions.values[index].timeouts += 1
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

    /// A charge point's WebSocket is open.
    public func connected(group: Int = 0) {
        connectedByGroup[group] += 1
        flushed.connectedNow += 1
        flushed.connectionsOpened += 1
        if flushed.connectedNow > flushed.peakConnected {
            flushed.peakConnected = flushed.connectedNow
        }
    }

    /// A charge point's WebSocket, opened with ``connected()``, is closed.
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

    /// A connection attempt failed; counted per reason, at most 32 distinct reasons, then `"other"`.
    public func connectFailed(reason: String, group: Int = 0) {
        intervals[group].connectFailures.increment(reason, limit: TelemetrySnapshot.Limits.connectFailureReasons)
    }

    // MARK: Generator health

    /// A timer on this loop ran `micros` later than it was scheduled for.
    public func eventLoopLagSampled(micros: Int64) {
        if intervalLag == nil {
            intervalLag = LatencyHistogram()
        }
        intervalLag!.record(micros: micros)
    }

    /// Everything counted so far, flushed or not, as one value.
    public func snapshot() -> TelemetrySnapshot {
        var total = flushed
        for interval in intervals { total.merge(interval) }
        if let intervalLag, !intervalLag.isEmpty { total.eventLoopLag.add(intervalLag) }
        return total
    }

    /// Hands over what happened since the last flush (one ``IntervalSample`` per group, and the
    /// loop's lag), folds it into the totals ``snapshot()`` returns, and clears the interval in
    /// place, keeping its dictionaries and histograms for the next one.
    public func flush() -> LoopFlush {
        var samples: [IntervalSample] = []
        samples.reserveCapacity(intervals.count)
        for group in intervals.indices {
            var sample = IntervalSample(intervals[group])
            sample.connected = connectedByGroup[group]
            samples.append(sample)
            flushed.merge(intervals[group])
            intervals[group].clearKeepingStorage()
        }
        var lag: SparseHistogram?
        if let intervalLag, !intervalLag.isEmpty {
            lag = SparseHistogram(intervalLag)
            flushed.eventLoopLag.add(intervalLag)
            self.intervalLag!.storage.reset()
        }
        return LoopFlush(groups: samples, eventLoopLag: lag)
    }

    private func actionSlot(_ action: String, _ group: Int) -> Dictionary<String, ActionStats>.Index {
        intervals[group].actions.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: ActionStats())
    }

    private func incomingSlot(_ action: String, _ group: Int) -> Dictionary<String, IncomingStats>.Index {
        intervals[group].incoming.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: IncomingStats())
    }
}

/// Confined to its event loop: never handed to another thread.
@available(*, unavailable)
extension LoopTelemetry: Sendable {}
