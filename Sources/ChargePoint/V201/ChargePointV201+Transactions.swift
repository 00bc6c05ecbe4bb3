import OCPP

/// Sessions and transactions of 2.0.1 (functional blocks E and J): a transaction starts at
/// the first TxStartPoint condition met and ends at the first TxStopPoint condition lost
/// (E01, E06); each event carries seqNo, triggerReason, chargingState and `offline`.
extension ChargePointV201 {
    // MARK: inputs of the simulated driver

    public mutating func plugIn(connector: Int, ev: EVProfile, now: Timestamp, into out: inout [EngineOutput]) {
        let index = connector - 1
        guard evses.indices.contains(index), !evses[index].plugged else { return }
        evses[index].plugged = true
        evses[index].ev = ev
        evses[index].waitingSince = nil
        reportStatus(index, now: now, into: &out)
        evaluate(index, trigger: .cablePluggedIn, now: now, into: &out)
        pump(now: now, into: &out)
    }

    public mutating func unplug(connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        let index = connector - 1
        guard evses.indices.contains(index), evses[index].plugged else { return }
        evses[index].plugged = false
        evses[index].ev = nil
        evses[index].evSuspended = false
        if evses[index].transaction != nil {
            if stopPoints.contains("EVConnected") || stopPoints.contains("PowerPathClosed") {
                endTransaction(index, trigger: .evCommunicationLost, reason: .evDisconnected, now: now, into: &out)
            } else {
                evaluate(index, trigger: .evCommunicationLost, now: now, into: &out)
            }
        }
        evses[index].authorizedToken = nil
        evses[index].remoteStartId = nil
        reportStatus(index, now: now, into: &out)
        pump(now: now, into: &out)
    }

    /// A card at the reader: starts authorization, or ends the transaction it started (C01, E07).
    public mutating func presentIdTag(_ idTag: String, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        let index = connector - 1
        guard evses.indices.contains(index), !stopping else { return }
        if let authorized = evses[index].authorizedToken {
            if evses[index].transaction != nil, IdToken.equal(authorized.idToken, idTag) {
                evses[index].authorizedToken = nil
                endTransaction(index, trigger: .stopAuthorized, reason: .local, now: now, into: &out)
                reportStatus(index, now: now, into: &out)
                pump(now: now, into: &out)
            }
            return
        }
        guard evses[index].authorizingToken == nil else { return }
        guard mayUse(index, idTag: idTag) else {
            out.append(.event(.authorizationFailed(connector: connector)))  // H01.FR.09: reserved for another token
            return
        }
        let token = V201.IdToken(idToken: String(idTag.prefix(36)), type: Self.tokenType(of: idTag))
        if let status = localStatus(of: idTag, now: now), status.isValidV201 || !isConnected {
            authorizationAnswered(index + 1, token: token, status: status, now: now, into: &out)
        } else if isConnected {
            evses[index].authorizingToken = token
            enqueue(.authorize(evse: index + 1, idToken: token), into: &out)
        } else {
            authorizationAnswered(index + 1, token: token, status: .unknown, now: now, into: &out)
        }
        pump(now: now, into: &out)
    }

