import OCPP

/// State of the Reservation feature profile of one charge point.
struct ReservationState: Sendable {}

extension ChargePointV16 {
    mutating func reservationCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
    }

    var reservationWakeup: Timestamp? { nil }
    mutating func reservationTick(now: Timestamp, into out: inout [EngineOutput]) {}
}
