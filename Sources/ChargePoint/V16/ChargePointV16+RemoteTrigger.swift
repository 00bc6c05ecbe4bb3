import OCPP

extension ChargePointV16 {
    /// TriggerMessage and ExtendedTriggerMessage (RemoteTrigger profile, security extension).
    mutating func triggerCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                              after: inout [EngineOutput], into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
    }
}
