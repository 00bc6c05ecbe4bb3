import ChargePoint
import OCPP

/// The engine of one simulated charge point, of either OCPP version: the group's
/// `ocppVersion` picks the case when the charge point is built (`ChargePointSetup.engine`).
///
/// An enum rather than an existential: no witness table or heap box per call, and the payload
/// stays inline in `SimulatedChargePoint`. Each input switches once and mutates the payload in
/// place (`consume self` leaves no second reference behind, so the engine's arrays are not
/// copied on write).
enum AnyChargePointEngine {
    case v16(ChargePointV16)
    case v201(ChargePointV201)

    /// The WebSocket subprotocol this charge point offers: its engine type's.
    var subprotocol: String {
        switch self {
        case .v16: ChargePointV16.subprotocol
        case .v201: ChargePointV201.subprotocol
        }
    }

    /// Seconds between the charge point's own WebSocket pings (0: none). 1.6 has the
    /// WebSocketPingInterval key; the 2.0.1 device model has no such variable yet, so a 2.0.1
    /// charge point does not ping.
    var webSocketPingInterval: Int {
        switch self {
        case .v16(let engine): engine.configuration.webSocketPingInterval
        case .v201: 0
        }
    }

    var hasCallInFlight: Bool {
        switch self {
        case .v16(let engine): engine.hasCallInFlight
        case .v201(let engine): engine.hasCallInFlight
        }
    }

    mutating func quiesce() {
        update({ $0.quiesce() }, { $0.quiesce() })
    }

    /// Runs `v16` or `v201` on the payload in place and stores it back.
    @inline(__always)
    private mutating func update<Result>(_ v16: (inout ChargePointV16) -> Result,
                                         _ v201: (inout ChargePointV201) -> Result) -> Result {
        switch consume self {
        case .v16(var engine):
            let result = v16(&engine)
            self = .v16(engine)
            return result
        case .v201(var engine):
            let result = v201(&engine)
            self = .v201(engine)
            return result
        }
    }
}

extension AnyChargePointEngine: DrivenEngine {
    var identity: ChargePointIdentity {
        switch self {
        case .v16(let engine): engine.identity
        case .v201(let engine): engine.identity
        }
    }

    var nextWakeup: Timestamp? {
        switch self {
        case .v16(let engine): engine.nextWakeup
        case .v201(let engine): engine.nextWakeup
        }
    }

    var pendingTransactionMessages: Int {
        switch self {
        case .v16(let engine): engine.pendingTransactionMessages
        case .v201(let engine): engine.pendingTransactionMessages
        }
    }

    var openTransactions: Int {
        switch self {
        case .v16(let engine): engine.openTransactions
        case .v201(let engine): engine.openTransactions
        }
    }

    var isAccepted: Bool {
        switch self {
        case .v16(let engine): engine.isAccepted
        case .v201(let engine): engine.isAccepted
        }
    }

    mutating func connected(now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.connected(now: now, into: &out) }, { $0.connected(now: now, into: &out) })
    }

    mutating func disconnected(now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.disconnected(now: now, into: &out) }, { $0.disconnected(now: now, into: &out) })
    }

    mutating func received(_ text: [UInt8], now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.received(text, now: now, into: &out) }, { $0.received(text, now: now, into: &out) })
    }

    mutating func tick(now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.tick(now: now, into: &out) }, { $0.tick(now: now, into: &out) })
    }

    mutating func plugIn(connector: Int, ev: EVProfile, now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.plugIn(connector: connector, ev: ev, now: now, into: &out) },
               { $0.plugIn(connector: connector, ev: ev, now: now, into: &out) })
    }

    mutating func unplug(connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.unplug(connector: connector, now: now, into: &out) },
               { $0.unplug(connector: connector, now: now, into: &out) })
    }

    mutating func presentIdTag(_ idTag: String, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.presentIdTag(idTag, connector: connector, now: now, into: &out) },
               { $0.presentIdTag(idTag, connector: connector, now: now, into: &out) })
    }

    mutating func setEVSuspended(_ suspended: Bool, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.setEVSuspended(suspended, connector: connector, now: now, into: &out) },
               { $0.setEVSuspended(suspended, connector: connector, now: now, into: &out) })
    }

    mutating func stopAllTransactions(now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.stopAllTransactions(now: now, into: &out) }, { $0.stopAllTransactions(now: now, into: &out) })
    }

    mutating func setFault(_ code: V16.ChargePointErrorCode?, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.setFault(code, connector: connector, now: now, into: &out) },
               { $0.setFault(code, connector: connector, now: now, into: &out) })
    }

    mutating func setEVPower(_ watts: Double, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.setEVPower(watts, connector: connector, now: now, into: &out) },
               { $0.setEVPower(watts, connector: connector, now: now, into: &out) })
    }

    mutating func sessionEnergyWh(connector: Int, now: Timestamp) -> Double? {
        update({ $0.sessionEnergyWh(connector: connector, now: now) },
               { $0.sessionEnergyWh(connector: connector, now: now) })
    }

    mutating func powerCycle(now: Timestamp, into out: inout [EngineOutput]) {
        update({ $0.powerCycle(now: now, into: &out) }, { $0.powerCycle(now: now, into: &out) })
    }

    mutating func sendDataTransfer(vendorId: String, messageId: String?, data: String?, now: Timestamp,
                                   into out: inout [EngineOutput]) {
        update({ $0.sendDataTransfer(vendorId: vendorId, messageId: messageId, data: data, now: now, into: &out) },
               { $0.sendDataTransfer(vendorId: vendorId, messageId: messageId, data: data, now: now, into: &out) })
    }
}