    /// The IdTokenEnumType of a card a simulated driver presents: a 4 or 7 byte UID in hex is an
    /// ISO14443 card, an 8 byte one ISO15693. Any other tag (a fleet spec's idTags are free text,
    /// as in 1.6) cannot be a card UID: it is an id the CSMS issued, Central.
    static func tokenType(of idTag: String) -> V201.IdTokenEnum {
        let isHex = idTag.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0 & 0xDF) }
        guard isHex else { return .central }
        switch idTag.utf8.count {
        case 8, 14: return .iso14443
        case 16: return .iso15693
        default: return .central
        }
    }

    public mutating func setEVSuspended(_ suspended: Bool, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        let index = connector - 1
        guard evses.indices.contains(index), evses[index].evSuspended != suspended else { return }
        evses[index].evSuspended = suspended
        if suspended, evses[index].transaction != nil, stopPoints.contains("EnergyTransfer") {
            endTransaction(index, trigger: .chargingStateChanged, reason: .stoppedByEV, now: now, into: &out)
        } else {
            evaluate(index, trigger: .chargingStateChanged, now: now, into: &out)
        }
        pump(now: now, into: &out)
    }

    public mutating func stopAllTransactions(now: Timestamp, into out: inout [EngineOutput]) {
        stopping = true
        for index in evses.indices where evses[index].transaction != nil {
            evses[index].authorizedToken = nil
            endTransaction(index, trigger: .stopAuthorized, reason: .local, now: now, into: &out)
        }
        pump(now: now, into: &out)
    }

    // MARK: authorization (C01, C10, C14)

    /// What the local list or the cache say of a token; the list wins (C14.FR.03).
    func localStatus(of idTag: String, now: Timestamp) -> V201.AuthorizationStatusEnum? {
        if deviceModel.bool(.localAuthListEnabled), let status = localList.status(of: idTag, now: now) { return status }
        let cacheUsable = deviceModel.bool(.authCacheEnabled) && (isConnected ? deviceModel.bool(.localPreAuthorize)
                                                                              : deviceModel.bool(.localAuthorizeOffline))
        guard cacheUsable, let entry = authorizationCache.lookup(idTag, now: now) else { return nil }
        return entry.status.isValid ? .accepted : .invalid
    }

    /// Remembers the CSMS's verdict on a token in the authorization cache (C10.FR.01).
    mutating func learn(_ idTag: String, _ info: V201.IdTokenInfo, now: Timestamp) {
        guard deviceModel.bool(.authCacheEnabled) else { return }
        let lifetime = deviceModel.int(.authCacheLifeTime)
        let expiry = info.cacheExpiryDateTime ?? (lifetime > 0 ? now + .seconds(lifetime) : nil)
        authorizationCache.update(idTag, V16.IdTagInfo(expiryDate: expiry, status: info.status.v16Status), now: now,
                                  capacity: Self.authorizationCacheCapacity)
    }

    mutating func authorizationAnswered(_ evse: Int, token: V201.IdToken, status: V201.AuthorizationStatusEnum,
                                        now: Timestamp, into out: inout [EngineOutput]) {
        let index = evse - 1
        guard evses.indices.contains(index) else { return }
        evses[index].authorizingToken = nil
        guard status.isValidV201, !stopping else {
            out.append(.event(.authorizationFailed(connector: evse)))
            return
        }
        evses[index].authorizedToken = token
        if !evses[index].plugged { evses[index].waitingSince = now }
        evaluate(index, trigger: .authorized, now: now, into: &out)
    }

    /// EVConnectionTimeOut passed without a cable (E03.FR.05): the authorization lapses.
    mutating func connectionTimedOut(_ index: Int, now: Timestamp, into out: inout [EngineOutput]) {
        evses[index].waitingSince = nil
        evses[index].authorizedToken = nil
        evses[index].remoteStartId = nil
        dropTransactionProfiles(evse: index + 1)
        if evses[index].transaction != nil {
            endTransaction(index, trigger: .evConnectTimeout, reason: .timeout, now: now, into: &out)
        }
        out.append(.event(.authorizationFailed(connector: index + 1)))
        reportStatus(index, now: now, into: &out)
    }

    // MARK: start and stop points

    var startPoints: [Substring] { deviceModel.members(.txStartPoint) }
    var stopPoints: [Substring] { deviceModel.members(.txStopPoint) }

    /// Whether the TxStartPoint condition `point` holds on the EVSE (E01: ParkingBayOccupancy
    /// counts as the cable, there being no bay sensor; DataSigned never holds, nothing is signed).
    func holds(_ point: Substring, _ index: Int) -> Bool {
        let evse = evses[index]
        switch point {
        case "EVConnected", "ParkingBayOccupancy": return evse.plugged
        case "Authorized": return evse.authorizedToken != nil
        case "PowerPathClosed": return evse.plugged && evse.authorizedToken != nil && !evse.inoperative
        case "EnergyTransfer": return chargingState(index) == .charging
        default: return false
        }
    }

    func chargingState(_ index: Int) -> V201.ChargingStateEnum {
        let evse = evses[index]
        guard evse.plugged else { return .idle }
        guard evse.authorizedToken != nil else { return .evConnected }
        if evse.inoperative || evse.faulted { return .suspendedEVSE }
        return evse.evSuspended ? .suspendedEV : .charging
    }

    /// Starts a transaction when a start point holds, or reports a changed charging state of
    /// an ongoing one; sets the power the EV draws.
    mutating func evaluate(_ index: Int, trigger: V201.TriggerReasonEnum, now: Timestamp, into out: inout [EngineOutput]) {
        let state = chargingState(index)
        sharePower(now: now)
        if var transaction = evses[index].transaction {
            let newToken = evses[index].authorizedToken != nil && !transaction.idTokenSent
            guard transaction.chargingState != state || newToken else { return }
            transaction.chargingState = state
            evses[index].transaction = transaction
            transactionEvent(index, .updated, trigger: trigger, now: now, into: &out)
            return
        }
        guard !stopping, startPoints.contains(where: { holds($0, index) }) else { return }
        transactionCounter += 1
        evses[index].waitingSince = evses[index].plugged ? nil : evses[index].waitingSince
        let reserved = reservation(on: index).map { reservation in
            evses[index].authorizedToken.map { IdToken.equal($0.idToken, reservation.idToken) } ?? false
        } ?? false
        evses[index].transaction = Transaction(
            id: "\(identity.id.prefix(24))-\(transactionCounter)", number: transactionCounter, chargingState: state,
            startedAt: now, startWh: evses[index].meter.energyWh, remoteStartId: evses[index].remoteStartId,
            reservationId: reserved ? consumeReservation(index) : nil)
        let measurands = MeasurandSet(csl: deviceModel.string(.txStartedMeasurands)) ?? MeasurandSet([])
        let begin = sample(index, measurands, context: .transactionBegin, now: now)
        transactionEvent(index, .started, trigger: evses[index].remoteStartId != nil && trigger == .authorized ? .remoteStart : trigger,
                         meter: begin, now: now, into: &out)
        armSampling(index, now: now)
    }

    /// The rating of one EVSE: 3 phases × 32 A × 230 V.
    var evsePowerLimitW: Double { Meter.offeredCurrentA * Meter.nominalVoltage * Meter.phases }

    mutating func endTransaction(_ index: Int, trigger: V201.TriggerReasonEnum, reason: V201.ReasonEnum, now: Timestamp,
                                 into out: inout [EngineOutput]) {
        guard var transaction = evses[index].transaction else { return }
        evses[index].meter.setPower(0, now: now)
        transaction.chargingState = chargingState(index) == .charging ? .evConnected : chargingState(index)
        evses[index].transaction = transaction
        let measurands = MeasurandSet(csl: deviceModel.string(.txEndedMeasurands)) ?? MeasurandSet([])
        let end = sample(index, measurands, context: .transactionEnd, now: now)
        transactionEvent(index, .ended, trigger: trigger, meter: end, stoppedReason: reason, now: now, into: &out)
        evses[index].transaction = nil
        evses[index].nextSample = nil
        evses[index].remoteStartId = nil
        dropTransactionProfiles(evse: index + 1)
        sharePower(now: now)
        if let inoperative = evses[index].scheduledInoperative {
            evses[index].inoperative = inoperative
            evses[index].scheduledInoperative = nil
        }
        reportStatus(index, now: now, into: &out)
    }

    /// Queues one TransactionEvent of the EVSE's transaction with the next seqNo.
    mutating func transactionEvent(_ index: Int, _ type: V201.TransactionEventEnum, trigger: V201.TriggerReasonEnum,
                                   meter: V201.MeterValue? = nil, stoppedReason: V201.ReasonEnum? = nil,
                                   periodic: Bool = false, now: Timestamp, into out: inout [EngineOutput]) {
        guard var transaction = evses[index].transaction else { return }
        let token = evses[index].authorizedToken
        let sendToken = token != nil && !transaction.idTokenSent
        let request = V201.TransactionEventRequest(
            eventType: type, meterValue: meter.map { [$0] }, timestamp: now, triggerReason: trigger,
            seqNo: transaction.seqNo, offline: isConnected ? nil : true,
            reservationId: type == .started ? transaction.reservationId : nil,
            transactionInfo: V201.Transaction(
                transactionId: transaction.id, chargingState: transaction.chargingState,
                timeSpentCharging: type == .ended ? Int((now - transaction.startedAt).microseconds / 1_000_000) : nil,
                stoppedReason: stoppedReason, remoteStartId: type == .started ? transaction.remoteStartId : nil),
            evse: transaction.evseSent ? nil : V201.EVSE(id: index + 1, connectorId: 1),
            idToken: sendToken ? token : nil)
        transaction.seqNo += 1
        transaction.evseSent = true
        if sendToken { transaction.idTokenSent = true }
        evses[index].transaction = transaction
        enqueue(.transactionEvent(evse: index + 1, transaction: transaction.number, type: type, periodic: periodic,
                                  payload: request.encoded), into: &out)
    }

    mutating func transactionEventAnswered(_ evse: Int, transaction number: Int, type: V201.TransactionEventEnum,
                                           response: V201.TransactionEventResponse, now: Timestamp,
                                           into out: inout [EngineOutput]) {
        let index = evse - 1
        guard evses.indices.contains(index) else { return }
        if let info = response.idTokenInfo, let token = evses[index].authorizedToken,
           evses[index].transaction?.number == number {
            learn(token.idToken, info, now: now)
            if !info.status.isValidV201, evses[index].transaction != nil, deviceModel.bool(.stopTxOnInvalidId) {
                // E05: the CSMS refused the token of an ongoing transaction.
                evses[index].authorizedToken = nil
                endTransaction(index, trigger: .deauthorized, reason: .deAuthorized, now: now, into: &out)
                out.append(.event(.sessionEndedByCSMS(connector: evse)))
            }
        }
        switch type {
        case .started: out.append(.event(.transactionStarted(connector: evse, transactionId: number)))
        case .ended: out.append(.event(.transactionStopped(connector: evse, transactionId: number)))
        case .updated: break
        }
    }

    // MARK: meter values (J01, J02)

    func sample(_ index: Int, _ measurands: MeasurandSet, context: V16.ReadingContext, now: Timestamp) -> V201.MeterValue? {
        guard deviceModel.bool(.sampledDataEnabled) || context == .sampleClock else { return nil }
        var meter = evses[index].meter
        meter.advance(to: now)
        let session = evses[index].ev.flatMap { ev in evses[index].transaction.map { (ev: ev, startWh: $0.startWh) } }
        return Self.meterValue(meter.sample(measurands, context: context, now: now, session: session))
    }

    /// The 1.6 meter's reading in 2.0.1 form: values are numbers, units an object.
    static func meterValue(_ reading: V16.MeterValue) -> V201.MeterValue {
        V201.MeterValue(sampledValue: reading.sampledValue.map { value in
            V201.SampledValue(value: Double(value.value) ?? 0,
                              context: value.context.flatMap { V201.ReadingContextEnum(rawValue: $0.rawValue) },
                              measurand: value.measurand.flatMap { V201.MeasurandEnum(rawValue: $0.rawValue) },
                              location: value.location.flatMap { V201.LocationEnum(rawValue: $0.rawValue) },
                              unitOfMeasure: value.unit.map { V201.UnitOfMeasure(unit: $0.rawValue) })
        }, timestamp: reading.timestamp)
    }

    mutating func armSampling(_ index: Int, now: Timestamp) {
        let interval = deviceModel.int(.txUpdatedInterval)
        evses[index].nextSample = interval > 0 && evses[index].transaction != nil ? now + .seconds(interval) : nil
    }

    mutating func samplePeriodic(_ index: Int, due: Timestamp, now: Timestamp, into out: inout [EngineOutput]) {
        armSampling(index, now: due)
        let measurands = MeasurandSet(csl: deviceModel.string(.txUpdatedMeasurands)) ?? MeasurandSet([])
        guard let reading = sample(index, measurands, context: .samplePeriodic, now: now) else { return }
        transactionEvent(index, .updated, trigger: .meterValuePeriodic, meter: reading, periodic: true, now: now, into: &out)
    }

    /// Clock-aligned readings: in a TransactionEvent for an EVSE with a transaction, in
    /// MeterValues for the others (J01.FR.14, J01.FR.20).
    mutating func sampleAligned(due: Timestamp, now: Timestamp, into out: inout [EngineOutput]) {
        armAlignedSampling(now: due)
        let measurands = MeasurandSet(csl: deviceModel.string(.alignedMeasurands)) ?? MeasurandSet([])
        for index in evses.indices {
            guard let reading = sample(index, measurands, context: .sampleClock, now: now) else { continue }
            if evses[index].transaction != nil {
                transactionEvent(index, .updated, trigger: .meterValueClock, meter: reading, periodic: true, now: now, into: &out)
            } else if isConnected, registration == .accepted {
                enqueue(.other(.meterValues, payload: V201.MeterValuesRequest(evseId: index + 1, meterValue: [reading]).encoded),
                        due: due, into: &out)
            }
        }
    }

    // MARK: availability (G01-G04)

    func status(of index: Int) -> V201.ConnectorStatusEnum {
        let evse = evses[index]
        if evse.faulted { return .faulted }
        if evse.inoperative, evse.transaction == nil { return .unavailable }
        if evse.plugged { return .occupied }
        return reservation(on: index) != nil ? .reserved : .available
    }

    /// Sends a StatusNotification when the connector's status changed since the last one.
    mutating func reportStatus(_ index: Int, now: Timestamp, into out: inout [EngineOutput]) {
        let status = status(of: index)
        guard evses[index].reported != status else { return }
        evses[index].reported = status
        guard isConnected, registration == .accepted else { return }
        queue.removeAll { if case .statusNotification(index + 1, _, _) = $0 { true } else { false } }
        enqueue(.statusNotification(evse: index + 1, status: status, timestamp: now), into: &out)
        statusChanged(index, status: status, now: now, into: &out)
    }
}

extension V201.AuthorizationStatusEnum {
    /// Accepted is the only status that lets a token charge (C01.FR.02).
    var isValidV201: Bool { self == .accepted }

    /// The 1.6 status the shared authorization cache keeps.
    var v16Status: V16.AuthorizationStatus {
        switch self {
        case .accepted: .accepted
        case .blocked: .blocked
        case .expired: .expired
        case .concurrentTx: .concurrentTx
        case .invalid, .noCredit, .notAllowedTypeEVSE, .notAtThisLocation, .notAtThisTime, .unknown: .invalid
        }
    }
}
