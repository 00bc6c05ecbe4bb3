import OCPP

/// How the embedded CSMS answers an OCPP 2.0.1 charging station: the same configuration as for
/// 1.6 (boot status and intervals, the `IdTagPolicy` for idTokens, the DataTransfer vendor),
/// TransactionEvents judged by the shared `TransactionEventLedger`, every other message of the
/// station confirmed after its schema check. CALLERRORs use the 2.0.1 vocabulary
/// (FormatViolation, OccurrenceConstraintViolation, RpcFrameworkError, …).
enum V201CallAnswers: CallAnswers {
    static let version = OCPPVersion.v201

    static func versioned(_ action: V201.Action) -> VersionedAction { .v201(action) }

    static func isBootNotification(_ action: V201.Action) -> Bool { action == .bootNotification }

    static func callError(id: String, _ error: CallError) -> (frame: [UInt8], code: VersionedErrorCode) {
        let code = V201.RPCErrorCode(error.code)
        return (Frame.encodeCallError(id: id, code: code, description: error.errorDescription), .v201(code))
    }

    static func frameError(id: String, _ failure: Frame.ParseFailure) -> (frame: [UInt8], code: VersionedErrorCode) {
        let code = V201.RPCErrorCode(failure)
        return (Frame.encodeCallError(id: id, code: code, description: failure.error.errorDescription), .v201(code))
    }

    static func answer(_ action: V201.Action, id: String, payload: JSONValue, now: Timestamp,
                       session: inout ChargePointSession<Self>, tally: inout MessageTally) throws(CallError) -> [UInt8] {
        let configuration = session.configuration
        switch action {
        case .bootNotification:
            _ = try V201.BootNotificationRequest(json: payload)
            let status = registrationStatus(configuration.bootStatus)
            let accepted = status == .accepted
            if accepted { session.acceptBoot(&tally) }
            return result(id, V201.BootNotificationResponse(
                currentTime: now, interval: accepted ? configuration.heartbeatInterval : configuration.bootRetryInterval,
                status: status))

        case .heartbeat:
            _ = try V201.HeartbeatRequest(json: payload)
            return result(id, V201.HeartbeatResponse(currentTime: now))

        case .statusNotification:
            let request = try V201.StatusNotificationRequest(json: payload)
            if request.evseId > 0 {
                tally.connectorStatus = .init(connectorId: request.evseId,
                                              waitingForDriver: request.connectorStatus == .occupied)
            }
            return result(id, V201.StatusNotificationResponse())

        case .authorize:
            let request = try V201.AuthorizeRequest(json: payload)
            tally.authorizeRequested = true
            return result(id, V201.AuthorizeResponse(idTokenInfo: idTokenInfo(request.idToken, configuration)))

        case .transactionEvent:
            let request = try V201.TransactionEventRequest(json: payload)
            transactionEvent(request, payload: payload, session: session, tally: &tally)
            // idTokenInfo answers the idToken when the event carries one (TransactionEventResponse).
            return result(id, V201.TransactionEventResponse(idTokenInfo: request.idToken.map { idTokenInfo($0, configuration) }))

        case .dataTransfer:
            let request = try V201.DataTransferRequest(json: payload)
            return result(id, V201.DataTransferResponse(
                status: request.vendorId == configuration.vendorId ? .accepted : .unknownVendorId))

        case .meterValues, .notifyReport, .notifyEvent, .notifyCustomerInformation, .securityEventNotification,
             .firmwareStatusNotification, .logStatusNotification, .reservationStatusUpdate, .reportChargingProfiles:
            // Notifications and reports: checked against their schema and confirmed (their
            // responses have no required field).
            return try confirm(.v201(action), id: id, payload: payload)

        case .signCertificate:
            // As for 1.6: the CSR is accepted for signing elsewhere; a scenario may send CertificateSigned.
            return try confirm(.v201(action), id: id, payload: payload, answer: #"{"status":"Accepted"}"#)

        case .clearedChargingLimit, .get15118EVCertificate, .getCertificateStatus, .notifyChargingLimit,
             .notifyDisplayMessages, .notifyEVChargingNeeds, .notifyEVChargingSchedule, .notifyMonitoringReport,
             .publishFirmwareStatusNotification:
            throw CallError(.notSupported, "\(action.rawValue) is not supported by this central system")

        case .cancelReservation, .certificateSigned, .changeAvailability, .clearCache, .clearChargingProfile,
             .clearDisplayMessage, .clearVariableMonitoring, .costUpdated, .customerInformation, .deleteCertificate,
             .getBaseReport, .getChargingProfiles, .getCompositeSchedule, .getDisplayMessages,
             .getInstalledCertificateIds, .getLocalListVersion, .getLog, .getMonitoringReport, .getReport,
             .getTransactionStatus, .getVariables, .installCertificate, .publishFirmware, .requestStartTransaction,
             .requestStopTransaction, .reserveNow, .reset, .sendLocalList, .setChargingProfile, .setDisplayMessage,
             .setMonitoringBase, .setMonitoringLevel, .setNetworkProfile, .setVariableMonitoring, .setVariables,
             .triggerMessage, .unlockConnector, .unpublishFirmware, .updateFirmware:
            throw CallError(.notSupported, "\(action.rawValue) is sent by a CSMS, not to one")
        }
    }

    /// Records the event in the ledger and tells the scenario what it means.
    private static func transactionEvent(_ request: V201.TransactionEventRequest, payload: JSONValue,
                                         session: ChargePointSession<Self>, tally: inout MessageTally) {
        let key = TransactionEventLedger.Key(chargePointId: session.chargePointId,
                                             transactionId: request.transactionInfo.transactionId)
        let outcome = session.shared.transactionEvents.record(key, .init(request, payload: payload))
        tally.violation = outcome.violation
        let transaction = TransactionRef.text(request.transactionInfo.transactionId)
        if outcome.running { tally.transactionStarted = transaction }
        if outcome.ended { tally.transactionStopped = transaction }
        if request.idToken != nil, outcome.running, let evse = outcome.evseId { tally.driverIdentified = evse }
    }

    /// The 2.0.1 spelling of the configured boot status (the three values are the same in both versions).
    static func registrationStatus(_ status: V16.RegistrationStatus) -> V201.RegistrationStatusEnum {
        switch status {
        case .accepted: .accepted
        case .pending: .pending
        case .rejected: .rejected
        }
    }

    /// The idTokenInfo for `token`: the 1.6 `IdTagPolicy` decides on its value, so a fleet's
    /// `BLOCKED…` tokens are refused alike in both versions.
    static func idTokenInfo(_ token: V201.IdToken, _ configuration: CentralSystemConfiguration) -> V201.IdTokenInfo {
        let status: V201.AuthorizationStatusEnum = switch configuration.idTagPolicy.status(for: token.idToken) {
        case .accepted: .accepted
        case .blocked: .blocked
        case .expired: .expired
        case .invalid: .invalid
        case .concurrentTx: .concurrentTx
        }
        return V201.IdTokenInfo(status: status)
    }
}
