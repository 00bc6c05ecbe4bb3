/// Everything one or more ``LoopTelemetry`` instances counted, as a value: taken on a loop
/// with ``LoopTelemetry/snapshot()``, sent anywhere, and merged exactly with ``merge(_:)``.
///
/// Merging adds counters and histograms, so merging the snapshots of several loops gives the
/// same value as one loop recording all of their events, with one exception: ``peakConnected``.
/// Loops reach their peaks at different moments, so the merged (summed) peak is only an upper
/// bound on the fleet's concurrent peak. For the true peak, read
/// ``LoopTelemetry/connectedNow`` on every loop once a second, add them up and keep the largest sum.
public struct TelemetrySnapshot: Sendable, Codable, Equatable {
    /// CALLs we sent, by action name.
    public var actions: [String: ActionStats]
    /// CALLs the CSMS sent us, by action name.
    public var incoming: [String: IncomingStats]
    public var transactionsStarted: Int
    public var transactionsStopped: Int
    /// Charge points whose WebSocket is open now.
    public var connectedNow: Int
    /// The highest ``connectedNow`` seen; summed by ``merge(_:)``, so an upper bound once merged.
    public var peakConnected: Int
    /// WebSocket connections opened, reconnects included.
    public var connectionsOpened: Int
    /// WebSocket connections closed, for whatever reason.
    public var connectionsClosed: Int
    /// BootNotifications answered `Accepted`.
    public var bootAccepted: Int
    /// Failed connection attempts by reason (at most ``Limits/connectFailureReasons`` reasons, then `"other"`).
    public var connectFailures: [String: Int]
    /// Failed connection attempts by kind (`http-401`, `tls-untrusted`, …: a short, stable key per
    /// cause; at most ``Limits/connectFailureReasons`` kinds, then `"other"`).
    public var connectionFailures: [String: Int]
    /// How late the event loop ran timers it was asked to run, in microseconds; nil until sampled.
    public var eventLoopLag: LatencyHistogram?
    /// The backend's protocol faults by kind (`unmatchedResult`, `lateAnswer`, …; at most
    /// ``Limits/faultKinds`` kinds, then `"other"`).
    public var backendFaults: [String: Int]
    /// A few excerpts of the offending frames per kind (secrets redacted), at most
    /// ``Limits/faultSamples`` each: the first ones seen (per loop, then in merge order).
    public var backendFaultSamples: [String: [String]]
    /// What happened to transaction-related messages across disconnects and failures.
    public var transactionMessages: TransactionMessageCounts

    /// Bounds on keys that come from outside the tool (peer error codes, peer action names, error texts).
    public enum Limits {
        /// Key under which everything past a bound is counted.
        public static let overflowKey = "other"
        /// Distinct connect-failure reasons kept.
        public static let connectFailureReasons = 32
        /// Distinct CALLERROR codes kept per action.
        public static let errorCodes = 32
        /// Distinct action names kept per direction.
        public static let actions = 128
        /// Distinct protocol-fault kinds kept.
        public static let faultKinds = 32
        /// Frame excerpts kept per protocol-fault kind.
        public static let faultSamples = 5
    }

    /// A snapshot with nothing counted.
    public init() {
        actions = [:]
        incoming = [:]
        transactionsStarted = 0
        transactionsStopped = 0
        connectedNow = 0
        peakConnected = 0
        connectionsOpened = 0
        connectionsClosed = 0
        bootAccepted = 0
        connectFailures = [:]
        connectionFailures = [:]
        eventLoopLag = nil
        backendFaults = [:]
        backendFaultSamples = [:]
        transactionMessages = TransactionMessageCounts()
    }

