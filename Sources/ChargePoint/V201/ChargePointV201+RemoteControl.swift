import OCPP

/// Functional blocks B (Reset), F (remote control) and G (availability).
extension ChargePointV201 {
    /// B11/B12: Immediate ends every transaction (ImmediateReset) and reboots; OnIdle waits for
    /// the transactions to end (Scheduled). An EVSE-only reset is not simulated (Rejected).
    mutating func reset(_ request: V201.ResetRequest, now: Timestamp, into out: inout [EngineOutput]) -> V201.ResetResponse {
        guard request.evseId == nil else {
            return V201.ResetResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "UnsupportedRequest"))
        }
        switch request.type {
        case .immediate:
            for index in evses.indices where evses[index].transaction != nil {
                evses[index].authorizedToken = nil
                endTransaction(index, trigger: .resetCommand, reason: .immediateReset, now: now, into: &out)
                out.append(.event(.sessionEndedByCSMS(connector: index + 1)))
            }
            pendingReset = (.immediate, now)
            return V201.ResetResponse(status: .accepted)
        case .onIdle:
            pendingReset = (.onIdle, now)
            return V201.ResetResponse(status: openTransactions == 0 ? .accepted : .scheduled)
        }
    }

    /// G03: the station (no EVSE) or one EVSE; Scheduled while a transaction runs there.
    mutating func changeAvailability(_ request: V201.ChangeAvailabilityRequest, now: Timestamp,
                                     into out: inout [EngineOutput]) -> V201.ChangeAvailabilityResponse {
        let inoperative = request.operationalStatus == .inoperative
        let targets: [Int]
        if let evse = request.evse {
            guard let index = evseIndex(evse.id), evse.connectorId.map({ $0 == 1 }) ?? true else {
                return V201.ChangeAvailabilityResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "UnknownEvse"))
            }
            targets = [index]
        } else {
            targets = Array(evses.indices)
        }
        var scheduled = false
        for index in targets {
            if evses[index].transaction != nil, inoperative {
                evses[index].scheduledInoperative = true
                scheduled = true
            } else {
                evses[index].inoperative = inoperative
                evses[index].scheduledInoperative = nil
                reportStatus(index, now: now, into: &out)
            }
        }
        return V201.ChangeAvailabilityResponse(status: scheduled ? .scheduled : .accepted)
    }

    /// F01/F02: authorizes the EVSE (at once, unless AuthCtrlr.AuthorizeRemoteStart asks for an
    /// Authorize first); the driver is told to plug in.
    mutating func requestStart(_ request: V201.RequestStartTransactionRequest, now: Timestamp,
                               into out: inout [EngineOutput]) -> V201.RequestStartTransactionResponse {
        let candidates = request.evseId.map { evseIndex($0).map { [$0] } ?? [] } ?? Array(evses.indices)
        guard !stopping, let index = candidates.first(where: { evses.indices.contains($0) && evses[$0].transaction == nil
            && evses[$0].authorizedToken == nil && evses[$0].authorizingToken == nil && !evses[$0].inoperative
            && !evses[$0].faulted && mayUse($0, idTag: request.idToken.idToken, group: request.groupIdToken?.idToken) }) else {
            return V201.RequestStartTransactionResponse(status: .rejected)
        }
        if let profile = request.chargingProfile {
            // K05: a TxProfile for the transaction this start makes; it applies once it starts.
            guard profile.chargingProfilePurpose == .txProfile, profile.transactionId == nil, deviceModel.bool(.smartChargingEnabled) else {
                return V201.RequestStartTransactionResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "InvalidProfile"))
            }
            dropTransactionProfiles(evse: index + 1)
            smartCharging.append(InstalledProfileV201(evse: index + 1, profile: profile, installedAt: now))
        }
        evses[index].remoteStartId = request.remoteStartId
        out.append(.event(.remoteStartAccepted(connector: index + 1)))
        if deviceModel.bool(.authorizeRemoteStart), isConnected {
            evses[index].authorizingToken = request.idToken
            enqueue(.authorize(evse: index + 1, idToken: request.idToken), into: &out)
        } else {
            evses[index].authorizedToken = request.idToken
            if !evses[index].plugged { evses[index].waitingSince = now }
            evaluate(index, trigger: .remoteStart, now: now, into: &out)
        }
        return V201.RequestStartTransactionResponse(status: .accepted, transactionId: evses[index].transaction?.id)
    }

    /// F03: ends the transaction with that id (RemoteStop, stoppedReason Remote).
    mutating func requestStop(_ request: V201.RequestStopTransactionRequest, now: Timestamp,
                              into out: inout [EngineOutput]) -> V201.RequestStopTransactionResponse {
        guard let index = evses.indices.first(where: { evses[$0].transaction?.id == request.transactionId }) else {
            return V201.RequestStopTransactionResponse(status: .rejected)
        }
        evses[index].authorizedToken = nil
        endTransaction(index, trigger: .remoteStop, reason: .remote, now: now, into: &out)
        out.append(.event(.sessionEndedByCSMS(connector: index + 1)))
        return V201.RequestStopTransactionResponse(status: .accepted)
    }

    /// E14: whether the transaction is ongoing and whether its messages wait in the queue.
    func transactionStatus(_ request: V201.GetTransactionStatusRequest) -> V201.GetTransactionStatusResponse {
        let queued = queue.pendingTransactionMessages > 0
        guard let id = request.transactionId else { return V201.GetTransactionStatusResponse(messagesInQueue: queued) }
        let ongoing = evses.contains { $0.transaction?.id == id }
        let marker = Array("\"transactionId\":\"\(id)\"".utf8)
        let pending = queue.contains { call in
            guard case .transactionEvent = call else { return false }
            return call.payload.firstRange(of: marker) != nil
        }
        return V201.GetTransactionStatusResponse(ongoingIndicator: ongoing, messagesInQueue: pending)
    }

    /// F06: the messages this station can send on request.
    mutating func trigger(_ request: V201.TriggerMessageRequest, now: Timestamp,
                          into out: inout [EngineOutput]) -> V201.TriggerMessageResponse {
        let evse = request.evse.flatMap { evseIndex($0.id) }
        if request.evse != nil, evse == nil { return V201.TriggerMessageResponse(status: .rejected) }
        let indices = evse.map { [$0] } ?? Array(evses.indices)
        switch request.requestedMessage {
        case .bootNotification:
            // F06.FR.17: not once the boot is Accepted.
            guard registration != .accepted else { return V201.TriggerMessageResponse(status: .rejected) }
            if !queue.contains(where: { $0.action == .bootNotification }) {
                bootReason = .triggered
                queue.pushFront(.bootNotification(.triggered))
            }
        case .heartbeat:
            enqueueTriggered(.heartbeat, into: &out)
        case .statusNotification:
            guard let evse else { return V201.TriggerMessageResponse(status: .rejected) }
            enqueueTriggered(.statusNotification(evse: evse + 1, status: status(of: evse), timestamp: now), into: &out)
        case .meterValues:
            let measurands = MeasurandSet(csl: deviceModel.string(.alignedMeasurands)) ?? MeasurandSet([])
            for index in indices {
                guard let reading = sample(index, measurands, context: .trigger, now: now) else { continue }
                enqueueTriggered(.other(.meterValues, payload: V201.MeterValuesRequest(evseId: index + 1, meterValue: [reading]).encoded),
                                 into: &out)
            }
        case .transactionEvent:
            let open = indices.filter { evses[$0].transaction != nil }
            guard !open.isEmpty else { return V201.TriggerMessageResponse(status: .rejected) }
            let measurands = MeasurandSet(csl: deviceModel.string(.txUpdatedMeasurands)) ?? MeasurandSet([])
            for index in open {
                transactionEvent(index, .updated, trigger: .trigger, meter: sample(index, measurands, context: .trigger, now: now),
                                 now: now, into: &out)
            }
        case .logStatusNotification:
            enqueueTriggered(.other(.logStatusNotification, payload: logStatus().encoded), into: &out)
        case .firmwareStatusNotification:
            enqueueTriggered(.other(.firmwareStatusNotification,
                                    payload: V201.FirmwareStatusNotificationRequest(status: .idle).encoded), into: &out)
        case .signChargingStationCertificate:
            guard requestStationCertificate(into: &out) else { return V201.TriggerMessageResponse(status: .rejected) }
            if registration != .accepted { triggered.append(.signCertificate) }
        case .signV2GCertificate, .signCombinedCertificate, .publishFirmwareStatusNotification:
            return V201.TriggerMessageResponse(status: .notImplemented)
        }
        return V201.TriggerMessageResponse(status: .accepted)
    }

    private mutating func enqueueTriggered(_ call: PendingCallV201, into out: inout [EngineOutput]) {
        if registration != .accepted { triggered.append(call.action) }
        enqueue(call, into: &out)
    }

    /// F05: refused while a transaction holds the cable.
    mutating func unlock(_ request: V201.UnlockConnectorRequest, now: Timestamp,
                         into out: inout [EngineOutput]) -> V201.UnlockConnectorResponse {
        guard let index = evseIndex(request.evseId), request.connectorId == 1 else {
            return V201.UnlockConnectorResponse(status: .unknownConnector)
        }
        guard evses[index].transaction == nil else { return V201.UnlockConnectorResponse(status: .ongoingAuthorizedTransaction) }
        return V201.UnlockConnectorResponse(status: .unlocked)
    }
}
