import OCPP

/// A CALL a 2.0.1 charging station wants to make. TransactionEvents are encoded when they
/// happen: the station makes the transaction id itself, and `offline` and `seqNo` are facts of
/// that moment, so nothing in them waits for a later answer (unlike 1.6's StopTransaction).
enum PendingCallV201: QueueableCall {
    case bootNotification(V201.BootReasonEnum)
    case heartbeat
    case statusNotification(evse: Int, status: V201.ConnectorStatusEnum, timestamp: Timestamp)
    case authorize(evse: Int, idToken: V201.IdToken)
    /// `periodic`: an Updated event with meter values only, the one kind that may make room
    /// for a newer transaction message when the queue is full.
    case transactionEvent(evse: Int, transaction: Int, type: V201.TransactionEventEnum, periodic: Bool, payload: [UInt8])
    /// Any other CALL, encoded when queued (NotifyReport, NotifyEvent, LogStatusNotification, …);
    /// its answer is checked against the action's response schema.
    case other(V201.Action, payload: [UInt8])

    var actionName: String { action.rawValue }

    var action: V201.Action {
        switch self {
        case .bootNotification: .bootNotification
        case .heartbeat: .heartbeat
        case .statusNotification: .statusNotification
        case .authorize: .authorize
        case .transactionEvent: .transactionEvent
        case .other(let action, _): action
        }
    }

    /// TransactionEvent is the one transaction-related message of 2.0.1 (E13, "Transaction-related
    /// message handling"): kept across disconnects and reboots, retried, delivered in order.
    var isTransactionMessage: Bool {
        if case .transactionEvent = self { true } else { false }
    }

    var survivesDisconnect: Bool {
        switch self {
        case .transactionEvent, .other: true
        case .bootNotification, .heartbeat, .statusNotification, .authorize: false
        }
    }

    var yieldsToTransactionMessages: Bool {
        if case .transactionEvent(_, _, _, let periodic, _) = self { periodic } else { false }
    }

    var payload: [UInt8] {
        switch self {
        case .transactionEvent(_, _, _, _, let payload), .other(_, let payload): payload
        case .bootNotification, .heartbeat, .statusNotification, .authorize: []
        }
    }
}