    /// Adds `other` into this snapshot: counters and histograms summed, ``connectedNow`` and
    /// ``peakConnected`` summed (see the type's documentation on the peak).
    public mutating func merge(_ other: TelemetrySnapshot) {
        for (action, stats) in other.actions {
            let index = actions.slot(for: action, limit: Limits.actions, empty: ActionStats())
            actions.values[index].merge(stats)
        }
        for (action, stats) in other.incoming {
            let index = incoming.slot(for: action, limit: Limits.actions, empty: IncomingStats())
            incoming.values[index].merge(stats)
        }
        transactionsStarted += other.transactionsStarted
        transactionsStopped += other.transactionsStopped
        connectedNow += other.connectedNow
        peakConnected += other.peakConnected
        connectionsOpened += other.connectionsOpened
        connectionsClosed += other.connectionsClosed
        bootAccepted += other.bootAccepted
        connectFailures.addCounts(other.connectFailures, limit: Limits.connectFailureReasons)
        connectionFailures.addCounts(other.connectionFailures, limit: Limits.connectFailureReasons)
        eventLoopLag.add(other.eventLoopLag)
        backendFaults.addCounts(other.backendFaults, limit: Limits.faultKinds)
        backendFaultSamples.addSamples(other.backendFaultSamples)
        transactionMessages.add(other.transactionMessages)
    }

    /// CALLs sent plus CALLs received: the messages the client handled as a requester or responder.
    public var callsHandled: Int {
        actions.values.reduce(0) { $0 + $1.sent } + incoming.values.reduce(0) { $0 + $1.received }
    }
}

/// Counters for one action we send (a CALL from the charge point to the CSMS).
public struct ActionStats: Sendable, Codable, Equatable {
    /// CALLs handed to the socket.
    public var sent: Int
    /// CALLRESULTs received.
    public var completed: Int
    /// CALLERRORs received.
    public var callErrors: Int
    /// CALLERRORs received, by error code.
    public var callErrorsByCode: [String: Int]
    /// CALLs that got no answer in time.
    public var timeouts: Int
    /// Send-to-CALLRESULT latencies (µs); nil until the first CALLRESULT.
    public var latency: LatencyHistogram?
    /// Send-to-CALLERROR latencies (µs), kept apart so fast rejections do not flatter `latency`;
    /// nil until the first CALLERROR.
    public var callErrorLatency: LatencyHistogram?
    /// For scheduled CALLs, intended-send-to-CALLRESULT times (µs): from the moment the CALL fell
    /// due, queueing behind earlier CALLs included (coordinated omission); nil until the first.
    public var responseFromIntended: LatencyHistogram?

    public init(
        sent: Int = 0, completed: Int = 0, callErrors: Int = 0, callErrorsByCode: [String: Int] = [:],
        timeouts: Int = 0, latency: LatencyHistogram? = nil, callErrorLatency: LatencyHistogram? = nil,
        responseFromIntended: LatencyHistogram? = nil
    ) {
        self.responseFromIntended = responseFromIntended
        self.sent = sent
        self.completed = completed
        self.callErrors = callErrors
        self.callErrorsByCode = callErrorsByCode
        self.timeouts = timeouts
        self.latency = latency
        self.callErrorLatency = callErrorLatency
    }

    /// Adds `other`'s counters and histograms into these.
    public mutating func merge(_ other: ActionStats) {
        sent += other.sent
        completed += other.completed
        callErrors += other.callErrors
        callErrorsByCode.addCounts(other.callErrorsByCode, limit: TelemetrySnapshot.Limits.errorCodes)
        timeouts += other.timeouts
        latency.add(other.latency)
        callErrorLatency.add(other.callErrorLatency)
        responseFromIntended.add(other.responseFromIntended)
    }
}

/// Counters for one action the CSMS sends us (a CALL from the CSMS to the charge point).
public struct IncomingStats: Sendable, Codable, Equatable {
    /// CALLs received.
    public var received: Int
    /// CALLs we answered with a CALLRESULT.
    public var answered: Int
    /// CALLs we answered with a CALLERROR.
    public var callErrors: Int
    /// CALLs we answered with a CALLERROR, by error code.
    public var callErrorsByCode: [String: Int]

    public init(received: Int = 0, answered: Int = 0, callErrors: Int = 0, callErrorsByCode: [String: Int] = [:]) {
        self.received = received
        self.answered = answered
        self.callErrors = callErrors
        self.callErrorsByCode = callErrorsByCode
    }

    /// Adds `other`'s counters into these.
    public mutating func merge(_ other: IncomingStats) {
        received += other.received
        answered += other.answered
        callErrors += other.callErrors
        callErrorsByCode.addCounts(other.callErrorsByCode, limit: TelemetrySnapshot.Limits.errorCodes)
    }
}

