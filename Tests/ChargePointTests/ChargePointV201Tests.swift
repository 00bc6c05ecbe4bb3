@testable import ChargePoint
import OCPP
import Testing

@Suite("OCPP 2.0.1 charging station: provisioning and availability")
struct V201ProvisioningTests {
    @Test("A Pending or Rejected boot is retried after the interval the CSMS sent; Accepted starts heartbeats",
          arguments: [V201.RegistrationStatusEnum.pending, .rejected])
    func bootRetry(status: V201.RegistrationStatusEnum) throws {
        var csms = ScriptedCSMS201()
        csms.bootStatus = status
        csms.bootInterval = 120
        csms.connect()
        #expect(!csms.engine.isAccepted)
        csms.bootStatus = .accepted
        csms.advance(by: .seconds(119))
        #expect(csms.calls("BootNotification").count == 1)
        csms.advance(by: .seconds(1))
        let boots = try csms.decoded(V201.BootNotificationRequest.self)
        #expect(boots.count == 2)
        #expect(boots[0].reason == .powerUp && boots[0].chargingStation.vendorName == "ocpp-fleet")
        #expect(csms.engine.isAccepted)
        csms.advance(by: .seconds(120))
        #expect(csms.calls("Heartbeat").count == 1)
        #expect(csms.calls("Heartbeat")[0].at == ScriptedCSMS201.start + .seconds(240))
    }

    @Test("After the boot each EVSE reports its connector status once")
    func statusPerEVSE() throws {
        let csms = ScriptedCSMS201.booted(connectors: 3)
        let statuses = try csms.decoded(V201.StatusNotificationRequest.self)
        #expect(statuses.map(\.evseId) == [1, 2, 3])
        #expect(statuses.allSatisfy { $0.connectorStatus == .available && $0.connectorId == 1 })
    }

    @Test("ChangeAvailability makes an idle EVSE Unavailable at once, a busy one when its transaction ends")
    func changeAvailability() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        let busy = try csms.call(V201.ChangeAvailabilityRequest(evse: V201.EVSE(id: 1), operationalStatus: .inoperative))
        #expect(busy.status == .scheduled)
        let idle = try csms.call(V201.ChangeAvailabilityRequest(evse: V201.EVSE(id: 2), operationalStatus: .inoperative))
        #expect(idle.status == .accepted)
        #expect(csms.engine.connectorStatus(evse: 2) == .unavailable)
        #expect(csms.engine.connectorStatus(evse: 1) == .occupied)
        csms.present("TAG-1", on: 1)
        #expect(csms.engine.connectorStatus(evse: 1) == .unavailable)
    }

    @Test("Reset Immediate ends the transaction with ImmediateReset and reboots; the boot reason is RemoteReset")
    func resetImmediate() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(try csms.call(V201.ResetRequest(type: .immediate)).status == .accepted)
        #expect(csms.reboots.count == 1)
        let ended = try csms.decoded(V201.TransactionEventRequest.self).last
        #expect(ended?.eventType == .ended && ended?.transactionInfo.stoppedReason == .immediateReset)
        #expect(ended?.triggerReason == .resetCommand)
        csms.connect()
        #expect(try csms.decoded(V201.BootNotificationRequest.self).last?.reason == .remoteReset)
    }

    @Test("Reset OnIdle is Scheduled during a transaction and reboots when it ends")
    func resetOnIdle() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(try csms.call(V201.ResetRequest(type: .onIdle)).status == .scheduled)
        csms.advance(by: .seconds(10))
        #expect(csms.reboots.isEmpty)
        csms.unplug(1)
        csms.advance(by: .seconds(1))
        #expect(csms.reboots.count == 1)
    }
}

