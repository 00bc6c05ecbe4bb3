import OCPP

/// CALLs from the Central System (OCPP 1.6 Core, §5): decode with the schema's
/// constraints, act, answer with a CALLRESULT, or a CALLERROR naming the violation.
extension ChargePointV16 {
    /// The vendorId this simulator answers DataTransfer for, besides the charge point's vendor.
    public static let dataTransferVendorId = "ocpp-fleet"

    mutating func handleCall(id: String, action name: String, payload: JSONValue, frame: [UInt8] = [], now: Timestamp,
                             into out: inout [EngineOutput]) {
        var after: [EngineOutput] = []
        let answer: Result<[UInt8], CallError>
        do throws(CallError) {
            answer = .success(try respond(to: name, payload: payload, now: now, after: &after, into: &out))
        } catch {
            answer = .failure(error)
        }
        switch answer {
        case .success(let payload):
            out.append(.send(Frame.encodeCallResult(id: id, payload: payload)))
            out.append(.event(.incoming(action: name, errorCode: nil)))
        case .failure(let error):
            if let kind = Self.faultKind(of: error, action: name) { fault(kind, frame, into: &out) }
            out.append(.send(Frame.encodeCallError(id: id, error: error)))
            out.append(.event(.incoming(action: name, errorCode: error.code.rawValue)))
        }
        // Effects that must follow the answer on the wire (a hard reset's reboot).
        out.append(contentsOf: after)
    }

    /// Whether a CALLERROR we answer with is the Central System's fault: an action 1.6 does not
    /// have, one only a charge point sends, or a payload that breaks the request's schema.
    static func faultKind(of error: CallError, action name: String) -> ProtocolFaultKind? {
        guard let action = V16.Action(rawValue: name) else { return .unknownAction }
        if action.isSentByChargePoint { return .invalidCall }
        switch error.code {
        case .formationViolation, .propertyConstraintViolation, .occurenceConstraintViolation,
             .typeConstraintViolation, .protocolError:
            return .invalidCall
        default:
            return nil
        }
    }

    private mutating func respond(to name: String, payload: JSONValue, now: Timestamp,
                                  after: inout [EngineOutput], into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        guard let action = V16.Action(rawValue: name) else {
            throw CallError(.notImplemented, "unknown action '\(name)'")
        }
        switch action {
        case .changeAvailability:
            return changeAvailability(try V16.ChangeAvailabilityRequest(json: payload), now: now, into: &out).encoded
        case .changeConfiguration:
            return changeConfiguration(try V16.ChangeConfigurationRequest(json: payload), now: now, into: &out).encoded
        case .clearCache:
            _ = try V16.ClearCacheRequest(json: payload)
            guard configuration.authorizationCacheEnabled else { return V16.ClearCacheResponse(status: .rejected).encoded }
            authorizationCache.removeAll()
            return V16.ClearCacheResponse(status: .accepted).encoded
        case .dataTransfer:
            return dataTransfer(try V16.DataTransferRequest(json: payload)).encoded
        case .getConfiguration:
            let request = try V16.GetConfigurationRequest(json: payload)
            return configuration.report(request.key).encoded
        case .remoteStartTransaction:
            return remoteStart(try V16.RemoteStartTransactionRequest(json: payload), now: now, into: &out).encoded
        case .remoteStopTransaction:
            return remoteStop(try V16.RemoteStopTransactionRequest(json: payload), now: now, into: &out).encoded
        case .reset:
            return reset(try V16.ResetRequest(json: payload), now: now, after: &after, into: &out).encoded
        case .unlockConnector:
            return unlock(try V16.UnlockConnectorRequest(json: payload), now: now, into: &out).encoded
        case .authorize, .bootNotification, .heartbeat, .meterValues, .startTransaction, .statusNotification,
             .stopTransaction, .diagnosticsStatusNotification, .firmwareStatusNotification, .logStatusNotification,
             .securityEventNotification, .signCertificate, .signedFirmwareStatusNotification:
            // Charge point → Central System only: a CSMS must not send these.
            throw CallError(.notSupported, "\(name) is sent by a charge point, not to one")
        case .getDiagnostics, .updateFirmware, .getLocalListVersion, .sendLocalList, .cancelReservation,
             .reserveNow, .clearChargingProfile, .getCompositeSchedule, .setChargingProfile, .triggerMessage,
             .certificateSigned, .deleteCertificate, .extendedTriggerMessage, .getInstalledCertificateIds,
             .getLog, .installCertificate, .signedUpdateFirmware:
            return try respondToFeature(action, payload: payload, now: now, after: &after, into: &out)
        }
    }

