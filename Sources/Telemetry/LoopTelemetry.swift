/// The counters and latency histograms of the charge points on one event loop.
///
/// One instance per loop, touched only on that loop: no locks, no atomics, nothing shared.
/// Call the recording methods as events happen; call ``snapshot()`` (on the loop) to get a
/// `Sendable` copy to merge with the other loops' snapshots. Action names are the OCPP
/// action strings (`"BootNotification"`), whatever the protocol version.
///
/// Histograms are created on first use, per action, so actions that never run cost nothing.
public final class LoopTelemetry {
    private var state = TelemetrySnapshot()

    public init() {}

    /// Charge points on this loop whose WebSocket is open now. Sum it over loops every second
    /// and keep the largest sum for the fleet's peak concurrent connections.
    public var connectedNow: Int { state.connectedNow }

    // MARK: CALLs we send

    /// A CALL was handed to the socket.
    public func callSent(_ action: String) {
        let index = actionSlot(action)
        state.actions.values[index].sent += 1
    }

    /// A CALLRESULT arrived `latencyMicros` after its CALL was sent.
    public func callCompleted(_ action: String, latencyMicros: Int64) {
        let index = actionSlot(action)
        state.actions.values[index].completed += 1
        if state.actions.values[index].latency == nil {
            state.actions.values[index].latency = LatencyHistogram()
        }
        state.actions.values[index].latency!.record(micros: latencyMicros)
    }

    /// A CALLERROR with `code` arrived `latencyMicros` after its CALL was sent.
    public func callErrored(_ action: String, code: String, latencyMicros: Int64) {
        let index = actionSlot(action)
        state.actions.values[index].callErrors += 1
        state.actions.values[index].callErrorsByCode.increment(code, limit: TelemetrySnapshot.Limits.errorCodes)
        if state.actions.values[index].callErrorLatency == nil {
            state.actions.values[index].callErrorLatency = LatencyHistogram()
        }
        state.actions.values[index].callErrorLatency!.record(micros: latencyMicros)
    }

    /// A CALL got no answer before its timeout.
    public func callTimedOut(_ action: String) {
        let index = actionSlot(action)
        state.actions.values[index].timeouts += 1
    }

    // MARK: CALLs the CSMS sends

    /// A CALL from the CSMS arrived.
    public func incomingReceived(_ action: String) {
        let index = incomingSlot(action)
        state.incoming.values[index].received += 1
    }

    /// We answered a CALL from the CSMS with a CALLRESULT.
    public func incomingAnswered(_ action: String) {
        let index = incomingSlot(action)
        state.incoming.values[index].answered += 1
    }

    /// We answered a CALL from the CSMS with a CALLERROR carrying `code`.
    public func incomingCallError(_ action: String, code: String) {
        let index = incomingSlot(action)
        state.incoming.values[index].callErrors += 1
        state.incoming.values[index].callErrorsByCode.increment(code, limit: TelemetrySnapshot.Limits.errorCodes)
    }

    // MARK: Charge points and transactions

    /// A transaction was started (StartTransaction accepted).
    public func transactionStarted() {
        state.transactionsStarted += 1
    }

    /// A transaction was stopped.
    public func transactionStopped() {
        state.transactionsStopped += 1
    }

    /// A charge point's WebSocket is open.
    public func connected() {
        state.connectedNow += 1
        state.connectionsOpened += 1
        if state.connectedNow > state.peakConnected {
            state.peakConnected = state.connectedNow
        }
    }

    /// A charge point's WebSocket, opened with ``connected()``, is closed.
    public func disconnected() {
        assert(state.connectedNow > 0, "disconnected() without a matching connected()")
        state.connectedNow = max(0, state.connectedNow - 1)
        state.connectionsClosed += 1
    }

    /// A BootNotification was answered `Accepted`.
    public func bootAccepted() {
        state.bootAccepted += 1
    }

    /// A connection attempt failed; counted per reason (the words a user reads) and per `kind`
    /// (a short stable key such as `http-401` or `tls-expired`), at most 32 distinct of each,
    /// then `"other"`.
    public func connectFailed(reason: String, kind: String? = nil) {
        state.connectFailures.increment(reason, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        if let kind {
            state.connectionFailures.increment(kind, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        }
    }

    // MARK: Generator health

    /// A timer on this loop ran `micros` later than it was scheduled for.
    public func eventLoopLagSampled(micros: Int64) {
        if state.eventLoopLag == nil {
            state.eventLoopLag = LatencyHistogram()
        }
        state.eventLoopLag!.record(micros: micros)
    }

    /// A copy of everything counted so far (copy-on-write: cheap until the loop records again).
    public func snapshot() -> TelemetrySnapshot {
        state
    }

    private func actionSlot(_ action: String) -> Dictionary<String, ActionStats>.Index {
        state.actions.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: ActionStats())
    }

    private func incomingSlot(_ action: String) -> Dictionary<String, IncomingStats>.Index {
        state.incoming.slot(for: action, limit: TelemetrySnapshot.Limits.actions, empty: IncomingStats())
    }
}

/// Confined to its event loop: never handed to another thread.
@available(*, unavailable)
extension LoopTelemetry: Sendable {}