@Suite("OCPP 2.0.1 charging station: transactions")
struct V201TransactionTests {
    @Test("Plug, card, unplug: Started, Updated and Ended with increasing seqNo, trigger reasons and charging states")
    func session() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        #expect(csms.calls("TransactionEvent").isEmpty)  // TxStartPoint PowerPathClosed needs the card too
        csms.present("TAG-1", on: 1)
        #expect(csms.calls("Authorize").count == 1)
        csms.advance(by: .seconds(130))
        csms.unplug(1)
        let events = try csms.decoded(V201.TransactionEventRequest.self)
        #expect(events.map(\.eventType) == [.started, .updated, .updated, .ended])
        #expect(events.map(\.seqNo) == [0, 1, 2, 3])
        #expect(events.map(\.triggerReason) == [.authorized, .meterValuePeriodic, .meterValuePeriodic, .evCommunicationLost])
        #expect(events[0].transactionInfo.chargingState == .charging)
        #expect(events[0].idToken?.idToken == "TAG-1" && events[0].evse == V201.EVSE(id: 1, connectorId: 1))
        #expect(events[1].idToken == nil && events[1].evse == nil)
        #expect(Set(events.map(\.transactionInfo.transactionId)).count == 1)
        #expect(events[3].transactionInfo.stoppedReason == .evDisconnected)
        #expect(events.allSatisfy { $0.offline == nil })
        let begin = events[0].meterValue?.first?.sampledValue.first
        #expect(begin?.context == .transactionBegin && begin?.measurand == .energyActiveImportRegister)
        let end = try #require(events[3].meterValue?.first?.sampledValue.first)
        #expect(end.context == .transactionEnd)
        #expect(end.value > begin?.value ?? 0)  // 11 kW for 130 s
        #expect(csms.engine.openTransactions == 0)
    }

    @Test("TxStartPoint EVConnected starts at the cable; the card then updates the transaction with its IdToken")
    func startAtCable() throws {
        var csms = ScriptedCSMS201.booted(variables: [("TxCtrlr.TxStartPoint", "EVConnected")])
        csms.plugIn(2)
        csms.present("TAG-2", on: 2)
        let events = try csms.decoded(V201.TransactionEventRequest.self)
        #expect(events.map(\.eventType) == [.started, .updated])
        #expect(events[0].triggerReason == .cablePluggedIn && events[0].transactionInfo.chargingState == .evConnected)
        #expect(events[0].idToken == nil)
        #expect(events[1].triggerReason == .authorized && events[1].idToken?.idToken == "TAG-2")
        #expect(events[1].transactionInfo.chargingState == .charging)
    }

    @Test("The same card ends the transaction with StopAuthorized and reason Local")
    func stopByCard() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.present("TAG-1", on: 1)
        let ended = try #require(try csms.decoded(V201.TransactionEventRequest.self).last)
        #expect(ended.eventType == .ended && ended.triggerReason == .stopAuthorized)
        #expect(ended.transactionInfo.stoppedReason == .local)
    }

    @Test("A refused card starts nothing and the driver is told; the cache then answers without Authorize")
    func refusedCard() throws {
        var csms = ScriptedCSMS201.booted()
        csms.tokens["BAD"] = .blocked
        csms.plugIn(1)
        csms.present("BAD", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.present("BAD", on: 1)
        #expect(csms.calls("Authorize").count == 2)  // a refused token is asked again
        csms.present("GOOD", on: 2)
        csms.plugIn(2)
        csms.present("GOOD", on: 2)  // ends it
        csms.plugIn(1)
        csms.unplug(2)
        csms.present("GOOD", on: 1)
        #expect(csms.calls("Authorize").count == 3, "the cached Accepted token needs no Authorize")
    }

    @Test("A token the CSMS refuses in the TransactionEvent answer ends the transaction (StopTxOnInvalidId)")
    func invalidTokenStops() throws {
        var csms = ScriptedCSMS201.booted()
        let entry = V201.AuthorizationData(idToken: V201.IdToken(idToken: "STALE", type: .iso14443),
                                           idTokenInfo: V201.IdTokenInfo(status: .accepted))
        _ = try csms.call(V201.SendLocalListRequest(localAuthorizationList: [entry], versionNumber: 1, updateType: .full))
        csms.tokens["STALE"] = .invalid
        csms.plugIn(1)
        csms.present("STALE", on: 1)
        let events = try csms.decoded(V201.TransactionEventRequest.self)
        #expect(events.map(\.eventType) == [.started, .ended])
        #expect(events.last?.triggerReason == .deauthorized && events.last?.transactionInfo.stoppedReason == .deAuthorized)
        #expect(csms.events.contains(.sessionEndedByCSMS(connector: 1)))
    }

    @Test("Offline, a cached card still starts a transaction (LocalAuthorizeOffline); ClearCache forgets it")
    func offlineCacheAndClearCache() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("CACHED", on: 1)
        csms.present("CACHED", on: 1)
        csms.unplug(1)
        csms.disconnect()
        csms.plugIn(2)
        csms.present("CACHED", on: 2)
        #expect(csms.engine.openTransactions == 1)
        csms.present("STRANGER", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.connect()
        let started = try #require(try csms.decoded(V201.TransactionEventRequest.self).last)
        #expect(started.eventType == .started && started.offline == true && started.idToken?.idToken == "CACHED")
        csms.present("CACHED", on: 2)
        #expect(try csms.call(V201.ClearCacheRequest()).status == .accepted)
        let authorizes = csms.calls("Authorize").count
        csms.unplug(2)
        csms.plugIn(1)
        csms.present("CACHED", on: 1)
        #expect(csms.calls("Authorize").count == authorizes + 1)
    }

    @Test("Offline: events queue with offline true and go out in order after reconnecting, none lost or doubled")
    func offline() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.disconnect()
        csms.advance(by: .seconds(200))
        csms.unplug(1)
        #expect(csms.engine.pendingTransactionMessages == 4)
        csms.connect()
        let events = try csms.decoded(V201.TransactionEventRequest.self)
        #expect(events.map(\.seqNo) == [0, 1, 2, 3, 4])
        #expect(events.map { $0.offline ?? false } == [false, true, true, true, true])
        #expect(events.last?.eventType == .ended)
        #expect(csms.engine.pendingTransactionMessages == 0)
        #expect(csms.events.filter { if case .transactionStopped = $0 { true } else { false } }.count == 1)
        // Counted for the report as in 1.6: the four events made offline, none replayed.
        #expect(csms.events.filter { $0 == .transactionMessageQueuedOffline(action: "TransactionEvent") }.count == 4)
        #expect(!csms.events.contains { if case .transactionMessageReplayed = $0 { true } else { false } })
    }

    @Test("A TransactionEvent answered with a CALLERROR is retried MessageAttempts times, then dropped and counted")
    func retries() throws {
        var csms = ScriptedCSMS201.booted(variables: [("OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]", "10")])
        csms.failing["TransactionEvent"] = "InternalError"
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(29))
        #expect(csms.calls("TransactionEvent").count == 2)  // at 0 and 10
        csms.advance(by: .seconds(1))
        #expect(csms.calls("TransactionEvent").count == 3)  // at 30 = 10 + 2 × 10
        #expect(csms.events.contains(.transactionMessageDropped(action: "TransactionEvent", reason: .attemptsExhausted)))
    }

    @Test("RequestStartTransaction authorizes the EVSE and asks the driver to plug in; RequestStopTransaction ends it")
    func remoteStartStop() throws {
        var csms = ScriptedCSMS201.booted()
        let start = try csms.call(V201.RequestStartTransactionRequest(
            evseId: 2, idToken: V201.IdToken(idToken: "APP-7", type: .central), remoteStartId: 77))
        #expect(start.status == .accepted)
        #expect(csms.events.contains(.remoteStartAccepted(connector: 2)))
        csms.plugIn(2)
        let started = try #require(try csms.decoded(V201.TransactionEventRequest.self).first)
        #expect(started.transactionInfo.remoteStartId == 77 && started.idToken?.type == .central)
        let id = try #require(csms.engine.transactionId(evse: 2))
        #expect(try csms.call(V201.RequestStopTransactionRequest(transactionId: "nope")).status == .rejected)
        #expect(try csms.call(V201.RequestStopTransactionRequest(transactionId: id)).status == .accepted)
        let ended = try #require(try csms.decoded(V201.TransactionEventRequest.self).last)
        #expect(ended.triggerReason == .remoteStop && ended.transactionInfo.stoppedReason == .remote)
        #expect(csms.events.contains(.sessionEndedByCSMS(connector: 2)))
    }

    @Test("A remote start without a cable lapses after EVConnectionTimeOut")
    func remoteStartTimeout() throws {
        var csms = ScriptedCSMS201.booted(variables: [("TxCtrlr.EVConnectionTimeOut", "45")])
        _ = try csms.call(V201.RequestStartTransactionRequest(idToken: V201.IdToken(idToken: "APP", type: .central), remoteStartId: 1))
        csms.advance(by: .seconds(45))
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.plugIn(1)
        #expect(csms.calls("TransactionEvent").isEmpty)
    }

    @Test("GetTransactionStatus tells an ongoing transaction and messages still queued")
    func transactionStatus() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        let id = try #require(csms.engine.transactionId(evse: 1))
        let status = try csms.call(V201.GetTransactionStatusRequest(transactionId: id))
        #expect(status.ongoingIndicator == true && status.messagesInQueue == false)
    }

    @Test("Clock-aligned readings go in TransactionEvent (MeterValueClock) during a transaction, in MeterValues otherwise")
    func alignedReadings() throws {
        var csms = ScriptedCSMS201.booted(variables: [("AlignedDataCtrlr.Interval", "900"), ("SampledDataCtrlr.TxUpdatedInterval", "0")])
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(900))
        let clock = try csms.decoded(V201.TransactionEventRequest.self).filter { $0.triggerReason == .meterValueClock }
        #expect(clock.count == 1)
        #expect(clock.first?.meterValue?.first?.sampledValue.first?.context == .sampleClock)
        let idle = try csms.decoded(V201.MeterValuesRequest.self)
        #expect(idle.map(\.evseId) == [2])
        #expect((idle.first?.meterValue.first?.timestamp.microseconds ?? 1) % 900_000_000 == 0)
    }
}

