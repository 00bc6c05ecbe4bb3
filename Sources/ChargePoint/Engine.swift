import OCPP

/// What a charge point engine asks its shell to do. The engine never performs I/O:
/// the shell (`Fleet`'s WebSocket transport, or a test's scripted CSMS) carries these out.
public enum EngineOutput: Sendable, Equatable {
    /// Write this text frame on the WebSocket.
    case send([UInt8])
    /// Close the connection (normal close) and connect again after `after`: a reboot.
    case reboot(after: Interval)
    /// Close the connection (normal close) and connect again after `after`, reading the
    /// security settings anew (profile, AuthorizationKey, client certificate): no reboot,
    /// the registration stays (security whitepaper A01, A05.FR.06).
    case reconnect(after: Interval)
    /// Something telemetry or the behaviour driver cares about.
    case event(EngineEvent)
}

/// Facts the engine reports. Action names are the wire names, so telemetry stays
/// independent of the OCPP version.
public enum EngineEvent: Sendable, Equatable {
    case callSent(action: String)
    /// A CALLRESULT arrived `latency` after its CALL was sent. `sinceDue`: for scheduled
    /// messages (Heartbeat, periodic and clock-aligned MeterValues, behaviour events), the time
    /// from the moment the CALL fell due (its timer, or its enqueueing) to its answer, so that
    /// time spent waiting in the charge point's queue behind a slow backend is not hidden
    /// (coordinated omission); nil for other CALLs.
    case callCompleted(action: String, latency: Interval, sinceDue: Interval? = nil)
    case callErrored(action: String, code: String, latency: Interval)
    case callTimedOut(action: String)
    /// A CALL from the CSMS was answered; `errorCode` is set when the answer was a CALLERROR.
    case incoming(action: String, errorCode: String?)
    case bootAccepted
    case transactionStarted(connector: Int, transactionId: Int)
    case transactionStopped(connector: Int, transactionId: Int)
    /// The CSMS started a session remotely: the simulated driver should plug in now.
    case remoteStartAccepted(connector: Int)
    /// A session ended from the CSMS side (remote stop, unlock, reset): the driver unplugs.
    case sessionEndedByCSMS(connector: Int)
    /// Authorization of a presented idTag failed; the driver gives up and unplugs.
    case authorizationFailed(connector: Int)
    /// A transaction-related message was created while the charge point had no accepted
    /// connection: it waits in the queue and goes out after the reconnect (counted).
    case transactionMessageQueuedOffline(action: String)
    /// A transaction-related message whose connection was lost before its answer went out again
    /// on a later connection (the CSMS may see it twice, never zero times; counted).
    case transactionMessageReplayed(action: String)
    /// A transaction-related message was lost (counted by reason).
    // The default only lets the merged tree build while ChargePointV201 (v201 branch, written
    // before `reason` existed) does not pass one yet; remove it when it does.
    case transactionMessageDropped(action: String, reason: TransactionMessageLoss)
    /// A security event was lost: the queue of undelivered events was full, or the Central
    /// System refused or never answered it (security whitepaper A04; counted).
    case securityEventDropped(type: String)
    /// The Central System broke the OCPP-J RPC rules or a 1.6 schema (see ``ProtocolFaultKind``).
    /// `sample` is an excerpt of the offending frame, secrets redacted and truncated
    /// (``FrameExcerpt``); made only when a fault happens.
    case protocolFault(kind: ProtocolFaultKind, sample: String)
}

/// Why a transaction-related message was given up.
public enum TransactionMessageLoss: String, Sendable, CaseIterable, Equatable {
    /// The offline queue was full: a newer transaction message pushed out the oldest MeterValues
    /// (or, with no MeterValues to give up, the newer message itself was refused).
    case overflow
    /// TransactionMessageAttempts tries each ended in a timeout or a CALLERROR (OCPP 1.6 §4.7).
    case attemptsExhausted
    /// It belonged to a transaction whose StartTransaction never got a transaction id.
    case noTransactionId
}

