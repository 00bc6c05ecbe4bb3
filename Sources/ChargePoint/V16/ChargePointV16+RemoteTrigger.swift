import OCPP

/// Calls a TriggerMessage queued and that have not gone out yet: they may leave while the
/// boot is Pending (OCPP 1.6 §4.2.1), which `pump` asks through `pending`. Empty almost
/// always (8 bytes).
struct RemoteTriggerState: Sendable {
    private(set) var pending: [PendingCall] = []

    mutating func add(_ call: PendingCall) { pending.append(call) }

    /// The call left the queue for the wire.
    mutating func sent(_ call: PendingCall) {
        if let index = pending.firstIndex(of: call) { pending.remove(at: index) }
    }

    /// Forgets calls no longer queued (dropped with a lost connection or a reboot).
    mutating func prune(keeping isQueued: (PendingCall) -> Bool) {
        pending.removeAll { !isQueued($0) }
    }
}

extension ChargePointV16 {
    /// What a trigger asks for, whichever of the two requests carried it.
    private enum Trigger {
        case bootNotification, heartbeat, meterValues, statusNotification
        case diagnosticsStatusNotification, firmwareStatusNotification
        case logStatusNotification, signedFirmwareStatusNotification, signChargePointCertificate
        /// A message this charge point does not know how to send (answered NotImplemented).
        /// The 1.6 enums hold none today: the schema rejects unknown values before this.
        case unknown
    }

