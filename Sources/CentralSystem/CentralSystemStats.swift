import OCPP

/// A snapshot of the embedded CSMS's counters since it started. Counts are exact:
/// each is summed from per-loop counters or read from an atomic when the snapshot is
/// taken, so the parts of one snapshot may be a few messages apart under load.
public struct CentralSystemStats: Sendable, Equatable {
    /// WebSocket connections opened (successful upgrades).
    public var connectionsAccepted = 0
    /// WebSocket connections open now.
    public var connectionsCurrent = 0
    /// The most WebSocket connections open at once.
    public var connectionsPeak = 0
    /// Upgrade requests refused: no charge point id (404), no subprotocol this CSMS serves
    /// (`ocpp1.6`, `ocpp2.0.1`) or a malformed handshake (400).
    public var handshakesRejected = 0
    /// Connections closed because the same charge point id connected again.
    public var connectionsReplaced = 0
    /// Upgrade requests refused for their credentials: a wrong or missing password (401), or a
    /// client certificate for another charge point (403). Also counted in `handshakesRejected`.
    public var authenticationFailures = 0
    /// TLS handshakes that failed (the client distrusted our certificate, or presented none,
    /// or an untrusted one, when one is required).
    public var tlsHandshakesFailed = 0

    /// WebSocket sessions opened per negotiated OCPP version.
    public var connectionsByVersion: [OCPPVersion: Int] = [:]
    /// CALLs received per known action of either version, including the ones answered with a CALLERROR.
    public var callsReceived: [VersionedAction: Int] = [:]
    /// CALLs whose action the connection's OCPP version does not define (answered NotImplemented).
    public var unknownActionsReceived = 0
    /// CALLERRORs sent, per error code as spelled in the connection's version.
    public var callErrorsSent: [VersionedErrorCode: Int] = [:]
    /// BootNotifications answered Accepted.
    public var bootsAccepted = 0
    /// Distinct charge point ids that had a boot accepted.
    public var chargePointsBooted = 0
    /// Charge point behaviour that breaks OCPP but was still answered.
    public var violations = Violations()
    /// Binary WebSocket frames, which OCPP-J does not use (OCPP-J 1.6 §4.1.1); ignored.
    public var binaryFramesIgnored = 0
    /// WebSocket pings from charge points (WebSocketPingInterval), each answered with a pong.
    public var pingsReceived = 0
    /// CALLRESULTs and CALLERRORs from charge points that answer no CALL of ours (unknown or late ids).
    public var responsesIgnored = 0
    /// The scenario's CALLs per action, and their answers.
    public var callsSent: [VersionedAction: SentCallCounts] = [:]

    /// Transactions started, of both versions: 1.6 StartTransaction.req answered with a new id,
    /// and 2.0.1 transactions whose TransactionEvent Started arrived.
    public var transactionsStarted = 0
    /// Transactions closed, of both versions: 1.6 StopTransaction.req of an open transaction,
    /// 2.0.1 TransactionEvent Ended.
    public var transactionsStopped = 0
    /// 1.6 StartTransaction.req received again unchanged (its answer was lost); answered with the same id.
    public var replayedTransactionStarts = 0
    /// 1.6 StopTransaction.req for a transaction already stopped here (a replay, not a violation).
    public var replayedTransactionStops = 0
    /// Transactions of both versions started and not closed yet.
    public var openTransactions = 0
    /// The lowest open 1.6 transaction ids, at most 100, ascending.
    public var openTransactionIds: [Int] = []
    /// The 2.0.1 transactions (also counted in the totals above).
    public var transactionEvents = TransactionEventCounts()

    /// OCPP 2.0.1 transactions as the TransactionEvents told them.
    public struct TransactionEventCounts: Sendable, Equatable {
        /// Transactions whose Started arrived.
        public var started = 0
        /// Transactions whose Ended arrived.
        public var ended = 0
        /// Started and not ended.
        public var open = 0
        /// Events received again unchanged after a lost answer; answered as the first time.
        public var replayed = 0
        /// The first open transactions (`<station id>/<transactionId>`), at most 100, in order.
        public var openTransactions: [String] = []

