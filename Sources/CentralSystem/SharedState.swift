import Logging
import NIOCore
import OCPP
import Synchronization

/// Counters of the messages handled on one event loop. Only that loop's connections write
/// them, so their lock is uncontended except while `stats` reads it.
final class LoopCounters: Sendable {
    struct Counts {
        var calls: [VersionedAction: Int] = [:]
        var unknownActions = 0
        var callErrors: [VersionedErrorCode: Int] = [:]
        var bootsAccepted = 0
        var violations: [ProtocolViolation: Int] = [:]
        var messagesBeforeBoot = 0
        var binaryFrames = 0
        var pings = 0
        var responsesIgnored = 0
        var sent: [VersionedAction: SentCallCounts] = [:]
        /// WebSocket sessions opened per negotiated version.
        var connections: [OCPPVersion: Int] = [:]

        func add(to stats: inout CentralSystemStats) {
            for (action, counts) in sent { stats.callsSent[action, default: .init()].merge(counts) }
            stats.callsReceived.merge(calls, uniquingKeysWith: +)
            stats.unknownActionsReceived += unknownActions
            stats.callErrorsSent.merge(callErrors, uniquingKeysWith: +)
            stats.bootsAccepted += bootsAccepted
            for (violation, count) in violations { stats.violations.add(violation, count) }
            stats.violations.messagesBeforeBoot += messagesBeforeBoot
            stats.binaryFramesIgnored += binaryFrames
            stats.pingsReceived += pings
            stats.responsesIgnored += responsesIgnored
            stats.connectionsByVersion.merge(connections, uniquingKeysWith: +)
        }
    }

    private let counts = Mutex(Counts())

    func record(_ update: (inout Counts) -> Void) {
        counts.withLock { update(&$0) }
    }

    var snapshot: Counts { counts.withLock { $0 } }
}

/// WebSocket connections across all loops: exact, since connects and disconnects are rare
/// next to messages.
final class ConnectionGauge: Sendable {
    private let acceptedCount = Atomic<Int>(0)
    private let currentCount = Atomic<Int>(0)
    private let peakCount = Atomic<Int>(0)
    private let rejectedCount = Atomic<Int>(0)
    private let replacedCount = Atomic<Int>(0)
    private let unauthorizedCount = Atomic<Int>(0)
    private let tlsFailedCount = Atomic<Int>(0)

    func opened() {
        acceptedCount.add(1, ordering: .relaxed)
        let now = currentCount.add(1, ordering: .relaxed).newValue
        peakCount.max(now, ordering: .relaxed)
    }

    func closed() { currentCount.subtract(1, ordering: .relaxed) }
    func rejected() { rejectedCount.add(1, ordering: .relaxed) }
    func replaced() { replacedCount.add(1, ordering: .relaxed) }
    func unauthorized() { unauthorizedCount.add(1, ordering: .relaxed) }
    func tlsHandshakeFailed() { tlsFailedCount.add(1, ordering: .relaxed) }

    func add(to stats: inout CentralSystemStats) {
        stats.connectionsAccepted = acceptedCount.load(ordering: .relaxed)
        stats.connectionsCurrent = currentCount.load(ordering: .relaxed)
        stats.connectionsPeak = peakCount.load(ordering: .relaxed)
        stats.handshakesRejected = rejectedCount.load(ordering: .relaxed)
        stats.connectionsReplaced = replacedCount.load(ordering: .relaxed)
        stats.authenticationFailures = unauthorizedCount.load(ordering: .relaxed)
        stats.tlsHandshakesFailed = tlsFailedCount.load(ordering: .relaxed)
    }
}

