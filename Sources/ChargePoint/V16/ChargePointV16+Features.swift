import OCPP

/// The seam between the Core engine and the other feature profiles (OCPP 1.6 §3.3) and
/// the security extension. Each profile lives in its own file with its own state struct;
/// this file only routes: incoming CALLs by action, answers to the profile's own CALLs,
/// and the timer hooks.
extension ChargePointV16 {
    /// A CALL from the Central System outside Core.
    mutating func respondToFeature(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                   after: inout [EngineOutput], into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .setChargingProfile, .clearChargingProfile, .getCompositeSchedule:
            return try smartChargingCall(action, payload: payload, now: now, into: &out)
        case .updateFirmware, .getDiagnostics, .getLog, .signedUpdateFirmware:
            return try firmwareCall(action, payload: payload, now: now, into: &out)
        case .triggerMessage, .extendedTriggerMessage:
            return try triggerCall(action, payload: payload, now: now, after: &after, into: &out)
        case .sendLocalList, .getLocalListVersion:
            return try localAuthListCall(action, payload: payload, now: now, into: &out)
        case .reserveNow, .cancelReservation:
            return try reservationCall(action, payload: payload, now: now, into: &out)
        case .certificateSigned, .deleteCertificate, .getInstalledCertificateIds, .installCertificate:
            return try securityCall(action, payload: payload, now: now, into: &out)
        default:
            throw CallError(.notSupported, "\(action.rawValue) is not handled by this charge point")
        }
    }

    /// The CALLRESULT to a `.feature` CALL of ours.
    mutating func featureAnswered(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                  into out: inout [EngineOutput]) throws(CallError) {
        switch action {
        case .firmwareStatusNotification, .diagnosticsStatusNotification, .logStatusNotification,
             .signedFirmwareStatusNotification:
            try firmwareNotificationAnswered(action, payload: payload, now: now, into: &out)
        case .securityEventNotification, .signCertificate:
            try securityAnswered(action, payload: payload, now: now, into: &out)
        default:
            // Only the actions above are ever queued as `.feature`; validate generically.
            guard let types = action.payloadTypes else { return }
            _ = try types.response.init(json: payload)
        }
    }

    /// A `.feature` CALL of ours timed out, got a CALLERROR or lost its connection.
    mutating func featureCallFailed(_ action: V16.Action, now: Timestamp, into out: inout [EngineOutput]) {
        switch action {
        case .securityEventNotification, .signCertificate:
            securityCallFailed(action, now: now, into: &out)
        case .firmwareStatusNotification, .diagnosticsStatusNotification, .logStatusNotification,
             .signedFirmwareStatusNotification:
            firmwareNotificationFailed(action, now: now, into: &out)
        default:
            break
        }
    }

    /// The earliest timer of any feature profile.
    var featureWakeup: Timestamp? {
        [smartChargingWakeup, firmwareWakeup, reservationWakeup, securityWakeup].compactMap { $0 }.min()
    }

    mutating func featureTick(now: Timestamp, into out: inout [EngineOutput]) {
        smartChargingTick(now: now, into: &out)
        firmwareTick(now: now, into: &out)
        reservationTick(now: now, into: &out)
        securityTick(now: now, into: &out)
    }
}