        public init() {}
    }

    /// Protocol violations by kind.
    public struct Violations: Sendable, Equatable {
        /// 1.6 StopTransaction.req for a transaction id this CSMS never issued (or closed more than
        /// `TransactionLedger.stoppedMemory` stops ago); a replay of a recent stop is not one.
        public var unknownTransactionStops = 0
        /// Requests other than BootNotification from a charge point whose boot was not
        /// accepted yet, on this connection or an earlier one (OCPP 1.6 §4.2.1, 2.0.1 B02/B03).
        public var messagesBeforeBoot = 0
        /// 2.0.1 TransactionEvent Updated or Ended for a transaction whose Started never arrived.
        public var unknownTransactionEvents = 0
        /// 2.0.1 TransactionEvent for a transaction that had ended (other than a replay of its Ended).
        public var transactionEventsAfterEnd = 0
        /// 2.0.1 a second Started, with other content, for a running transaction.
        public var repeatedTransactionStarts = 0
        /// 2.0.1 seqNo skipping numbers within a transaction that counts from 0.
        public var seqNoGaps = 0
        /// 2.0.1 seqNo not above the transaction's last one, with other content than that event.
        public var seqNoNotIncreasing = 0

        public init() {}

        public var total: Int {
            unknownTransactionStops + messagesBeforeBoot + unknownTransactionEvents + transactionEventsAfterEnd
                + repeatedTransactionStarts + seqNoGaps + seqNoNotIncreasing
        }

        mutating func add(_ violation: ProtocolViolation, _ count: Int) {
            switch violation {
            case .unknownTransactionStop: unknownTransactionStops += count
            case .unknownTransactionEvent: unknownTransactionEvents += count
            case .transactionEventAfterEnd: transactionEventsAfterEnd += count
            case .repeatedTransactionStart: repeatedTransactionStarts += count
            case .seqNoGap: seqNoGaps += count
            case .seqNoNotIncreasing: seqNoNotIncreasing += count
            }
        }

        /// Every kind with its JSON key, in a stable order.
        var named: [(String, Int)] {
            [("unknownTransactionStops", unknownTransactionStops), ("messagesBeforeBoot", messagesBeforeBoot),
             ("unknownTransactionEvents", unknownTransactionEvents), ("transactionEventsAfterEnd", transactionEventsAfterEnd),
             ("repeatedTransactionStarts", repeatedTransactionStarts), ("seqNoGaps", seqNoGaps),
             ("seqNoNotIncreasing", seqNoNotIncreasing)]
        }
    }

    public init() {}

    /// The number of CALLs received for the 1.6 `action`.
    public func received(_ action: V16.Action) -> Int { callsReceived[.v16(action)] ?? 0 }

    /// The number of CALLs received for `action` of either version.
    public func received(_ action: VersionedAction) -> Int { callsReceived[action] ?? 0 }

    /// The number of 1.6 CALLERRORs sent with `code`.
    public func callErrors(_ code: CallError.Code) -> Int { callErrorsSent[.v16(code)] ?? 0 }

    /// The number of CALLERRORs sent with `code` of either version.
    public func callErrors(_ code: VersionedErrorCode) -> Int { callErrorsSent[code] ?? 0 }

