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

    /// Reports a security event (whitepaper ed. 2, §2 "Security events"), e.g.
    /// "FirmwareUpdated", "InvalidFirmwareSignature", "ResetOrReboot", "SettingSystemTime".
    /// Other profiles call this; the Security profile decides whether and how it is sent.
    mutating func securityEvent(_ type: String, techInfo: String? = nil, now: Timestamp, into out: inout [EngineOutput]) {}

    /// ExtendedTriggerMessage(SignChargePointCertificate): starts a SignCertificate.req;
    /// false when the charge point cannot (the trigger is then Rejected).
    mutating func triggerSignCertificate(now: Timestamp, into out: inout [EngineOutput]) -> Bool { false }
    mutating func securityTick(now: Timestamp, into out: inout [EngineOutput]) {}
}
