import ChargePoint
import OCPP
import Testing

@Suite("CALLs from the Central System (OCPP 1.6 Core §5)")
struct IncomingCallTests {
    // MARK: ChangeAvailability

    @Test("ChangeAvailability Inoperative on an idle connector is Accepted and reported Unavailable")
    func changeAvailabilityIdle() throws {
        var csms = ScriptedCSMS.booted()
        let answer = try csms.call(V16.ChangeAvailabilityRequest(connectorId: 2, type: .inoperative))
        #expect(answer.status == .accepted)
        #expect(try csms.statuses(2) == [.available, .unavailable])
        #expect(try csms.statuses(1) == [.available])

        // An unavailable connector refuses a card.
        csms.plugIn(2)
        csms.present("TAG-1", on: 2)
        #expect(csms.events.contains(.authorizationFailed(connector: 2)))
        #expect(csms.calls(.authorize).isEmpty)
        #expect(csms.engine.status(ofConnector: 2) == .unavailable)

        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 2, type: .operative)).status == .accepted)
        #expect(try csms.statuses(2) == [.available, .unavailable, .preparing])
    }

    @Test("ChangeAvailability during a transaction is Scheduled and applied when the transaction ends")
    func changeAvailabilityScheduled() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        let answer = try csms.call(V16.ChangeAvailabilityRequest(connectorId: 1, type: .inoperative))
        #expect(answer.status == .scheduled)
        #expect(csms.engine.status(ofConnector: 1) == .charging)
        csms.advance(by: .seconds(600))
        csms.present("TAG-1", on: 1)
        #expect(try csms.decoded(V16.StopTransactionRequest.self).count == 1)
        #expect(csms.engine.status(ofConnector: 1) == .unavailable)
        #expect(try csms.statuses(1).last == .unavailable)
        csms.unplug(1)
        #expect(csms.engine.status(ofConnector: 1) == .unavailable)
    }

    @Test("A connector made Inoperative while a card waits for the cable does not start when the EV plugs in")
    func changeAvailabilityAfterAuthorization() throws {
        var csms = ScriptedCSMS.booted()
        csms.present("TAG-1", on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .preparing)
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)).status == .accepted)
        csms.plugIn(1)
        #expect(csms.calls(.startTransaction).isEmpty)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        #expect(csms.engine.status(ofConnector: 1) == .unavailable)
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 1, type: .operative)).status == .accepted)
        #expect(csms.engine.status(ofConnector: 1) == .preparing)
        #expect(csms.calls(.startTransaction).isEmpty)
    }

    @Test("An Authorize answered after the connector became Inoperative starts nothing")
    func authorizeAnsweredAfterInoperative() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["Authorize"] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        let authorize = try #require(csms.held.first)
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)).status == .accepted)
        csms.answer(authorize, with: .conf(V16.AuthorizeResponse(idTagInfo: V16.IdTagInfo(status: .accepted))))
        #expect(csms.calls(.startTransaction).isEmpty)
        #expect(csms.engine.status(ofConnector: 1) == .unavailable)
    }

    @Test("ChangeAvailability for connector 0 affects the whole charge point")
    func changeAvailabilityWholeChargePoint() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 0, type: .inoperative)).status == .accepted)
        #expect((0...2).map { csms.engine.status(ofConnector: $0) } == [.unavailable, .unavailable, .unavailable])
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 0, type: .operative)).status == .accepted)
        #expect((0...2).map { csms.engine.status(ofConnector: $0) } == [.available, .available, .available])
        #expect(try csms.statuses(0) == [.available, .unavailable, .available])
    }

    @Test("ChangeAvailability for a connector that does not exist is Rejected", arguments: [3, 99, -1])
    func changeAvailabilityBadConnector(connector: Int) throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: connector, type: .inoperative)).status == .rejected)
        #expect(csms.calls.count == 4)  // boot and 3 statuses, nothing more
    }

    // MARK: configuration

    @Test("ChangeConfiguration answers Accepted, Rejected or NotSupported", arguments: [
        ("HeartbeatInterval", "60", V16.ConfigurationStatus.accepted),
        ("heartbeatinterval", "61", .accepted),
        ("MeterValuesSampledData", "Energy.Active.Import.Register, SoC", .accepted),
        ("AuthorizeRemoteTxRequests", "TRUE", .accepted),
        ("NumberOfConnectors", "4", .rejected),
        ("SupportedFeatureProfiles", "Core,SmartCharging", .rejected),
        ("HeartbeatInterval", "often", .rejected),
        ("HeartbeatInterval", "-5", .rejected),
        ("ConnectionTimeOut", "0", .rejected),
        ("LocalPreAuthorize", "yes", .rejected),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,RPM", .rejected),
        ("MeterValuesSampledData", "Bogus", .rejected),
        ("NoSuchKey", "1", .notSupported),
    ])
    func changeConfiguration(key: String, value: String, expected: V16.ConfigurationStatus) throws {
        var csms = ScriptedCSMS.booted()
        let before = csms.engine.configuration
        let answer = try csms.call(V16.ChangeConfigurationRequest(key: key, value: value))
        #expect(answer.status == expected)
        let report = try csms.call(V16.GetConfigurationRequest(key: [key]))
        switch expected {
        case .accepted:
            #expect(report.configurationKey?.first?.value?.lowercased() == value.lowercased().replacing(" ", with: ""))
        case .rejected:
            #expect(csms.engine.configuration == before)
        case .notSupported:
            #expect(report.unknownKey == [key])
        case .rebootRequired:
            Issue.record("no key needs a reboot")
        }
    }

    @Test("GetConfiguration without keys lists every key with its readonly flag")
    func getConfigurationAll() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MeterValueSampleInterval", "15")], heartbeat: 90)
        let report = try csms.call(V16.GetConfigurationRequest())
        let keys = try #require(report.configurationKey)
        #expect(report.unknownKey == nil)
        #expect(keys.map(\.key) == Configuration.keys.map(\.name))
        #expect(keys.count == Configuration.keys.count)
        #expect(Set(keys.map(\.key)).count == keys.count)
        func entry(_ name: String) -> V16.KeyValue? { keys.first { $0.key == name } }
        #expect(entry("HeartbeatInterval") == V16.KeyValue(key: "HeartbeatInterval", readonly: false, value: "90"))
        #expect(entry("MeterValueSampleInterval")?.value == "15")
        #expect(entry("NumberOfConnectors") == V16.KeyValue(key: "NumberOfConnectors", readonly: true, value: "2"))
        #expect(entry("SupportedFeatureProfiles") == V16.KeyValue(key: "SupportedFeatureProfiles", readonly: true, value: "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"))
        #expect(entry("ConnectorPhaseRotation")?.readonly == true)
        #expect(entry("MeterValuesSampledData")?.value == "Energy.Active.Import.Register,Power.Active.Import")
        for key in ["AllowOfflineTxForUnknownId", "AuthorizationCacheEnabled", "AuthorizeRemoteTxRequests",
                    "ClockAlignedDataInterval", "ConnectionTimeOut", "LocalAuthorizeOffline", "LocalPreAuthorize",
                    "MeterValuesAlignedData", "ResetRetries", "StopTransactionOnEVSideDisconnect",
                    "StopTransactionOnInvalidId", "StopTxnAlignedData", "StopTxnSampledData",
                    "TransactionMessageAttempts", "TransactionMessageRetryInterval",
                    "UnlockConnectorOnEVSideDisconnect"] {
            #expect(entry(key)?.readonly == false, "\(key)")
        }
        for key in ["GetConfigurationMaxKeys", "MeterValuesAlignedDataMaxLength", "MeterValuesSampledDataMaxLength",
                    "StopTxnAlignedDataMaxLength", "StopTxnSampledDataMaxLength"] {
            #expect(entry(key)?.readonly == true, "\(key)")
        }
        // An empty key list also means every key.
        #expect(try csms.call(V16.GetConfigurationRequest(key: [])).configurationKey?.count == Configuration.keys.count)
    }

    @Test("GetConfiguration with keys answers those, and lists the ones it does not know")
    func getConfigurationSelected() throws {
        var csms = ScriptedCSMS.booted()
        let report = try csms.call(V16.GetConfigurationRequest(key: ["NumberOfConnectors", "FooBar", "heartbeatInterval"]))
        #expect(report.configurationKey == [V16.KeyValue(key: "NumberOfConnectors", readonly: true, value: "2"),
                                            V16.KeyValue(key: "HeartbeatInterval", readonly: false, value: "300")])
        #expect(report.unknownKey == ["FooBar"])
        let unknown = try csms.call(V16.GetConfigurationRequest(key: ["Nope"]))
        #expect(unknown.configurationKey == nil)
        #expect(unknown.unknownKey == ["Nope"])
    }

    // MARK: ClearCache

    @Test("ClearCache empties the authorization cache, so the next card is authorized online again")
    func clearCache() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalPreAuthorize", "true")])
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.present("TAG-1", on: 1)
        csms.unplug(1)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)  // cached Accepted: starts without Authorize
        #expect(csms.calls(.authorize).count == 1)
        #expect(csms.calls(.startTransaction).count == 2)
        csms.present("TAG-1", on: 1)
        csms.unplug(1)

        #expect(try csms.call(V16.ClearCacheRequest()).status == .accepted)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.calls(.authorize).count == 2)
        #expect(csms.calls(.startTransaction).count == 3)
    }

    // MARK: remote start and stop

    @Test("RemoteStartTransaction on a given connector is Accepted and starts when the EV plugs in")
    func remoteStartConnector() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "REMOTE")).status == .accepted)
        #expect(csms.events.contains(.remoteStartAccepted(connector: 2)))
        #expect(csms.engine.status(ofConnector: 2) == .preparing)
        #expect(csms.calls(.authorize).isEmpty)  // AuthorizeRemoteTxRequests is false
        csms.plugIn(2)
        let start = try #require(try csms.decoded(V16.StartTransactionRequest.self).first)
        #expect(start.connectorId == 2)
        #expect(start.idTag == "REMOTE")
        // The connector is busy now.
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "OTHER")).status == .rejected)
    }

    @Test("RemoteStartTransaction without a connector picks the one with an EV plugged in")
    func remoteStartAnyConnector() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(2)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(idTag: "REMOTE")).status == .accepted)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.connectorId) == [2])
        #expect(!csms.events.contains(.remoteStartAccepted(connector: 2)))
        // Connector 1 is still free.
        #expect(try csms.call(V16.RemoteStartTransactionRequest(idTag: "REMOTE-2")).status == .accepted)
        #expect(csms.events.contains(.remoteStartAccepted(connector: 1)))
        // Now both are taken.
        #expect(try csms.call(V16.RemoteStartTransactionRequest(idTag: "REMOTE-3")).status == .rejected)
    }

    @Test("RemoteStartTransaction is Rejected for a connector that does not exist or is unavailable")
    func remoteStartRejected() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 0, idTag: "REMOTE")).status == .rejected)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 7, idTag: "REMOTE")).status == .rejected)
        _ = try csms.call(V16.ChangeAvailabilityRequest(connectorId: 1, type: .inoperative))
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE")).status == .rejected)
        let profile = V16.ChargingProfile(chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: .txDefaultProfile,
                                          chargingProfileKind: .relative,
                                          chargingSchedule: V16.ChargingSchedule(chargingRateUnit: .a, chargingSchedulePeriod: [
                                              V16.ChargingSchedulePeriod(startPeriod: 0, limit: 16),
                                          ]))
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "REMOTE",
                                                                chargingProfile: profile)).status == .rejected)
        #expect(csms.calls(.authorize).isEmpty && csms.calls(.startTransaction).isEmpty)
    }

    @Test("RemoteStartTransaction is Rejected while the registration is Pending (OCPP 1.6 §4.2.1)")
    func remoteStartWhilePending() throws {
        var csms = ScriptedCSMS()
        csms.bootStatus = .pending
        csms.connect()
        csms.plugIn(1)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE")).status == .rejected)
        #expect(!csms.engine.hasTransaction(connector: 1))
        // Configuration may be read and changed while Pending.
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "HeartbeatInterval", value: "60")).status == .accepted)
    }

    @Test("With AuthorizeRemoteTxRequests a remote start authorizes the idTag first")
    func remoteStartAuthorizes() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AuthorizeRemoteTxRequests", "true")])
        csms.plugIn(1)
        csms.tags["REMOTE-BAD"] = .blocked
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE-BAD")).status == .accepted)
        #expect(csms.calls(.authorize).count == 1)
        #expect(csms.calls(.startTransaction).isEmpty)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE")).status == .accepted)
        #expect(try csms.decoded(V16.AuthorizeRequest.self).map(\.idTag) == ["REMOTE-BAD", "REMOTE"])
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.idTag) == ["REMOTE"])
    }

    @Test("RemoteStopTransaction stops a known transaction with reason Remote and rejects an unknown one")
    func remoteStop() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(try csms.call(V16.RemoteStopTransactionRequest(transactionId: 4242)).status == .rejected)
        #expect(csms.calls(.stopTransaction).isEmpty)
        #expect(try csms.call(V16.RemoteStopTransactionRequest(transactionId: 1000)).status == .accepted)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .remote)
        #expect(stop.transactionId == 1000)
        #expect(csms.events.contains(.sessionEndedByCSMS(connector: 1)))
        #expect(csms.engine.status(ofConnector: 1) == .finishing)
        #expect(try csms.call(V16.RemoteStopTransactionRequest(transactionId: 1000)).status == .rejected)
    }

    // MARK: UnlockConnector

    @Test("UnlockConnector ends the session on that connector with reason UnlockCommand")
    func unlockConnector() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(2)
        csms.present("TAG-1", on: 2)
        #expect(try csms.call(V16.UnlockConnectorRequest(connectorId: 2)).status == .unlocked)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .unlockCommand)
        #expect(stop.idTag == nil, "no card stopped it")
        #expect(csms.events.contains(.sessionEndedByCSMS(connector: 2)))
        #expect(try csms.call(V16.UnlockConnectorRequest(connectorId: 1)).status == .unlocked)
        #expect(csms.calls(.stopTransaction).count == 1)
        #expect(try csms.call(V16.UnlockConnectorRequest(connectorId: 3)).status == .unlockFailed)
        #expect(try csms.call(V16.UnlockConnectorRequest(connectorId: 0)).status == .unlockFailed)
    }

    // MARK: DataTransfer

    @Test("DataTransfer answers per vendor and message id", arguments: [
        ("ocpp-fleet", "Echo", "hello", V16.DataTransferStatus.accepted, "hello"),
        ("ocpp-fleet", nil, nil, .accepted, nil),
        ("com.example", "Echo", "hello", .unknownVendorId, nil),
        ("ocpp-fleet", "SetPrice", "1.23", .unknownMessageId, nil),
    ] as [(String, String?, String?, V16.DataTransferStatus, String?)])
    func dataTransfer(vendor: String, message: String?, data: String?, status: V16.DataTransferStatus, echo: String?) throws {
        var csms = ScriptedCSMS.booted()
        let answer = try csms.call(V16.DataTransferRequest(vendorId: vendor, messageId: message, data: data))
        #expect(answer.status == status)
        #expect(answer.data == echo)
    }

    // MARK: actions the engine does not serve

    @Test("An unknown action is answered with CALLERROR NotImplemented")
    func unknownAction() throws {
        var csms = ScriptedCSMS.booted()
        let answer = csms.send("MakeCoffee", .object([("sugar", .integer(2))]))
        guard case .callError(let id, let code, _, let details)? = answer else {
            Issue.record("expected a CALLERROR, got \(String(describing: answer))")
            return
        }
        #expect(id == "cs-1")
        #expect(code == "NotImplemented")
        #expect(details == .object([]))
        #expect(csms.events.contains(.incoming(action: "MakeCoffee", errorCode: "NotImplemented")))
    }

    @Test("A known action outside the Core profile is answered with CALLERROR NotSupported",
          arguments: V16.Action.allCases.filter { !$0.isCore && !$0.initiatedByChargePoint }.filter {
              ![.updateFirmware, .getDiagnostics, .getLog, .signedUpdateFirmware, .triggerMessage,
                .extendedTriggerMessage, .setChargingProfile, .clearChargingProfile, .getCompositeSchedule,
                .sendLocalList, .getLocalListVersion, .reserveNow, .cancelReservation,
                .certificateSigned, .deleteCertificate, .getInstalledCertificateIds, .installCertificate].contains($0)
          })
    func notSupported(action: V16.Action) throws {
        var csms = ScriptedCSMS.booted()
        let answer = csms.send(action.rawValue, .object([]))
        guard case .callError(_, let code, _, _)? = answer else {
            Issue.record("expected a CALLERROR, got \(String(describing: answer))")
            return
        }
        #expect(code == "NotSupported")
    }

    @Test("A charge-point-to-CSMS action sent by the CSMS is answered with a CALLERROR",
          arguments: [V16.Action.bootNotification, .heartbeat, .startTransaction, .statusNotification])
    func wrongDirection(action: V16.Action) throws {
        var csms = ScriptedCSMS.booted()
        guard case .callError(_, let code, _, _)? = csms.send(action.rawValue, .object([])) else {
            Issue.record("expected a CALLERROR")
            return
        }
        #expect(code == "NotSupported")
    }
}
