import OCPP

/// What one charge point's connection has told the CSMS, and the answers to its messages:
/// the OCPP side of a connection with no I/O. The connection handler feeds it each text
/// message and writes back the bytes it returns; shared state (transactions, boots) is
/// reached through `SharedState`, whose locks are taken only for transactions and boots.
struct ChargePointSession {
    /// What a message should be counted as; recorded once per message.
    struct Tally: Equatable {
        var action: V16.Action?
        var unknownAction = false
        var callError: CallError.Code?
        var bootAccepted = false
        var beforeBoot = false
        var unknownTransactionStop = false
        var responseIgnored = false
        /// What a scenario (`ScenarioSession`) watches: StatusNotification, StartTransaction, StopTransaction.
        var connectorStatus: ConnectorStatus?
        var transactionStarted: TransactionStart?
        var transactionStopped: Int?
    }

    struct ConnectorStatus: Equatable {
        var connectorId: Int
        var status: V16.ChargePointStatus
    }

    struct TransactionStart: Equatable {
        var connectorId: Int
        var transactionId: Int
    }

    /// The answer to one message: bytes to send back (a CALLRESULT or CALLERROR), if any.
    struct Outcome {
        var reply: [UInt8]?
        var tally = Tally()
    }

    let chargePointId: String
    /// Whether this charge point had a boot accepted, here or on an earlier connection.
    private(set) var bootAccepted: Bool
    private let shared: SharedState

    init(chargePointId: String, bootAccepted: Bool, shared: SharedState) {
        self.chargePointId = chargePointId
        self.bootAccepted = bootAccepted
        self.shared = shared
    }

    /// A session that learned from the registry that its charge point booted before.
    mutating func restoreBoot(_ booted: Bool) {
        bootAccepted = bootAccepted || booted
    }

    /// Answers one text message, given as its parsed JSON or the reason it is not JSON.
    mutating func received(_ message: Result<JSONValue, JSONParser.Failure>, now: Timestamp) -> Outcome {
        let frame: Frame
        switch message {
        case .failure(let failure):
            // Unreadable: no id to echo, so "-1" as the OCPP-J convention goes.
            return callError(id: "-1", CallError(.formationViolation, failure.description))
        case .success(let json):
            do throws(Frame.ParseFailure) {
                frame = try Frame.parse(json)
            } catch {
                return malformed(json, error)
            }
        }
        switch frame {
        case .call(let id, let action, let payload):
            return call(id: id, action: action, payload: payload, now: now)
        case .callResult, .callError:
            // Answers to the scenario's CALLs were taken before (`ScenarioSession.response`):
            // this one answers nothing we sent (OCPP-J 1.6 §4.1.3).
            var outcome = Outcome()
            outcome.tally.responseIgnored = true
            return outcome
        }
    }

    private func malformed(_ json: JSONValue, _ failure: Frame.ParseFailure) -> Outcome {
        // A broken CALLRESULT or CALLERROR is not answered: a CALLERROR only answers a CALL.
        if !failure.wasCall, case .array(let elements) = json, let first = elements.first,
           case .integer(let type) = first, type == 3 || type == 4 {
            var outcome = Outcome()
            outcome.tally.responseIgnored = true
            return outcome
        }
        // Echoing an empty or over-long id would make the CALLERROR itself malformed: "-1" then.
        let usable = failure.id.flatMap { !$0.isEmpty && $0.utf8.count <= Frame.maximumIDLength ? $0 : nil }
        return callError(id: usable ?? "-1", failure.error)
    }

    private mutating func call(id: String, action name: String, payload: JSONValue, now: Timestamp) -> Outcome {
        guard let action = V16.Action(rawValue: name) else {
            var outcome = callError(id: id, CallError(.notImplemented, "unknown action '\(name)'"))
            outcome.tally.unknownAction = true
            return outcome
        }
        var outcome = Outcome()
        outcome.tally.action = action
        outcome.tally.beforeBoot = action != .bootNotification && !bootAccepted
        do throws(CallError) {
            outcome.reply = try answer(id: id, action: action, payload: payload, now: now, tally: &outcome.tally)
        } catch {
            outcome.reply = Frame.encodeCallError(id: id, error: error)
            outcome.tally.callError = error.code
        }
        return outcome
    }

