import OCPP

/// Local inputs of a charging session: cable, RFID, EV, and the transactions and meter
/// values they cause (OCPP 1.6 §4.8–4.10, §3.6 status transitions).
extension ChargePointV16 {
    func validConnector(_ connector: Int) -> Bool { connector >= 1 && connector < connectors.count }

    public mutating func plugIn(connector: Int, ev: EVProfile, now: Timestamp, into out: inout [EngineOutput]) {
        guard validConnector(connector), !connectors[connector].plugged else { return }
        connectors[connector].plugged = true
        connectors[connector].ev = ev
        connectors[connector].finishing = false
        connectors[connector].evSuspended = false
        if let tag = connectors[connector].authorizedTag, connectors[connector].transaction == nil {
            authorized(connector, idTag: tag, now: now, into: &out)
        }
        refreshStatus(connector, now: now, into: &out)
        pump(now: now, into: &out)
    }

    public mutating func unplug(connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard validConnector(connector), connectors[connector].plugged else { return }
        connectors[connector].plugged = false
        connectors[connector].finishing = false
        connectors[connector].authorizedTag = nil
        connectors[connector].waitingSince = nil
        if connectors[connector].transaction != nil {
            if configuration.stopTransactionOnEVSideDisconnect {
                stopTransaction(connector, reason: .evDisconnected, idTag: nil, now: now, into: &out)
            } else {
                connectors[connector].meter.setPower(0, now: now)
            }
        }
        connectors[connector].ev = nil
        refreshStatus(connector, now: now, into: &out)
        pump(now: now, into: &out)
    }

    public mutating func setEVSuspended(_ suspended: Bool, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard validConnector(connector), connectors[connector].plugged else { return }
        connectors[connector].evSuspended = suspended
        applyPower(connector, now: now)
        refreshStatus(connector, now: now, into: &out)
        pump(now: now, into: &out)
    }

    /// A connector fault (or its end, with nil): status Faulted with the error code.
    public mutating func setFault(_ code: V16.ChargePointErrorCode?, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard connector >= 0, connector < connectors.count else { return }
        connectors[connector].fault = code == .noError ? nil : code
        if code != nil, code != .noError, connector > 0, connectors[connector].transaction != nil {
            stopTransaction(connector, reason: .other, idTag: nil, now: now, into: &out)
        }
        // A fault of the charge point as a whole (connector 0) changes every idle connector too.
        for index in connector == 0 ? Array(connectors.indices) : [connector] {
            refreshStatus(index, now: now, into: &out)
        }
        pump(now: now, into: &out)
    }

    public mutating func stopAllTransactions(now: Timestamp, into out: inout [EngineOutput]) {
        stopping = true
        for index in 1..<connectors.count {
            connectors[index].authorizingTag = nil
            connectors[index].authorizedTag = nil
            connectors[index].waitingSince = nil
            if let ref = connectors[index].transaction {
                let tag = transactions.first(where: { $0.ref == ref })?.idTag
                stopTransaction(index, reason: .local, idTag: tag, now: now, into: &out)
            }
            refreshStatus(index, now: now, into: &out)
        }
        queue.removeAll { if case .authorize = $0 { true } else { false } }
        pump(now: now, into: &out)
    }

    // MARK: authorization (the rules are in ChargePointV16+Authorization.swift)

    func isOperative(_ connector: Int) -> Bool {
        !connectors[0].inoperative && !connectors[connector].inoperative
            && connectors[0].fault == nil && connectors[connector].fault == nil && !firmwareHoldsConnectors
    }

    /// Whether a new session may begin on `connector`: it is operative, no reset is
    /// draining and the run is not ending.
    func mayStartTransaction(_ connector: Int) -> Bool {
        isOperative(connector) && pendingReset == nil && !stopping
    }

    // MARK: transactions