@Suite("OCPP 2.0.1 charging station: device model and remote operations")
struct V201DeviceModelTests {
    @Test("GetVariables reads values, tells unknown components and variables apart, never reveals WriteOnly ones")
    func getVariables() throws {
        var csms = ScriptedCSMS201.booted()
        func data(_ component: String, _ variable: String, evse: Int? = nil, instance: String? = nil,
                  attribute: V201.AttributeEnum? = nil) -> V201.GetVariableData {
            V201.GetVariableData(attributeType: attribute, component: V201.Component(evse: evse.map { V201.EVSE(id: $0) }, name: component),
                                 variable: V201.Variable(name: variable, instance: instance))
        }
        let response = try csms.call(V201.GetVariablesRequest(getVariableData: [
            data("OCPPCommCtrlr", "HeartbeatInterval"), data("Nope", "X"), data("TxCtrlr", "Nope"),
            data("SecurityCtrlr", "BasicAuthPassword"), data("EVSE", "AvailabilityState", evse: 2),
            data("OCPPCommCtrlr", "HeartbeatInterval", attribute: .target),
            data("DeviceDataCtrlr", "ItemsPerMessage", instance: "GetReport"),
        ]))
        let results = response.getVariableResult
        #expect(results.map(\.attributeStatus) == [.accepted, .unknownComponent, .unknownVariable, .rejected, .accepted,
                                                   .notSupportedAttributeType, .accepted])
        #expect(results[0].attributeValue == "300")
        #expect(results[3].attributeValue == nil)
        #expect(results[4].attributeValue == "Available")
        #expect(results[6].attributeValue == "20")
    }

    @Test("SetVariables checks mutability and type, applies at once: a new HeartbeatInterval re-arms the heartbeat")
    func setVariables() throws {
        var csms = ScriptedCSMS201.booted()
        func data(_ component: String, _ variable: String, _ value: String) -> V201.SetVariableData {
            V201.SetVariableData(attributeValue: value, component: V201.Component(name: component), variable: V201.Variable(name: variable))
        }
        let response = try csms.call(V201.SetVariablesRequest(setVariableData: [
            data("OCPPCommCtrlr", "HeartbeatInterval", "60"), data("OCPPCommCtrlr", "HeartbeatInterval", "soon"),
            data("TxCtrlr", "StopTxOnEVSideDisconnect", "false"), data("TxCtrlr", "TxStartPoint", "Authorized,Teleport"),
            data("AuthCtrlr", "AuthorizeRemoteStart", "true"), data("Ghost", "Enabled", "true"),
        ]))
        #expect(response.setVariableResult.map(\.attributeStatus) == [.accepted, .rejected, .rejected, .rejected, .accepted, .unknownComponent])
        csms.advance(by: .seconds(60))
        #expect(csms.calls("Heartbeat").count == 1)
    }

    @Test("GetBaseReport FullInventory: Accepted, then NotifyReport parts of ItemsPerMessage with seqNo and tbc")
    func baseReport() throws {
        var csms = ScriptedCSMS201.booted()
        #expect(try csms.call(V201.GetBaseReportRequest(requestId: 9, reportBase: .fullInventory)).status == .accepted)
        csms.advance(by: .seconds(1))
        let parts = try csms.decoded(V201.NotifyReportRequest.self)
        #expect(parts.count >= 3)
        #expect(parts.map(\.seqNo) == Array(0..<parts.count))
        #expect(parts.dropLast().allSatisfy { $0.tbc == true && $0.reportData?.count == 20 } && parts.last?.tbc == false)
        #expect(parts.allSatisfy { $0.requestId == 9 })
        let all = parts.flatMap { $0.reportData ?? [] }
        let password = all.first { $0.variable.name == "BasicAuthPassword" }
        #expect(password?.variableAttribute.first?.value == nil && password?.variableAttribute.first?.mutability == .writeOnly)
        #expect(all.contains { $0.component.name == "EVSE" && $0.component.evse?.id == 2 })
    }

    @Test("GetReport filters by component and variable; nothing matching is EmptyResultSet")
    func report() throws {
        var csms = ScriptedCSMS201.booted()
        let none = try csms.call(V201.GetReportRequest(componentVariable: [V201.ComponentVariable(component: V201.Component(name: "Ghost"))], requestId: 1))
        #expect(none.status == .emptyResultSet)
        let tx = try csms.call(V201.GetReportRequest(componentVariable: [V201.ComponentVariable(component: V201.Component(name: "TxCtrlr"))], requestId: 2))
        #expect(tx.status == .accepted)
        csms.advance(by: .seconds(1))
        let parts = try csms.decoded(V201.NotifyReportRequest.self)
        #expect(parts.count == 1 && parts[0].reportData?.allSatisfy { $0.component.name == "TxCtrlr" } == true)
    }

    @Test("A Delta monitor on a connector's AvailabilityState sends NotifyEvent when it changes")
    func monitoring() throws {
        var csms = ScriptedCSMS201.booted()
        let set = try csms.call(V201.SetVariableMonitoringRequest(setMonitoringData: [
            V201.SetMonitoringData(value: 0, type: .delta, severity: 5,
                                   component: V201.Component(evse: V201.EVSE(id: 1), name: "EVSE"),
                                   variable: V201.Variable(name: "AvailabilityState")),
            V201.SetMonitoringData(value: 10, type: .upperThreshold, severity: 5,
                                   component: V201.Component(name: "TxCtrlr"), variable: V201.Variable(name: "TxStartPoint")),
        ]))
        #expect(set.setMonitoringResult.map(\.status) == [.accepted, .rejected])
        csms.plugIn(1)
        let events = try csms.decoded(V201.NotifyEventRequest.self)
        #expect(events.count == 1 && events[0].eventData.first?.actualValue == "Occupied")
        #expect(events[0].eventData.first?.variableMonitoringId == set.setMonitoringResult[0].id)
        let cleared = try csms.call(V201.ClearVariableMonitoringRequest(id: [set.setMonitoringResult[0].id ?? -1, 999]))
        #expect(cleared.clearMonitoringResult.map(\.status) == [.accepted, .notFound])
    }

    @Test("A fault makes the connector Faulted and sends a NotifyEvent with the 1.6 error code as techCode")
    func fault() throws {
        var csms = ScriptedCSMS201.booted()
        csms.input { $0.setFault(.groundFailure, connector: 2, now: $1, into: &$2) }
        #expect(csms.engine.connectorStatus(evse: 2) == .faulted)
        #expect(try csms.decoded(V201.StatusNotificationRequest.self).last?.connectorStatus == .faulted)
        let event = try #require(try csms.decoded(V201.NotifyEventRequest.self).last?.eventData.first)
        #expect(event.techCode == "GroundFailure" && event.eventNotificationType == .hardWiredNotification)
    }

    @Test("TriggerMessage: StatusNotification of an EVSE, a Heartbeat; BootNotification refused once Accepted")
    func triggers() throws {
        var csms = ScriptedCSMS201.booted()
        let before = csms.calls("StatusNotification").count
        #expect(try csms.call(V201.TriggerMessageRequest(evse: V201.EVSE(id: 2, connectorId: 1), requestedMessage: .statusNotification)).status == .accepted)
        #expect(csms.calls("StatusNotification").count == before + 1)
        #expect(try csms.call(V201.TriggerMessageRequest(requestedMessage: .heartbeat)).status == .accepted)
        #expect(csms.calls("Heartbeat").count == 1)
        #expect(try csms.call(V201.TriggerMessageRequest(requestedMessage: .bootNotification)).status == .rejected)
        #expect(try csms.call(V201.TriggerMessageRequest(requestedMessage: .signV2GCertificate)).status == .notImplemented)
        #expect(try csms.call(V201.TriggerMessageRequest(requestedMessage: .transactionEvent)).status == .rejected)
    }

    @Test("UnlockConnector: Unlocked when idle, refused during a transaction, UnknownConnector otherwise")
    func unlock() throws {
        var csms = ScriptedCSMS201.booted()
        #expect(try csms.call(V201.UnlockConnectorRequest(evseId: 1, connectorId: 1)).status == .unlocked)
        #expect(try csms.call(V201.UnlockConnectorRequest(evseId: 9, connectorId: 1)).status == .unknownConnector)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(try csms.call(V201.UnlockConnectorRequest(evseId: 1, connectorId: 1)).status == .ongoingAuthorizedTransaction)
    }

    @Test("SendLocalList and GetLocalListVersion; a listed token authorizes without Authorize")
    func localList() throws {
        var csms = ScriptedCSMS201.booted()
        let entry = V201.AuthorizationData(idToken: V201.IdToken(idToken: "LISTED", type: .iso14443),
                                           idTokenInfo: V201.IdTokenInfo(status: .accepted))
        #expect(try csms.call(V201.SendLocalListRequest(localAuthorizationList: [entry], versionNumber: 3, updateType: .full)).status == .accepted)
        #expect(try csms.call(V201.SendLocalListRequest(versionNumber: 2, updateType: .differential)).status == .versionMismatch)
        #expect(try csms.call(V201.GetLocalListVersionRequest()).versionNumber == 3)
        csms.plugIn(1)
        csms.present("LISTED", on: 1)
        #expect(csms.calls("Authorize").isEmpty)
        #expect(csms.engine.openTransactions == 1)
    }

    @Test("GetLog: Accepted with a file name, then LogStatusNotification Uploading and Uploaded")
    func getLog() throws {
        var csms = ScriptedCSMS201.booted()
        let response = try csms.call(V201.GetLogRequest(log: V201.LogParameters(remoteLocation: "ftp://127.0.0.1/logs"),
                                                        logType: .diagnosticsLog, requestId: 4))
        #expect(response.status == .accepted && response.filename != nil)
        csms.advance(by: .seconds(10))
        #expect(try csms.decoded(V201.LogStatusNotificationRequest.self).map(\.status) == [.uploading, .uploaded])
    }

    @Test("CustomerInformation with report: Accepted, then NotifyCustomerInformation with the requestId")
    func customerInformation() throws {
        var csms = ScriptedCSMS201.booted()
        let response = try csms.call(V201.CustomerInformationRequest(idToken: V201.IdToken(idToken: "TAG", type: .iso14443),
                                                                     requestId: 12, report: true, clear: true))
        #expect(response.status == .accepted)
        csms.advance(by: .seconds(1))
        #expect(try csms.decoded(V201.NotifyCustomerInformationRequest.self).map(\.requestId) == [12])
    }

    @Test("CALLERRORs speak 2.0.1: NotImplemented, NotSupported, FormatViolation, OccurrenceConstraintViolation, RpcFrameworkError",
          arguments: [
              (#"[2,"x1","Teleport",{}]"#, "NotImplemented"),
              (#"[2,"x1","SetDisplayMessage",{}]"#, "NotSupported"),
              (#"[2,"x1","CostUpdated",{"totalCost":1,"transactionId":"t"}]"#, "NotSupported"),
              (#"[2,"x1","ReserveNow",{}]"#, "OccurrenceConstraintViolation"),
              (#"[2,"x1","Reset",{"type":"Immediate","extra":1}]"#, "FormatViolation"),
              (#"[2,"x1","Reset",{}]"#, "OccurrenceConstraintViolation"),
              (#"[2,"x1","Reset",{"type":"Sometime"}]"#, "PropertyConstraintViolation"),
              (#"[2,"x1","Reset",{"type":7}]"#, "TypeConstraintViolation"),
              (#"[2,"x1","Reset"]"#, "RpcFrameworkError"),
              (#"[9,"x1",{}]"#, "MessageTypeNotSupported"),
          ])
    func callErrors(text: String, code: String) {
        var csms = ScriptedCSMS201.booted()
        let answers = csms.sendRaw(Array(text.utf8))
        guard case .callError(let id, let answered, _, _)? = answers.first else {
            Issue.record("no CALLERROR for \(text): \(answers)")
            return
        }
        #expect(id == "x1")
        #expect(answered == code)
    }
}

@Suite("OCPP 2.0.1 charging station: memory")
struct V201MemoryTests {
    /// Inline struct plus its per-EVSE array (the rest is empty arrays, nil boxes and the shared
    /// device model): 618 + 2 × 152 = 922 bytes on x86_64 at this commit (the 1.6 engine: ≈ 1.2 KiB
    /// by mallinfo2 in benchmarks/). Tokens and the transaction are boxed: 344 bytes per EVSE before.
    @Test("An idle two-EVSE engine holds under 1 KiB and no copy of the device model")
    func idleSize() {
        var csms = ScriptedCSMS201.booted()
        csms.advance(by: .seconds(600))
        let inline = MemoryLayout<ChargePointV201>.size
        let perEVSE = MemoryLayout<ChargePointV201.EVSEState>.stride
        #expect(inline + 2 * perEVSE <= 960, "\(inline) bytes inline + 2 × \(perEVSE) per EVSE")
        #expect(csms.engine.changedDeviceModelValues == 0)
        #expect(csms.engine.queue.count == 0 && csms.engine.monitors.isEmpty && csms.engine.jobs.isEmpty)
    }
}