    /// The CALLRESULT for a CALL of a known action; throws the CALLERROR to send instead.
    private mutating func answer(id: String, action: V16.Action, payload: JSONValue, now: Timestamp,
                                 tally: inout Tally) throws(CallError) -> [UInt8] {
        let configuration = shared.configuration
        switch action {
        case .bootNotification:
            _ = try V16.BootNotificationRequest(json: payload)
            let status = configuration.bootStatus
            let accepted = status == .accepted
            if accepted {
                tally.bootAccepted = true
                if !bootAccepted { shared.registry.markBooted(chargePointId) }
                bootAccepted = true
            }
            return result(id, V16.BootNotificationResponse(
                status: status, currentTime: now,
                interval: accepted ? configuration.heartbeatInterval : configuration.bootRetryInterval))

        case .heartbeat:
            _ = try V16.HeartbeatRequest(json: payload)
            return result(id, V16.HeartbeatResponse(currentTime: now))

        case .authorize:
            let request = try V16.AuthorizeRequest(json: payload)
            return result(id, V16.AuthorizeResponse(idTagInfo: idTagInfo(request.idTag)))

        case .startTransaction:
            let request = try V16.StartTransactionRequest(json: payload)
            // A transaction id is due even when the idTag is refused; the charge point
            // then stops the transaction itself (OCPP 1.6 §4.8).
            let transactionId = shared.ledger.start(
                .init(chargePointId: chargePointId, connectorId: request.connectorId, meterStart: request.meterStart),
                key: .init(chargePointId: chargePointId, connectorId: request.connectorId, idTag: request.idTag,
                           meterStart: request.meterStart, timestamp: request.timestamp.microseconds))
            tally.transactionStarted = TransactionStart(connectorId: request.connectorId, transactionId: transactionId)
            return result(id, V16.StartTransactionResponse(idTagInfo: idTagInfo(request.idTag),
                                                           transactionId: transactionId))

        case .stopTransaction:
            let request = try V16.StopTransactionRequest(json: payload)
            tally.transactionStopped = request.transactionId
            if shared.ledger.stop(request.transactionId) == .unknown {
                // Still confirmed: a charge point must be able to drop the transaction
                // from its queue (OCPP 1.6 §4.10), but the stop is counted as a violation.
                tally.unknownTransactionStop = true
            }
            return result(id, V16.StopTransactionResponse(idTagInfo: request.idTag.map(idTagInfo)))

        case .meterValues:
            _ = try V16.MeterValuesRequest(json: payload)
            return result(id, V16.MeterValuesResponse())

        case .statusNotification:
            let request = try V16.StatusNotificationRequest(json: payload)
            tally.connectorStatus = ConnectorStatus(connectorId: request.connectorId, status: request.status)
            return result(id, V16.StatusNotificationResponse())

        case .dataTransfer:
            let request = try V16.DataTransferRequest(json: payload)
            let status: V16.DataTransferStatus = request.vendorId == configuration.vendorId ? .accepted : .unknownVendorId
            return result(id, V16.DataTransferResponse(status: status))

        case .diagnosticsStatusNotification, .firmwareStatusNotification, .logStatusNotification,
             .securityEventNotification, .signedFirmwareStatusNotification:
            // Notifications of the other profiles and the security extension: checked against
            // their schema and confirmed (their confirmations are empty).
            try validate(action, payload)
            return Frame.encodeCallResult(id: id, payload: Array("{}".utf8))

        case .signCertificate:
            // The embedded CSMS signs nothing itself: it accepts the request (whitepaper: the
            // CSMS forwards the CSR to its CA) and a scenario may answer with CertificateSigned.
            try validate(action, payload)
            return Frame.encodeCallResult(id: id, payload: Array(#"{"status":"Accepted"}"#.utf8))

        case .changeAvailability, .changeConfiguration, .clearCache, .getConfiguration,
             .remoteStartTransaction, .remoteStopTransaction, .reset, .unlockConnector, .getDiagnostics,
             .updateFirmware, .getLocalListVersion, .sendLocalList, .cancelReservation, .reserveNow,
             .clearChargingProfile, .getCompositeSchedule, .setChargingProfile, .triggerMessage,
             .certificateSigned, .deleteCertificate, .extendedTriggerMessage, .getInstalledCertificateIds,
             .getLog, .installCertificate, .signedUpdateFirmware:
            throw CallError(.notSupported, "\(action.rawValue) is sent by a central system, not to one")
        }
    }

    /// Decodes a request whose type the OCPP module models, with its schema's constraints.
    private func validate(_ action: V16.Action, _ payload: JSONValue) throws(CallError) {
        guard let types = action.payloadTypes else {
            throw CallError(.notSupported, "\(action.rawValue) is not supported by this central system")
        }
        _ = try types.request.init(json: payload)
    }

    private func idTagInfo(_ idTag: String) -> V16.IdTagInfo {
        V16.IdTagInfo(status: shared.configuration.idTagPolicy.status(for: idTag))
    }

    private func result<Response: OCPPPayload>(_ id: String, _ response: Response) -> [UInt8] {
        Frame.encodeCallResult(id: id, payload: response.encoded)
    }

    private func callError(id: String, _ error: CallError) -> Outcome {
        var outcome = Outcome(reply: Frame.encodeCallError(id: id, error: error))
        outcome.tally.callError = error.code
        return outcome
    }
}

extension LoopCounters.Counts {
    mutating func add(_ tally: ChargePointSession.Tally) {
        if let action = tally.action { calls[action, default: 0] += 1 }
        if tally.unknownAction { unknownActions += 1 }
        if let code = tally.callError { callErrors[code, default: 0] += 1 }
        if tally.bootAccepted { bootsAccepted += 1 }
        if tally.beforeBoot { messagesBeforeBoot += 1 }
        if tally.unknownTransactionStop { unknownTransactionStops += 1 }
        if tally.responseIgnored { responsesIgnored += 1 }
    }
}