    private mutating func changeAvailability(_ request: V16.ChangeAvailabilityRequest, now: Timestamp,
                                             into out: inout [EngineOutput]) -> V16.ChangeAvailabilityResponse {
        guard request.connectorId >= 0, request.connectorId < connectors.count else {
            return V16.ChangeAvailabilityResponse(status: .rejected)
        }
        let inoperative = request.type == .inoperative
        let affected = request.connectorId == 0 ? Array(connectors.indices) : [request.connectorId]
        var scheduled = false
        for index in affected {
            if index > 0, connectors[index].transaction != nil, inoperative {
                // OCPP 1.6 §5.2: the change waits for the running transaction to end.
                connectors[index].scheduledInoperative = true
                scheduled = true
            } else {
                connectors[index].inoperative = inoperative
                connectors[index].scheduledInoperative = nil
            }
        }
        for index in connectors.indices { refreshStatus(index, now: now, into: &out) }
        return V16.ChangeAvailabilityResponse(status: scheduled ? .scheduled : .accepted)
    }

    private mutating func changeConfiguration(_ request: V16.ChangeConfigurationRequest, now: Timestamp,
                                              into out: inout [EngineOutput]) -> V16.ChangeConfigurationResponse {
        // Security profile: SecurityProfile's prerequisites (whitepaper A05).
        if let refused = securityRefusal(key: request.key, value: request.value, now: now) {
            return V16.ChangeConfigurationResponse(status: refused)
        }
        switch configuration.set(request.key, to: request.value) {
        case .notSupported: return V16.ChangeConfigurationResponse(status: .notSupported)
        case .rejected: return V16.ChangeConfigurationResponse(status: .rejected)
        case .accepted: break
        }
        switch Configuration.key(named: request.key)?.name {
        case "HeartbeatInterval":
            if registration == .accepted { armHeartbeat(now: now) }
        case "MeterValueSampleInterval":
            for index in 1..<connectors.count { armSampling(index, now: now) }
        case "ClockAlignedDataInterval":
            if registration == .accepted { armAlignedSampling(now: now) }
        case "SecurityProfile", "AuthorizationKey":  // Security profile (whitepaper A01, A05)
            securityParametersChanged(Configuration.key(named: request.key)?.name ?? request.key, now: now, into: &out)
        default:
            break
        }
        return V16.ChangeConfigurationResponse(status: .accepted)
    }

    private func dataTransfer(_ request: V16.DataTransferRequest) -> V16.DataTransferResponse {
        guard request.vendorId == Self.dataTransferVendorId || request.vendorId == identity.vendor else {
            return V16.DataTransferResponse(status: .unknownVendorId)
        }
        switch request.messageId {
        case nil, "Echo":
            return V16.DataTransferResponse(status: .accepted, data: request.data)
        default:
            return V16.DataTransferResponse(status: .unknownMessageId)
        }
    }