/// Which charge point is connected on which channel, which ones ever had a boot accepted,
/// and every accepted socket (for shutdown). Shared across loops; touched on connect,
/// disconnect and accepted boot only, never per message.
final class ChargePointRegistry: Sendable {
    private struct State {
        var sessions: [String: any Channel] = [:]
        var booted: Set<String> = []
        var sockets: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    /// Remembers an accepted socket; false once shutdown began (the caller closes it).
    func track(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.shuttingDown else { return false }
            state.sockets[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func untrack(_ channel: any Channel) {
        state.withLock { _ = $0.sockets.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Registers the WebSocket session of `id`; returns the session it replaces, if any, and
    /// whether `id` had a boot accepted before.
    func open(_ id: String, on channel: any Channel) -> (replaced: (any Channel)?, booted: Bool) {
        state.withLock { state in
            let previous = state.sessions.updateValue(channel, forKey: id)
            let replaced = previous.flatMap { $0 === channel ? nil : $0 }
            return (replaced, state.booted.contains(id))
        }
    }

    /// Forgets the session of `id` if it is still the one on `channel`.
    func close(_ id: String, on channel: any Channel) {
        state.withLock { state in
            if let current = state.sessions[id], current === channel {
                state.sessions.removeValue(forKey: id)
            }
        }
    }

    func markBooted(_ id: String) {
        state.withLock { _ = $0.booted.insert(id) }
    }

    var bootedCount: Int { state.withLock { $0.booted.count } }

    var openSockets: [any Channel] { state.withLock { Array($0.sockets.values) } }

    /// Refuses new sockets from now on and returns the open ones.
    func beginShutdown() -> [any Channel] {
        state.withLock { state in
            state.shuttingDown = true
            return Array(state.sockets.values)
        }
    }
}

/// Open transactions of all charge points, keyed by transaction id, so a charge point may
/// stop a transaction on a later connection served by another loop.
final class TransactionLedger: Sendable {
    struct OpenTransaction: Equatable {
        var chargePointId: String
        var connectorId: Int
        var meterStart: Int
    }

    /// What makes two StartTransaction.req the same message: a charge point that lost the
    /// answer sends it again unchanged (OCPP 1.6 §4.7), and must get the same id back.
    struct StartKey: Hashable {
        var chargePointId: String
        var connectorId: Int
        var idTag: String
        var meterStart: Int
        var timestamp: Int64
    }

    enum StopOutcome: Equatable {
        case stopped
        /// The same transaction stopped again: a StopTransaction.req replayed after its answer was lost.
        case replayed
        /// An id this CSMS never issued, or closed long ago.
        case unknown
    }

    private struct State {
        var open: [Int: (transaction: OpenTransaction, key: StartKey)] = [:]
        var idsByStart: [StartKey: Int] = [:]
        /// Recently stopped ids, oldest first, so a replayed stop is told from an unknown one.
        var recentlyStopped: Set<Int> = []
        var stoppedOrder: [Int] = []
        var started = 0
        var stopped = 0
        var replayedStarts = 0
        var replayedStops = 0
    }

    /// How many stopped ids are remembered for telling replays from unknown stops.
    static let stoppedMemory = 10_000

    /// Transaction ids increase across the whole process, so two servers in one process
    /// (or a restarted one) never hand out the same id twice.
    private static let nextId = Atomic<Int>(1)

    private let state = Mutex(State())

    /// Opens a transaction and returns its id; a replayed start gets the id it got before.
    func start(_ transaction: OpenTransaction, key: StartKey) -> Int {
        state.withLock { state in
            if let id = state.idsByStart[key] {
                state.replayedStarts += 1
                return id
            }
            let id = Self.nextId.add(1, ordering: .relaxed).oldValue
            state.open[id] = (transaction, key)
            state.idsByStart[key] = id
            state.started += 1
            return id
        }
    }

    /// Closes transaction `id`.
    func stop(_ id: Int) -> StopOutcome {
        state.withLock { state in
            guard let entry = state.open.removeValue(forKey: id) else {
                guard state.recentlyStopped.contains(id) else { return .unknown }
                state.replayedStops += 1
                return .replayed
            }
            state.idsByStart.removeValue(forKey: entry.key)
            state.stopped += 1
            state.recentlyStopped.insert(id)
            state.stoppedOrder.append(id)
            if state.stoppedOrder.count > Self.stoppedMemory {
                let forget = state.stoppedOrder.count - Self.stoppedMemory / 2
                for old in state.stoppedOrder.prefix(forget) { state.recentlyStopped.remove(old) }
                state.stoppedOrder.removeFirst(forget)
            }
            return .stopped
        }
    }

    func transaction(_ id: Int) -> OpenTransaction? {
        state.withLock { $0.open[id]?.transaction }
    }

    func add(to stats: inout CentralSystemStats, listing limit: Int = 100) {
        let ids = state.withLock { state in
            stats.transactionsStarted += state.started
            stats.transactionsStopped += state.stopped
            stats.replayedTransactionStarts = state.replayedStarts
            stats.replayedTransactionStops = state.replayedStops
            stats.openTransactions += state.open.count
            return Array(state.open.keys)
        }
        // Sorted outside the lock: there can be thousands.
        stats.openTransactionIds = Array(ids.sorted().prefix(limit))
    }
}

/// The scenario's memory across connections: when the CSMS started (its `at` calls are
/// measured from there) and which `at` calls each charge point already got, so a charge point
/// that reconnects (after a firmware update, say) does not get them again. Touched on connect
/// and when an `at` call is sent, never per message.
final class ScenarioMemory: Sendable {
    private struct State {
        var epoch: Duration?
        var onceSent: [String: Set<Int>] = [:]
    }

    private let state = Mutex(State())

    /// The scenario's start: the first call's `now` (the first connection's loop time).
    func epoch(now: Duration) -> Duration {
        state.withLock { state in
            if let epoch = state.epoch { return epoch }
            state.epoch = now
            return now
        }
    }

    func onceSent(_ id: String) -> Set<Int> { state.withLock { $0.onceSent[id] ?? [] } }

    func recordOnceSent(_ id: String, _ calls: Set<Int>) {
        state.withLock { $0.onceSent[id, default: []].formUnion(calls) }
    }
}

/// Everything the connections of one server share: configuration, registry, ledger,
/// gauges, and one counter set per event loop.
final class SharedState: Sendable {
    let configuration: CentralSystemConfiguration
    /// Per-connection context (`cp.id`) goes in metadata, evaluated only when the level logs.
    let logger: Logger
    let registry = ChargePointRegistry()
    /// OCPP 1.6 transactions (ids issued here).
    let ledger = TransactionLedger()
    /// OCPP 2.0.1 transactions (ids chosen by the stations).
    let transactionEvents = TransactionEventLedger()
    let gauge = ConnectionGauge()
    let scenarioMemory = ScenarioMemory()
    private let loopCounters: [ObjectIdentifier: LoopCounters]
    /// For loops outside the server's group (an `EmbeddedEventLoop` in tests).
    private let otherCounters = LoopCounters()

    init(configuration: CentralSystemConfiguration, loops: [any EventLoop], logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var counters: [ObjectIdentifier: LoopCounters] = [:]
        for loop in loops { counters[ObjectIdentifier(loop)] = LoopCounters() }
        self.loopCounters = counters
    }

    func counters(for loop: any EventLoop) -> LoopCounters {
        loopCounters[ObjectIdentifier(loop)] ?? otherCounters
    }

    var stats: CentralSystemStats {
        var stats = CentralSystemStats()
        gauge.add(to: &stats)
        for counters in loopCounters.values { counters.snapshot.add(to: &stats) }
        otherCounters.snapshot.add(to: &stats)
        stats.chargePointsBooted = registry.bootedCount
        ledger.add(to: &stats)
        transactionEvents.add(to: &stats)
        return stats
    }
}
