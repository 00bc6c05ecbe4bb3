import OCPP

/// State of the LocalAuthList feature profile of one charge point.
struct LocalAuthListState: Sendable {}

extension ChargePointV16 {
    mutating func localAuthListCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
    }
}