    mutating func startTransaction(_ connector: Int, idTag: String, now: Timestamp, into out: inout [EngineOutput]) {
        nextTransactionRef += 1
        let ref = nextTransactionRef
        connectors[connector].meter.advance(to: now)
        let startWh = connectors[connector].meter.energyWh
        var record = TransactionRecord(ref: ref, connector: connector, idTag: idTag, transactionId: nil,
                                       startWh: startWh, startedAt: now)
        // Its group, for a card of the same parentIdTag to stop it (OCPP 1.6 §3.10); the CSMS's
        // StartTransaction.conf may tell it later.
        record.parentIdTag = knownIdTag(idTag, now: now)?.parentIdTag
        record.reservationId = consumeReservation(connector, idTag: idTag, now: now, into: &out)
        transactions.append(record)
        connectors[connector].transaction = ref
        connectors[connector].authorizedTag = nil
        connectors[connector].waitingSince = nil
        connectors[connector].suspendedByEVSE = false
        connectors[connector].sessionStartWh = startWh
        enqueue(.startTransaction(ref: ref, connector: connector, idTag: idTag,
                                  meterStart: connectors[connector].meter.registerWh, timestamp: now), into: &out)
        applyPower(connector, now: now)
        armSampling(connector, now: now)
    }

    mutating func startAnswered(ref: Int, connector: Int, response: V16.StartTransactionResponse, now: Timestamp,
                                into out: inout [EngineOutput]) {
        guard let index = transactions.firstIndex(where: { $0.ref == ref }) else { return }
        transactions[index].transactionId = response.transactionId
        out.append(.event(.transactionStarted(connector: connector, transactionId: response.transactionId)))
        let info = response.idTagInfo
        if let parent = info.parentIdTag { transactions[index].parentIdTag = parent }
        learn(transactions[index].idTag, info, now: now, into: &out)
        guard info.status != .accepted, connectors[connector].transaction == ref else { return }
        // A transaction started for an idTag the CSMS refuses (OCPP 1.6 §3.5.4).
        deauthorize(connector, record: index, now: now, into: &out)
        refreshStatus(connector, now: now, into: &out)
    }

    mutating func stopTransaction(_ connector: Int, reason: V16.StopReason, idTag: String?, now: Timestamp,
                                  into out: inout [EngineOutput]) {
        guard let ref = connectors[connector].transaction else { return }
        connectors[connector].meter.setPower(0, now: now)
        let meter = connectors[connector].meter
        var data: [V16.MeterValue] = []
        let stopSet = configuration.stopTxnSampledData
        if stopSet.contains(.energyActiveImportRegister) {
            data.append(V16.MeterValue(timestamp: transactionStart(ref) ?? now, sampledValue: [
                V16.SampledValue(value: String(Int(connectors[connector].sessionStartWh)), context: .transactionBegin,
                                 measurand: .energyActiveImportRegister, unit: .wh),
            ]))
        }
        if !stopSet.isEmpty {
            data.append(meter.sample(stopSet, context: .transactionEnd, now: now, session: session(connector)))
        }
        enqueue(.stopTransaction(ref: ref, idTag: idTag, meterStop: meter.registerWh, timestamp: now,
                                 reason: reason, data: data.isEmpty ? nil : data), into: &out)
        connectors[connector].transaction = nil
        connectors[connector].nextSample = nil
        connectors[connector].suspendedByEVSE = false
        connectors[connector].finishing = connectors[connector].plugged
        if let scheduled = connectors[connector].scheduledInoperative {
            connectors[connector].inoperative = scheduled
            connectors[connector].scheduledInoperative = nil
        }
    }

    private func transactionStart(_ ref: Int) -> Timestamp? {
        transactions.first(where: { $0.ref == ref })?.startedAt
    }

    func session(_ connector: Int) -> (ev: EVProfile, startWh: Double)? {
        connectors[connector].ev.map { ($0, connectors[connector].sessionStartWh) }
    }

    /// Power drawn: the EV's maximum while charging, 0 when suspended either side; with
    /// charging profiles installed, capped by the limits in force (SmartCharging), which
    /// may change the other connectors' share of the charge point's limit too.
    mutating func applyPower(_ connector: Int, now: Timestamp) {
        guard smartCharging.profiles.isEmpty else {
            shareChargingPower(now: now)
            return
        }
        let c = connectors[connector]
        let charging = c.transaction != nil && c.plugged && !c.evSuspended && !c.suspendedByEVSE
        connectors[connector].meter.setPower(charging ? (c.ev?.maxPowerW ?? 0) : 0, now: now)
    }

    // MARK: meter values