    /// The snapshot as one line of JSON with stable keys (`ocpp-fleet serve` prints it as
    /// `stats {…}` on shutdown); actions and error codes appear under their OCPP names. The
    /// top-level `callsReceived`, `callErrorsSent` and `callsSent` add both versions up by name
    /// (BootNotification of 1.6 and 2.0.1 stations together); `versions` splits them.
    public var jsonLine: String {
        var w = JSONWriter(capacity: 1024)
        w.object { w in
            w.field("connectionsAccepted", connectionsAccepted)
            w.field("connectionsCurrent", connectionsCurrent)
            w.field("connectionsPeak", connectionsPeak)
            w.field("handshakesRejected", handshakesRejected)
            w.field("connectionsReplaced", connectionsReplaced)
            w.field("authenticationFailures", authenticationFailures)
            w.field("tlsHandshakesFailed", tlsHandshakesFailed)
            w.key("callsReceived")
            Self.write(Self.byName(callsReceived.map { ($0.key.name, $0.value) }), to: &w)
            w.field("unknownActionsReceived", unknownActionsReceived)
            w.key("callErrorsSent")
            Self.write(Self.byName(callErrorsSent.map { ($0.key.name, $0.value) }), to: &w)
            w.field("bootsAccepted", bootsAccepted)
            w.field("chargePointsBooted", chargePointsBooted)
            w.key("violations")
            w.object { w in for (name, count) in violations.named { w.field(name, count) } }
            w.field("binaryFramesIgnored", binaryFramesIgnored)
            w.field("pingsReceived", pingsReceived)
            w.field("responsesIgnored", responsesIgnored)
            w.key("callsSent")
            Self.write(callsSent: callsSent.map { ($0.key, $0.value) }, to: &w)
            w.field("transactionsStarted", transactionsStarted)
            w.field("transactionsStopped", transactionsStopped)
            w.field("replayedTransactionStarts", replayedTransactionStarts)
            w.field("replayedTransactionStops", replayedTransactionStops)
            w.field("openTransactions", openTransactions)
            w.key("openTransactionIds")
            w.beginArray()
            for id in openTransactionIds { w.integer(id) }
            w.endArray()
            w.key("transactionEvents")
            w.object { w in
                w.field("started", transactionEvents.started)
                w.field("ended", transactionEvents.ended)
                w.field("open", transactionEvents.open)
                w.field("replayed", transactionEvents.replayed)
                w.key("openTransactions")
                w.beginArray()
                for id in transactionEvents.openTransactions { w.string(id) }
                w.endArray()
            }
            w.key("versions")
            w.object { w in
                for version in OCPPVersion.allCases {
                    let calls = callsReceived.filter { $0.key.version == version }
                    let connections = connectionsByVersion[version] ?? 0
                    guard connections > 0 || !calls.isEmpty else { continue }
                    w.key(version.rawValue)
                    w.object { w in
                        w.field("connectionsAccepted", connections)
                        w.key("callsReceived")
                        Self.write(Self.byName(calls.map { ($0.key.name, $0.value) }), to: &w)
                        w.key("callErrorsSent")
                        Self.write(Self.byName(callErrorsSent.filter { $0.key.version == version }
                            .map { ($0.key.name, $0.value) }), to: &w)
                        w.key("callsSent")
                        Self.write(callsSent: callsSent.filter { $0.key.version == version }.map { ($0.key, $0.value) },
                                   to: &w)
                    }
                }
            }
        }
        return w.text
    }

    /// Counts summed per name, in name order.
    private static func byName(_ counts: [(String, Int)]) -> [(String, Int)] {
        Dictionary(counts, uniquingKeysWith: +).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private static func write(_ counts: [(String, Int)], to w: inout JSONWriter) {
        w.object { w in for (name, count) in counts { w.field(name, count) } }
    }

    private static func write(callsSent: [(VersionedAction, SentCallCounts)], to w: inout JSONWriter) {
        var merged: [String: SentCallCounts] = [:]
        for (action, counts) in callsSent { merged[action.name, default: .init()].merge(counts) }
        w.object { w in
            for (name, counts) in merged.sorted(by: { $0.key < $1.key }) {
                w.key(name)
                w.object { w in
                    w.field("sent", counts.sent)
                    w.key("results")
                    w.object { w in for (status, n) in counts.results.sorted(by: { $0.key < $1.key }) { w.field(status, n) } }
                    w.key("callErrors")
                    w.object { w in for (code, n) in counts.callErrors.sorted(by: { $0.key < $1.key }) { w.field(code, n) } }
                    w.field("invalidResults", counts.invalidResults)
                    w.field("timeouts", counts.timeouts)
                    w.field("skipped", counts.skipped)
                }
            }
        }
    }
}

extension VersionedErrorCode {
    public var version: OCPPVersion {
        switch self {
        case .v16: .v16
        case .v201: .v201
        }
    }
}
