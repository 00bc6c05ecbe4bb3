import OCPP

/// A CALL the charge point wants to make, kept unencoded until it is sent so that a
/// StopTransaction queued offline picks up the transactionId that arrives later.
enum PendingCall: Sendable, Equatable {
    case bootNotification
    case heartbeat
    case statusNotification(connector: Int, status: V16.ChargePointStatus, errorCode: V16.ChargePointErrorCode, timestamp: Timestamp)
    case authorize(connector: Int, idTag: String)
    case startTransaction(ref: Int, connector: Int, idTag: String, meterStart: Int, timestamp: Timestamp)
    case stopTransaction(ref: Int, idTag: String?, meterStop: Int, timestamp: Timestamp, reason: V16.StopReason, data: [V16.MeterValue]?)
    case meterValues(connector: Int, ref: Int?, values: [V16.MeterValue])
    /// A CALL of a feature profile beyond Core (firmware, diagnostics, security, …), encoded
    /// when queued: nothing in it waits for a later fact. It survives a reconnect (a status
    /// notification of a running download must still arrive), is not retried after a
    /// failure, and its answer goes to `featureAnswered`.
    case feature(V16.Action, payload: [UInt8])

    var action: V16.Action {
        switch self {
        case .bootNotification: .bootNotification
        case .heartbeat: .heartbeat
        case .statusNotification: .statusNotification
        case .authorize: .authorize
        case .startTransaction: .startTransaction
        case .stopTransaction: .stopTransaction
        case .meterValues: .meterValues
        case .feature(let action, _): action
        }
    }

    /// Transaction-related messages (OCPP 1.6 §4.7) survive disconnects and are retried.
    var isTransactionMessage: Bool {
        switch self {
        case .startTransaction, .stopTransaction: true
        case .meterValues(_, let ref, _): ref != nil
        case .bootNotification, .heartbeat, .statusNotification, .authorize, .feature: false
        }
    }
}

extension PendingCall: QueueableCall {
    var actionName: String { action.rawValue }

    var survivesDisconnect: Bool {
        switch self {
        case .startTransaction, .stopTransaction, .meterValues, .authorize, .feature: true
        case .bootNotification, .heartbeat, .statusNotification: false
        }
    }

    var yieldsToTransactionMessages: Bool {
        if case .meterValues = self { true } else { false }
    }
}