    /// TriggerMessage (OCPP 1.6 §5.17) and ExtendedTriggerMessage (security whitepaper).
    /// The triggered message is queued at the front and goes out after the answer
    /// (`received` pumps once the CALLRESULT is written).
    mutating func triggerCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                              after: inout [EngineOutput], into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        let trigger: Trigger
        let connectorId: Int?
        if action == .extendedTriggerMessage {
            let request = try V16.ExtendedTriggerMessageRequest(json: payload)
            connectorId = request.connectorId
            trigger = switch request.requestedMessage {
            case .bootNotification: .bootNotification
            case .heartbeat: .heartbeat
            case .meterValues: .meterValues
            case .statusNotification: .statusNotification
            case .firmwareStatusNotification: .signedFirmwareStatusNotification
            case .logStatusNotification: .logStatusNotification
            case .signChargePointCertificate: .signChargePointCertificate
            }
        } else {
            let request = try V16.TriggerMessageRequest(json: payload)
            connectorId = request.connectorId
            trigger = switch request.requestedMessage {
            case .bootNotification: .bootNotification
            case .heartbeat: .heartbeat
            case .meterValues: .meterValues
            case .statusNotification: .statusNotification
            case .diagnosticsStatusNotification: .diagnosticsStatusNotification
            case .firmwareStatusNotification: .firmwareStatusNotification
            }
        }
        let status = self.trigger(trigger, connectorId: connectorId, now: now, into: &out)
        return V16.TriggerMessageResponse(status: status).encoded
    }

    /// Queues the requested message(s): Rejected for an invalid connector of a
    /// connector-specific message (MeterValues, StatusNotification); for the others the
    /// connectorId is not relevant and ignored (OCPP 1.6 §5.17).
    private mutating func trigger(_ trigger: Trigger, connectorId: Int?, now: Timestamp,
                                  into out: inout [EngineOutput]) -> V16.TriggerMessageStatus {
        remoteTrigger.prune { call in queue.contains { $0 == call } }
        switch trigger {
        case .unknown:
            return .notImplemented
        case .bootNotification:
            // Registration starts again: other calls wait for its answer, and a timeout
            // retries it as after power-on.
            if registration != .booting {
                registration = .booting
                queue.pushFront(.bootNotification)
            }
        case .heartbeat:
            pushTriggered([.heartbeat])
        case .statusNotification:
            guard let targets = triggerConnectors(connectorId, all: Array(connectors.indices)) else { return .rejected }
            pushTriggered(targets.map { index in
                .statusNotification(connector: index, status: connectors[index].status,
                                    errorCode: connectors[index].fault ?? .noError, timestamp: now)
            })
        case .meterValues:
            guard let targets = triggerConnectors(connectorId, all: Array(1..<connectors.count)) else { return .rejected }
            var calls: [PendingCall] = []
            for index in targets { calls.append(triggeredMeterValues(index, now: now)) }
            pushTriggered(calls)
        case .firmwareStatusNotification:
            var status = firmwareProgress(now: now).status
            // The signed-only steps have a plain counterpart (OCPP 1.6 §7.25).
            status = switch status {
            case .downloadScheduled, .downloadPaused: .idle
            case .signatureVerified, .installScheduled: .downloaded
            case .installRebooting: .installing
            case .invalidSignature, .installVerificationFailed: .installationFailed
            case .downloaded, .downloadFailed, .downloading, .idle, .installationFailed, .installing, .installed: status
            }
            let plain = V16.FirmwareStatus(rawValue: status.rawValue) ?? .idle
            pushTriggered([.feature(.firmwareStatusNotification,
                                    payload: V16.FirmwareStatusNotificationRequest(status: plain).encoded)])
        case .signedFirmwareStatusNotification:
            let progress = firmwareProgress(now: now)
            pushTriggered([.feature(.signedFirmwareStatusNotification, payload: V16.SignedFirmwareStatusNotificationRequest(
                status: progress.status, requestId: progress.requestId).encoded)])
        case .diagnosticsStatusNotification:
            let upload = runningUpload
            let status: V16.DiagnosticsStatus = upload.running && upload.requestId == nil ? .uploading : .idle
            pushTriggered([.feature(.diagnosticsStatusNotification,
                                    payload: V16.DiagnosticsStatusNotificationRequest(status: status).encoded)])
        case .logStatusNotification:
            let upload = runningUpload
            let request = upload.running && upload.requestId != nil
                ? V16.LogStatusNotificationRequest(status: .uploading, requestId: upload.requestId)
                : V16.LogStatusNotificationRequest(status: .idle)
            pushTriggered([.feature(.logStatusNotification, payload: request.encoded)])
        case .signChargePointCertificate:
            return triggerSignCertificate(now: now, into: &out) ? .accepted : .rejected
        }
        return .accepted
    }

    /// The connectors a connector-specific trigger covers: the one named, or all; nil
    /// for a connector that does not exist.
    private func triggerConnectors(_ connectorId: Int?, all: [Int]) -> [Int]? {
        guard let connectorId else { return all }
        return connectorId >= 0 && connectorId < connectors.count ? [connectorId] : nil
    }

    /// A MeterValues with context Trigger and the measurands of MeterValuesSampledData.
    /// Connector 0 is the main meter: the sum of the connectors. The transactionId is
    /// included when the connector's transaction already has one.
    private mutating func triggeredMeterValues(_ connector: Int, now: Timestamp) -> PendingCall {
        let set = configuration.meterValuesSampledData
        if connector == 0 {
            var energy = 0.0
            var power = 0.0
            for index in 1..<connectors.count {
                connectors[index].meter.advance(to: now)
                energy += connectors[index].meter.energyWh
                power += connectors[index].meter.powerW
            }
            var main = Meter(energyWh: energy)
            main.setPower(power, now: now)
            return .meterValues(connector: 0, ref: nil, values: [main.sample(set, context: .trigger, now: now, session: nil)])
        }
        connectors[connector].meter.advance(to: now)
        let value = connectors[connector].meter.sample(set, context: .trigger, now: now, session: session(connector))
        let ref = connectors[connector].transaction.flatMap { transactionId(ref: $0) == nil ? nil : $0 }
        return .meterValues(connector: connector, ref: ref, values: [value])
    }

    /// Puts `calls` at the head of the queue, in order, and lets them out before Accepted.
    private mutating func pushTriggered(_ calls: [PendingCall]) {
        for call in calls.reversed() {
            queue.pushFront(call)
            remoteTrigger.add(call)
        }
    }
}
