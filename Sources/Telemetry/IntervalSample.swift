/// What the charge points of one group on one loop did during one interval (about a second),
/// handed over by ``LoopTelemetry/flush()``: the raw material of the time series and of the
/// live metrics. Histograms are ``SparseHistogram``s, so a sample is small and cheap to send
/// across threads; samples of several loops or groups add exactly with ``merge(_:)``.
public struct IntervalSample: Sendable, Equatable {
    /// CALLs the charge points sent, by action.
    public var actions: [String: Action]
    /// CALLs the CSMS sent, by action (received, answered, CALLERROR answers by code).
    public var incoming: [String: IncomingStats]
    public var transactionsStarted: Int
    public var transactionsStopped: Int
    public var bootAccepted: Int
    /// Failed connection attempts by reason.
    public var connectFailures: [String: Int]
    /// The same attempts by kind (`http-401`, `tls-untrusted`, …).
    public var connectionFailures: [String: Int]
    /// Charge points connected when the interval ended.
    public var connected: Int

    public struct Action: Sendable, Equatable {
        public var sent: Int
        public var completed: Int
        public var callErrors: Int
        public var callErrorsByCode: [String: Int]
        public var timeouts: Int
        /// CALL → CALLRESULT latencies; nil without CALLRESULTs.
        public var latency: SparseHistogram?

        public init(sent: Int = 0, completed: Int = 0, callErrors: Int = 0, callErrorsByCode: [String: Int] = [:],
                    timeouts: Int = 0, latency: SparseHistogram? = nil) {
            self.sent = sent
            self.completed = completed
            self.callErrors = callErrors
            self.callErrorsByCode = callErrorsByCode
            self.timeouts = timeouts
            self.latency = latency
        }

        var isEmpty: Bool { sent == 0 && completed == 0 && callErrors == 0 && timeouts == 0 }

        mutating func merge(_ other: Action) {
            sent += other.sent
            completed += other.completed
            callErrors += other.callErrors
            callErrorsByCode.addCounts(other.callErrorsByCode, limit: TelemetrySnapshot.Limits.errorCodes)
            timeouts += other.timeouts
            latency.add(other.latency)
        }
    }

    public init() {
        actions = [:]
        incoming = [:]
        transactionsStarted = 0
        transactionsStopped = 0
        bootAccepted = 0
        connectFailures = [:]
        connectionFailures = [:]
        connected = 0
    }

    /// Adds `other` (another loop or group, same interval): counts, histograms and `connected` add.
    public mutating func merge(_ other: IntervalSample) {
        for (name, action) in other.actions {
            let index = actions.slot(for: name, limit: TelemetrySnapshot.Limits.actions, empty: Action())
            actions.values[index].merge(action)
        }
        for (name, stats) in other.incoming {
            let index = incoming.slot(for: name, limit: TelemetrySnapshot.Limits.actions, empty: IncomingStats())
            incoming.values[index].merge(stats)
        }
        transactionsStarted += other.transactionsStarted
        transactionsStopped += other.transactionsStopped
        bootAccepted += other.bootAccepted
        connectFailures.addCounts(other.connectFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        connectionFailures.addCounts(other.connectionFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        connected += other.connected
    }

    /// CALLs sent, over all actions.
    public var sent: Int { actions.values.reduce(0) { $0 + $1.sent } }
    /// CALLERRORs received plus timeouts, over all actions.
    public var errors: Int { actions.values.reduce(0) { $0 + $1.callErrors + $1.timeouts } }
}

/// One loop's ``LoopTelemetry/flush()``: a sample per group and the loop's event-loop lag.
public struct LoopFlush: Sendable, Equatable {
    public var groups: [IntervalSample]
    public var eventLoopLag: SparseHistogram?

    public init(groups: [IntervalSample], eventLoopLag: SparseHistogram?) {
        self.groups = groups
        self.eventLoopLag = eventLoopLag
    }
}

extension TimeSeries.Point {
    /// The bucket starting at `time` from the fleet-wide sample of one interval and the
    /// process figures measured for it.
    public init(time: Int64, sample: IntervalSample, connected: Int?, cpuSeconds: Double?, rssBytes: Int?,
                eventLoopLag: SparseHistogram?, openFileDescriptors: Int? = nil, openTransactions: Int? = nil) {
        var actions: [String: Action] = [:]
        var totals = (sent: 0, completed: 0, callErrors: 0, timeouts: 0)
        for (name, action) in sample.actions {
            actions[name] = Action(sent: action.sent, completed: action.completed, callErrors: action.callErrors,
                                   timeouts: action.timeouts, latency: action.latency)
            totals.sent += action.sent
            totals.completed += action.completed
            totals.callErrors += action.callErrors
            totals.timeouts += action.timeouts
        }
        self.init(
            time: time, connected: connected, sent: totals.sent, completed: totals.completed,
            callErrors: totals.callErrors, timeouts: totals.timeouts,
            incoming: sample.incoming.values.reduce(0) { $0 + $1.received },
            connectFailures: sample.connectFailures.values.reduce(0, +), actions: actions,
            cpuSeconds: cpuSeconds, rssBytes: rssBytes, eventLoopLag: eventLoopLag)
        self.openFileDescriptors = openFileDescriptors
        self.openTransactions = openTransactions
    }
}
