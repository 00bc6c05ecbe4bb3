import OCPP

/// How the embedded CSMS answers an OCPP 1.6J charge point (docs/embedded-csms.md, "What it
/// answers"): registration, idTags per `IdTagPolicy`, transactions with ids from the shared
/// `TransactionLedger`, notifications confirmed after their schema check.
enum V16CallAnswers: CallAnswers {
    static let version = OCPPVersion.v16

    static func versioned(_ action: V16.Action) -> VersionedAction { .v16(action) }

    static func isBootNotification(_ action: V16.Action) -> Bool { action == .bootNotification }

    static func callError(id: String, _ error: CallError) -> (frame: [UInt8], code: VersionedErrorCode) {
        (Frame.encodeCallError(id: id, error: error), .v16(error.code))
    }

    static func frameError(id: String, _ failure: Frame.ParseFailure) -> (frame: [UInt8], code: VersionedErrorCode) {
        callError(id: id, failure.error)
    }

    static func answer(_ action: V16.Action, id: String, payload: JSONValue, now: Timestamp,
                       session: inout ChargePointSession<Self>, tally: inout MessageTally) throws(CallError) -> [UInt8] {
        let configuration = session.configuration
        let shared = session.shared
        let chargePointId = session.chargePointId
        switch action {
        case .bootNotification:
            _ = try V16.BootNotificationRequest(json: payload)
            let status = configuration.bootStatus
            let accepted = status == .accepted
            if accepted { session.acceptBoot(&tally) }
            return result(id, V16.BootNotificationResponse(
                status: status, currentTime: now,
                interval: accepted ? configuration.heartbeatInterval : configuration.bootRetryInterval))

        case .heartbeat:
            _ = try V16.HeartbeatRequest(json: payload)
            return result(id, V16.HeartbeatResponse(currentTime: now))

        case .authorize:
            let request = try V16.AuthorizeRequest(json: payload)
            tally.authorizeRequested = true
            return result(id, V16.AuthorizeResponse(idTagInfo: idTagInfo(request.idTag, configuration)))

        case .startTransaction:
            let request = try V16.StartTransactionRequest(json: payload)
            // A transaction id is due even when the idTag is refused; the charge point
            // then stops the transaction itself (OCPP 1.6 §4.8).
            let transactionId = shared.ledger.start(
                .init(chargePointId: chargePointId, connectorId: request.connectorId, meterStart: request.meterStart),
                key: .init(chargePointId: chargePointId, connectorId: request.connectorId, idTag: request.idTag,
                           meterStart: request.meterStart, timestamp: request.timestamp.microseconds))
            tally.transactionStarted = .number(transactionId)
            tally.driverIdentified = request.connectorId
            return result(id, V16.StartTransactionResponse(idTagInfo: idTagInfo(request.idTag, configuration),
                                                           transactionId: transactionId))

        case .stopTransaction:
            let request = try V16.StopTransactionRequest(json: payload)
            tally.transactionStopped = .number(request.transactionId)
            if shared.ledger.stop(request.transactionId) == .unknown {
                // Still confirmed: a charge point must be able to drop the transaction
                // from its queue (OCPP 1.6 §4.10), but the stop is counted as a violation.
                tally.violation = .unknownTransactionStop
            }
            return result(id, V16.StopTransactionResponse(idTagInfo: request.idTag.map { idTagInfo($0, configuration) }))

        case .meterValues:
            _ = try V16.MeterValuesRequest(json: payload)
            return result(id, V16.MeterValuesResponse())

        case .statusNotification:
            let request = try V16.StatusNotificationRequest(json: payload)
            tally.connectorStatus = .init(connectorId: request.connectorId, waitingForDriver: request.status == .preparing)
            return result(id, V16.StatusNotificationResponse())

        case .dataTransfer:
            let request = try V16.DataTransferRequest(json: payload)
            let status: V16.DataTransferStatus = request.vendorId == configuration.vendorId ? .accepted : .unknownVendorId
            return result(id, V16.DataTransferResponse(status: status))

        case .diagnosticsStatusNotification, .firmwareStatusNotification, .logStatusNotification,
             .securityEventNotification, .signedFirmwareStatusNotification:
            // Notifications of the other profiles and the security extension: checked against
            // their schema and confirmed (their confirmations are empty).
            return try confirm(.v16(action), id: id, payload: payload)

        case .signCertificate:
            // The embedded CSMS signs nothing itself: it accepts the request (whitepaper: the
            // CSMS forwards the CSR to its CA) and a scenario may answer with CertificateSigned.
            return try confirm(.v16(action), id: id, payload: payload, answer: #"{"status":"Accepted"}"#)

        case .changeAvailability, .changeConfiguration, .clearCache, .getConfiguration,
             .remoteStartTransaction, .remoteStopTransaction, .reset, .unlockConnector, .getDiagnostics,
             .updateFirmware, .getLocalListVersion, .sendLocalList, .cancelReservation, .reserveNow,
             .clearChargingProfile, .getCompositeSchedule, .setChargingProfile, .triggerMessage,
             .certificateSigned, .deleteCertificate, .extendedTriggerMessage, .getInstalledCertificateIds,
             .getLog, .installCertificate, .signedUpdateFirmware:
            throw CallError(.notSupported, "\(action.rawValue) is sent by a central system, not to one")
        }
    }

    private static func idTagInfo(_ idTag: String, _ configuration: CentralSystemConfiguration) -> V16.IdTagInfo {
        V16.IdTagInfo(status: configuration.idTagPolicy.status(for: idTag))
    }
}