extension Dictionary where Key == String {
    /// The index of `key`'s entry, created empty if needed; once `limit` keys exist, new keys
    /// share the entry of ``TelemetrySnapshot/Limits/overflowKey``.
    mutating func slot(for key: String, limit: Int, empty: @autoclosure () -> Value) -> Index {
        if let index = index(forKey: key) { return index }
        // Only real keys count toward the limit, so the result does not depend on whether
        // the overflow key arrived (in a merge) before or after the others.
        let overflow = TelemetrySnapshot.Limits.overflowKey
        let realKeys = count - (index(forKey: overflow) == nil ? 0 : 1)
        let kept = realKeys < limit ? key : overflow
        if let index = index(forKey: kept) { return index }
        updateValue(empty(), forKey: kept)
        return index(forKey: kept)!  // just stored
    }
}

extension Dictionary where Key == String, Value == Int {
    /// Adds `amount` to `key`'s count, bounded as ``slot(for:limit:empty:)`` describes.
    mutating func increment(_ key: String, by amount: Int = 1, limit: Int) {
        let index = slot(for: key, limit: limit, empty: 0)
        values[index] += amount
    }

    /// Adds every count of `other`, bounded as ``slot(for:limit:empty:)`` describes.
    mutating func addCounts(_ other: [String: Int], limit: Int) {
        for (key, amount) in other { increment(key, by: amount, limit: limit) }
    }
}

extension Optional where Wrapped == LatencyHistogram {
    /// Adds `other` in, creating the histogram only when `other` has one.
    mutating func add(_ other: LatencyHistogram?) {
        guard let other else { return }
        if self == nil {
            self = other
        } else {
            self!.add(other)
        }
    }
}

extension Dictionary where Key == String, Value == [String] {
    /// Appends `other`'s samples per key, keeping at most ``TelemetrySnapshot/Limits/faultSamples``
    /// per key and ``TelemetrySnapshot/Limits/faultKinds`` keys (then `"other"`).
    mutating func addSamples(_ other: [String: [String]]) {
        for key in other.keys.sorted() {
            for sample in other[key]! { addSample(sample, for: key) }
        }
    }

    mutating func addSample(_ sample: String, for key: String) {
        let index = slot(for: key, limit: TelemetrySnapshot.Limits.faultKinds, empty: [])
        guard values[index].count < TelemetrySnapshot.Limits.faultSamples else { return }
        values[index].append(sample)
    }
}

/// The fate of transaction-related messages (StartTransaction, StopTransaction, MeterValues of a
/// transaction) that did not simply go out and get answered: the figures that prove, or
/// disprove, that outages lost nothing. Also the report's `transactions.messages`.
public struct TransactionMessageCounts: Sendable, Codable, Equatable {
    /// Made while the charge point had no accepted connection, held, and sent after reconnecting.
    public var queuedOffline: Int
    /// In flight when the connection was lost, and sent again on a later connection.
    public var replayed: Int
    /// Given up, by reason: `overflow` (the offline queue was full), `attemptsExhausted`
    /// (TransactionMessageAttempts timeouts or CALLERRORs), `noTransactionId` (its
    /// StartTransaction never got an id).
    public var dropped: [String: Int]

    public init(queuedOffline: Int = 0, replayed: Int = 0, dropped: [String: Int] = [:]) {
        self.queuedOffline = queuedOffline
        self.replayed = replayed
        self.dropped = dropped
    }

    /// Messages lost for any reason.
    public var droppedTotal: Int { dropped.values.reduce(0, +) }

    /// `0`, or the total with its reasons: `2 (attemptsExhausted 1, overflow 1)`.
    public var droppedText: String {
        guard droppedTotal > 0 else { return "0" }
        return "\(droppedTotal) (" + dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            .joined(separator: ", ") + ")"
    }

    public mutating func add(_ other: TransactionMessageCounts) {
        queuedOffline += other.queuedOffline
        replayed += other.replayed
        dropped.addCounts(other.dropped, limit: TelemetrySnapshot.Limits.faultKinds)
    }
}