/// The backend's own protocol faults, counted by kind: a load test doubles as a conformance check.
public enum ProtocolFaultKind: String, Sendable, CaseIterable, Equatable {
    /// A CALLRESULT whose unique id matches no CALL of ours awaiting an answer.
    case unmatchedResult
    /// A CALLERROR whose unique id matches no CALL of ours awaiting an answer.
    case unmatchedError
    /// A CALLRESULT or CALLERROR for one of our recent CALLs that had already timed out.
    case lateAnswer
    /// A frame whose MessageTypeId is not 2, 3 or 4.
    case unknownMessageType
    /// A binary WebSocket frame (OCPP-J uses text frames only; seen by the transport).
    case binaryFrame
    /// A CALLRESULT that breaks the schema of its response (or the RPC frame layout of a
    /// CALLRESULT) for our CALL in flight.
    case invalidResult
    /// A CALL from the Central System that breaks its request's schema, the RPC frame layout,
    /// or is an action only a charge point sends.
    case invalidCall
    /// A CALL naming an action OCPP 1.6 does not have.
    case unknownAction
    /// A StartTransaction.conf whose transactionId is already the id of another open
    /// transaction of the same charge point.
    case invalidTransactionId
    /// A text frame that is not an OCPP-J message at all (not JSON, not an array, no integer
    /// MessageTypeId or unique id), or a broken CALLERROR.
    case malformedFrame

    /// Longest sample kept, bytes of UTF-8.
    public static let sampleLimit = 200
}

/// The simulated vehicle plugged into a connector.
public struct EVProfile: Sendable, Equatable {
    /// Most power the EV draws, in watts.
    public var maxPowerW: Double
    /// Battery capacity in Wh and state of charge at plug-in (0...100), for SoC samples.
    public var batteryWh: Double
    public var initialSoC: Double

    public init(maxPowerW: Double, batteryWh: Double = 60_000, initialSoC: Double = 30) {
        self.maxPowerW = maxPowerW
        self.batteryWh = batteryWh
        self.initialSoC = initialSoC
    }
}

/// Who a charge point says it is in BootNotification.
public struct ChargePointIdentity: Sendable, Equatable {
    public var id: String
    public var vendor: String
    public var model: String
    public var firmwareVersion: String?
    public var serialNumber: String?
    public var connectors: Int

    public init(id: String, vendor: String, model: String, firmwareVersion: String? = nil,
                serialNumber: String? = nil, connectors: Int) {
        self.id = id
        self.vendor = vendor
        self.model = model
        self.firmwareVersion = firmwareVersion
        self.serialNumber = serialNumber
        self.connectors = connectors
    }
}

/// The interface every engine version offers the fleet runtime: inputs in, outputs
/// appended to `out`. An OCPP 2.0.1 engine conforms beside the 1.6 one.
public protocol ChargePointEngine: EngineSession {
    /// The WebSocket subprotocol to offer.
    static var subprotocol: String { get }
}

/// The per-instance side of `ChargePointEngine`, without the subprotocol: a wrapper that holds
/// an engine of either version (the fleet runtime's) conforms to this, as its version is only
/// known per value.
public protocol EngineSession {
    var identity: ChargePointIdentity { get }
    /// The earliest time `tick` must be called, if any.
    var nextWakeup: Timestamp? { get }
    /// Transaction messages not yet confirmed by the CSMS (in flight or queued).
    var pendingTransactionMessages: Int { get }
    var openTransactions: Int { get }
    var isAccepted: Bool { get }

    mutating func connected(now: Timestamp, into out: inout [EngineOutput])
    mutating func disconnected(now: Timestamp, into out: inout [EngineOutput])
    mutating func received(_ text: [UInt8], now: Timestamp, into out: inout [EngineOutput])
    mutating func tick(now: Timestamp, into out: inout [EngineOutput])

    mutating func plugIn(connector: Int, ev: EVProfile, now: Timestamp, into out: inout [EngineOutput])
    mutating func unplug(connector: Int, now: Timestamp, into out: inout [EngineOutput])
    mutating func presentIdTag(_ idTag: String, connector: Int, now: Timestamp, into out: inout [EngineOutput])
    mutating func setEVSuspended(_ suspended: Bool, connector: Int, now: Timestamp, into out: inout [EngineOutput])
    /// End of a run: stop every transaction with reason Local and start no new ones.
    mutating func stopAllTransactions(now: Timestamp, into out: inout [EngineOutput])
}
