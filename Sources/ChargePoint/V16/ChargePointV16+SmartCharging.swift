import OCPP

/// State of the SmartCharging feature profile of one charge point.
struct SmartChargingState: Sendable {}

extension ChargePointV16 {
    mutating func smartChargingCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
    }

    var smartChargingWakeup: Timestamp? { nil }
    mutating func smartChargingTick(now: Timestamp, into out: inout [EngineOutput]) {}
}