    private mutating func remoteStart(_ request: V16.RemoteStartTransactionRequest, now: Timestamp,
                                      into out: inout [EngineOutput]) -> V16.RemoteStartTransactionResponse {
        let rejected = V16.RemoteStartTransactionResponse(status: .rejected)
        // Not while Pending (OCPP 1.6 §4.2.1), nor while a reset drains or the run ends.
        guard isConnected, registration == .accepted else { return rejected }
        if let profile = request.chargingProfile, !acceptsRemoteStartProfile(profile) { return rejected }
        func free(_ index: Int) -> Bool {
            connectors[index].transaction == nil && connectors[index].authorizingTag == nil
                && connectors[index].authorizedTag == nil && !connectors[index].finishing && mayStartTransaction(index)
                && reservationAdmitsRemoteStart(index, idTag: request.idTag, now: now)
        }
        let connector: Int
        if let requested = request.connectorId {
            guard validConnector(requested), free(requested) else { return rejected }
            connector = requested
        } else if let plugged = (1..<connectors.count).first(where: { free($0) && connectors[$0].plugged }) {
            connector = plugged
        } else if let any = (1..<connectors.count).first(where: free) {
            connector = any
        } else {
            return rejected
        }
        if let profile = request.chargingProfile {
            installRemoteStartProfile(profile, connector: connector, idTag: request.idTag, now: now)
        }
        if configuration.authorizeRemoteTxRequests {
            // As for a card presented locally: list, cache, then Authorize.req (OCPP 1.6 §5.11).
            beginAuthorization(connector, idTag: request.idTag, now: now, into: &out)
        } else {
            authorized(connector, idTag: request.idTag, now: now, into: &out)
        }
        if !connectors[connector].plugged { out.append(.event(.remoteStartAccepted(connector: connector))) }
        return V16.RemoteStartTransactionResponse(status: .accepted)
    }

    private mutating func remoteStop(_ request: V16.RemoteStopTransactionRequest, now: Timestamp,
                                     into out: inout [EngineOutput]) -> V16.RemoteStopTransactionResponse {
        guard let record = transactions.first(where: { $0.transactionId == request.transactionId }),
              connectors[record.connector].transaction == record.ref else {
            return V16.RemoteStopTransactionResponse(status: .rejected)
        }
        stopTransaction(record.connector, reason: .remote, idTag: nil, now: now, into: &out)
        refreshStatus(record.connector, now: now, into: &out)
        out.append(.event(.sessionEndedByCSMS(connector: record.connector)))
        return V16.RemoteStopTransactionResponse(status: .accepted)
    }

    private mutating func reset(_ request: V16.ResetRequest, now: Timestamp, after: inout [EngineOutput],
                                into out: inout [EngineOutput]) -> V16.ResetResponse {
        let reason: V16.StopReason = request.type == .hard ? .hardReset : .softReset
        for index in 1..<connectors.count where connectors[index].transaction != nil {
            // No card stopped it: StopTransaction.req's idTag stays empty (OCPP 1.6 §6.50).
            stopTransaction(index, reason: reason, idTag: nil, now: now, into: &out)
            out.append(.event(.sessionEndedByCSMS(connector: index)))
        }
        switch request.type {
        case .hard:
            // Reboot at once; the StopTransactions stay queued and go out after the next boot.
            reboot(now: now, into: &after)
        case .soft:
            // Reboot once the StopTransactions are confirmed (checked in `pump`), or after a bound.
            pendingReset = (.soft, now + Self.softResetDrainLimit)
            for index in connectors.indices { refreshStatus(index, now: now, into: &out) }
        }
        return V16.ResetResponse(status: .accepted)
    }

    private mutating func unlock(_ request: V16.UnlockConnectorRequest, now: Timestamp,
                                 into out: inout [EngineOutput]) -> V16.UnlockConnectorResponse {
        guard validConnector(request.connectorId) else { return V16.UnlockConnectorResponse(status: .unlockFailed) }
        if connectors[request.connectorId].transaction != nil {
            stopTransaction(request.connectorId, reason: .unlockCommand, idTag: nil, now: now, into: &out)
            refreshStatus(request.connectorId, now: now, into: &out)
        }
        if connectors[request.connectorId].plugged {
            out.append(.event(.sessionEndedByCSMS(connector: request.connectorId)))
        }
        return V16.UnlockConnectorResponse(status: .unlocked)
    }
}

extension V16.Action {
    /// Charge point → Central System only: a Central System must not send these.
    var isSentByChargePoint: Bool {
        switch self {
        case .authorize, .bootNotification, .heartbeat, .meterValues, .startTransaction, .statusNotification,
             .stopTransaction, .diagnosticsStatusNotification, .firmwareStatusNotification, .logStatusNotification,
             .securityEventNotification, .signCertificate, .signedFirmwareStatusNotification:
            true
        default:
            false
        }
    }
}