    mutating func armSampling(_ connector: Int, now: Timestamp) {
        let interval = configuration.meterValueSampleInterval
        connectors[connector].nextSample = connectors[connector].transaction != nil && interval > 0
            ? now + .seconds(interval) : nil
    }

    /// `due`: when the sample timer fell due (≤ `now`), the intended send time.
    mutating func samplePeriodic(_ connector: Int, due: Timestamp? = nil, now: Timestamp, into out: inout [EngineOutput]) {
        armSampling(connector, now: now)
        guard let ref = connectors[connector].transaction else { return }
        connectors[connector].meter.advance(to: now)
        if let session = session(connector), connectors[connector].meter.powerW > 0,
           Meter.stateOfCharge(session, energyWh: connectors[connector].meter.energyWh) >= 100 {
            // The battery is full: the EV stops drawing power.
            connectors[connector].evSuspended = true
            applyPower(connector, now: now)
            refreshStatus(connector, now: now, into: &out)
        }
        let value = connectors[connector].meter.sample(configuration.meterValuesSampledData, context: .samplePeriodic,
                                                       now: now, session: session(connector))
        enqueue(.meterValues(connector: connector, ref: ref, values: [value]), due: due ?? now, into: &out)
    }

    mutating func sampleAligned(due: Timestamp? = nil, now: Timestamp, into out: inout [EngineOutput]) {
        let set = configuration.meterValuesAlignedData
        guard !set.isEmpty else { return }
        for index in 1..<connectors.count {
            connectors[index].meter.advance(to: now)
            let value = connectors[index].meter.sample(set, context: .sampleClock, now: now, session: session(index))
            enqueue(.meterValues(connector: index, ref: connectors[index].transaction, values: [value]), due: due ?? now,
                    into: &out)
        }
    }

    // MARK: status

    func computeStatus(_ index: Int) -> V16.ChargePointStatus {
        let c = connectors[index]
        if c.fault != nil { return .faulted }
        if index == 0 { return c.inoperative ? .unavailable : .available }
        if c.transaction != nil {
            if c.suspendedByEVSE { return .suspendedEVSE }
            if !c.plugged || c.evSuspended { return .suspendedEV }
            return .charging
        }
        if !isOperative(index) { return connectors[0].fault != nil ? .faulted : .unavailable }
        if c.finishing { return .finishing }
        if c.plugged || c.authorizingTag != nil || c.authorizedTag != nil { return .preparing }
        return isReserved(index) ? .reserved : .available
    }

    /// Recomputes a connector's status and reports a change (OCPP 1.6 §4.9).
    mutating func refreshStatus(_ index: Int, now: Timestamp, into out: inout [EngineOutput]) {
        let status = computeStatus(index)
        guard status != connectors[index].status else { return }
        connectors[index].status = status
        if isConnected, registration == .accepted {
            if configuration.minimumStatusDuration > 0 {
                // MinimumStatusDuration (OCPP 1.6 §9.1.21): reported once it has held that long (`tick`).
                connectors[index].statusSince = now
            } else {
                enqueueStatus(index, now: now, into: &out)
            }
        }
        reservationsAfterStatusChange(index, now: now, into: &out)
    }

    /// A status held for MinimumStatusDuration is reported, unless it is the one last reported.
    mutating func reportStableStatuses(now: Timestamp, into out: inout [EngineOutput]) {
        for index in connectors.indices {
            guard let since = connectors[index].statusSince,
                  since + .seconds(configuration.minimumStatusDuration) <= now else { continue }
            connectors[index].statusSince = nil
            if connectors[index].status != connectors[index].reported, isConnected, registration == .accepted {
                enqueueStatus(index, now: now, into: &out)
            }
        }
    }

    /// Queues a StatusNotification; `burst` marks the full report after a (re)connect or
    /// boot, which may exceed the queue's bound rather than be lost.
    mutating func enqueueStatus(_ index: Int, burst: Bool = false, now: Timestamp, into out: inout [EngineOutput]) {
        let errorCode = connectors[index].fault ?? .noError
        connectors[index].reported = connectors[index].status
        connectors[index].statusSince = nil
        enqueue(.statusNotification(connector: index, status: connectors[index].status, errorCode: errorCode, timestamp: now),
                beyondCapacity: burst, due: burst ? nil : now, into: &out)
    }
}
