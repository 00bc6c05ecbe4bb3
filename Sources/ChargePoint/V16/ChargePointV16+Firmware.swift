import OCPP

/// State of the Firmware feature profile of one charge point.
struct FirmwareState: Sendable {}

extension ChargePointV16 {
    mutating func firmwareCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
    }

    mutating func firmwareNotificationAnswered(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                               into out: inout [EngineOutput]) throws(CallError) {}
    var firmwareWakeup: Timestamp? { nil }
    mutating func firmwareTick(now: Timestamp, into out: inout [EngineOutput]) {}
}
