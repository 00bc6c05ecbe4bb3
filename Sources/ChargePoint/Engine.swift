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
    case callCompleted(action: String, latency: Interval)
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
    /// A transaction-related message was dropped after all attempts (a loss, counted).
    case transactionMessageDropped(action: String)
    /// A security event was lost: the queue of undelivered events was full, or the Central
    /// System refused or never answered it (security whitepaper A04; counted).
    case securityEventDropped(type: String)
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
public protocol ChargePointEngine {
    /// The WebSocket subprotocol to offer.
    static var subprotocol: String { get }
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
