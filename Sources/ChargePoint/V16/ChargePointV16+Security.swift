import OCPP

/// State of the Security feature profile of one charge point.
struct SecurityState: Sendable {}

extension ChargePointV16 {
    mutating func securityCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
    }

    mutating func securityAnswered(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                   into out: inout [EngineOutput]) throws(CallError) {}
    mutating func securityCallFailed(_ action: V16.Action, now: Timestamp, into out: inout [EngineOutput]) {}
    var securityWakeup: Timestamp? { nil }
    mutating func securityTick(now: Timestamp, into out: inout [EngineOutput]) {}
}
