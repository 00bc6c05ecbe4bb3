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
    /// Upgrade requests refused: no charge point id (404), no `ocpp1.6` subprotocol or a
    /// malformed handshake (400).
    public var handshakesRejected = 0
    /// Connections closed because the same charge point id connected again.
    public var connectionsReplaced = 0
    /// Upgrade requests refused for their credentials: a wrong or missing password (401), or a
    /// client certificate for another charge point (403). Also counted in `handshakesRejected`.
    public var authenticationFailures = 0
    /// TLS handshakes that failed (the client distrusted our certificate, or presented none,
    /// or an untrusted one, when one is required).
    public var tlsHandshakesFailed = 0

    /// CALLs received per known action, including the ones answered with a CALLERROR.
    public var callsReceived: [V16.Action: Int] = [:]
    /// CALLs whose action OCPP 1.6 does not define (answered NotImplemented).
    public var unknownActionsReceived = 0
    /// CALLERRORs sent, per error code.
    public var callErrorsSent: [CallError.Code: Int] = [:]
    /// BootNotifications answered Accepted.
    public var bootsAccepted = 0
    /// Distinct charge point ids that had a boot accepted.
    public var chargePointsBooted = 0
    /// Charge point behaviour that breaks OCPP 1.6 but was still answered.
    public var violations = Violations()
    /// Binary WebSocket frames, which OCPP-J does not use (OCPP-J 1.6 §4.1.1); ignored.
    public var binaryFramesIgnored = 0
    /// WebSocket pings from charge points (WebSocketPingInterval), each answered with a pong.
    public var pingsReceived = 0
    /// CALLRESULTs and CALLERRORs from charge points that answer no CALL of ours (unknown or late ids).
    public var responsesIgnored = 0
    /// The scenario's CALLs per action, and their answers.
    public var callsSent: [V16.Action: SentCallCounts] = [:]

    /// StartTransaction.req answered (each got a new transaction id).
    public var transactionsStarted = 0
    /// StopTransaction.req that closed an open transaction.
    public var transactionsStopped = 0
    /// StartTransaction.req received again unchanged (its answer was lost); answered with the same id.
    public var replayedTransactionStarts = 0
    /// StopTransaction.req for a transaction already stopped here (a replay, not a violation).
    public var replayedTransactionStops = 0
    /// Transactions started and not stopped yet.
    public var openTransactions = 0
    /// The lowest open transaction ids, at most 100, ascending.
    public var openTransactionIds: [Int] = []

    /// Protocol violations by kind.
    public struct Violations: Sendable, Equatable {
        /// StopTransaction.req for a transaction id this CSMS never issued (or closed more than
        /// `TransactionLedger.stoppedMemory` stops ago); a replay of a recent stop is not one.
        public var unknownTransactionStops = 0
        /// Requests other than BootNotification from a charge point whose boot was not
        /// accepted yet, on this connection or an earlier one (OCPP 1.6 §4.2.1).
        public var messagesBeforeBoot = 0

        public init() {}

        public var total: Int { unknownTransactionStops + messagesBeforeBoot }
    }

    public init() {}

    /// The number of CALLs received for `action`.
    public func received(_ action: V16.Action) -> Int { callsReceived[action] ?? 0 }

    /// The number of CALLERRORs sent with `code`.
    public func callErrors(_ code: CallError.Code) -> Int { callErrorsSent[code] ?? 0 }

    /// The snapshot as one line of JSON with stable keys (`ocpp-fleet serve` prints it as
    /// `stats {…}` on shutdown); actions and error codes appear under their OCPP names.
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
            w.object { w in
                for action in V16.Action.allCases {
                    if let count = callsReceived[action] { w.field(action.rawValue, count) }
                }
            }
            w.field("unknownActionsReceived", unknownActionsReceived)
            w.key("callErrorsSent")
            w.object { w in
                for code in CallError.Code.allCases {
                    if let count = callErrorsSent[code] { w.field(code.rawValue, count) }
                }
            }
            w.field("bootsAccepted", bootsAccepted)
            w.field("chargePointsBooted", chargePointsBooted)
            w.key("violations")
            w.object { w in
                w.field("unknownTransactionStops", violations.unknownTransactionStops)
                w.field("messagesBeforeBoot", violations.messagesBeforeBoot)
            }
            w.field("binaryFramesIgnored", binaryFramesIgnored)
            w.field("pingsReceived", pingsReceived)
            w.field("responsesIgnored", responsesIgnored)
            w.key("callsSent")
            w.object { w in
                for action in V16.Action.allCases {
                    guard let counts = callsSent[action] else { continue }
                    w.key(action.rawValue)
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
            w.field("transactionsStarted", transactionsStarted)
            w.field("transactionsStopped", transactionsStopped)
            w.field("replayedTransactionStarts", replayedTransactionStarts)
            w.field("replayedTransactionStops", replayedTransactionStops)
            w.field("openTransactions", openTransactions)
            w.key("openTransactionIds")
            w.beginArray()
            for id in openTransactionIds { w.integer(id) }
            w.endArray()
        }
        return w.text
    }
}
