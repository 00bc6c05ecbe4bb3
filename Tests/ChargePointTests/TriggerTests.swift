import ChargePoint
import OCPP
import Testing

/// Remote Trigger (OCPP 1.6 §5.17) and the security extension's ExtendedTriggerMessage.
@Suite("TriggerMessage and ExtendedTriggerMessage")
struct TriggerTests {
    /// Sends a trigger and returns its status and the CALLs the engine made afterwards.
    static func trigger(_ csms: inout ScriptedCSMS, _ name: String, _ requested: String, connectorId: Int? = nil)
        throws -> (V16.TriggerMessageStatus, [ScriptedCSMS.Call]) {
        let callsBefore = csms.calls.count
        let wireBefore = csms.wire.count
        var members: [(key: String, value: JSONValue)] = [("requestedMessage", .string(requested))]
        if let connectorId { members.append(("connectorId", .integer(Int64(connectorId)))) }
        let answer = csms.send(name, .object(members))
        guard case .callResult(_, let payload)? = answer else {
            Issue.record("\(name) was answered with \(String(describing: answer))")
            throw CallError(.genericError, "no CALLRESULT")
        }
        // The answer is written before the triggered message (OCPP 1.6 §5.17).
        let frames = csms.wire[wireBefore...].filter(\.fromEngine).map { String(decoding: $0.bytes, as: UTF8.self) }
        let answerIndex = try #require(frames.firstIndex { $0.hasPrefix("[3,") })
        #expect(!frames[..<answerIndex].contains { $0.hasPrefix("[2,") }, "a triggered CALL went out before the answer")
        return (try V16.TriggerMessageResponse(json: payload).status, Array(csms.calls.dropFirst(callsBefore)))
    }

    // MARK: TriggerMessage

    @Test("Every TriggerMessage value is Accepted and its message follows the answer, with and without connectorId",
          arguments: V16.MessageTrigger.allCases, [nil, 1] as [Int?])
    func everyTrigger(message: V16.MessageTrigger, connectorId: Int?) throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(30))
        let (status, calls) = try Self.trigger(&csms, "TriggerMessage", message.rawValue, connectorId: connectorId)
        #expect(status == .accepted)
        let first = try #require(calls.first)
        #expect(first.action == message.rawValue)
        switch message {
        case .statusNotification:
            let connectors = try calls.prefix { $0.action == "StatusNotification" }
                .map { try $0.decode(V16.StatusNotificationRequest.self).connectorId }
            #expect(connectors == (connectorId.map { [$0] } ?? [0, 1, 2]))
            let charging = try calls.first.map { try $0.decode(V16.StatusNotificationRequest.self) }
            if connectorId == 1 { #expect(charging?.status == .charging) }
        case .meterValues:
            let values = try calls.prefix { $0.action == "MeterValues" }.map { try $0.decode(V16.MeterValuesRequest.self) }
            #expect(values.map(\.connectorId) == (connectorId.map { [$0] } ?? [1, 2]))
            #expect(values.allSatisfy { $0.meterValue.first?.sampledValue.allSatisfy { $0.context == .trigger } == true })
            // The charging connector's values carry its transaction.
            #expect(values.first { $0.connectorId == 1 }?.transactionId == 1000)
            #expect(values.first { $0.connectorId == 2 }?.transactionId == nil)
        case .bootNotification:
            // A new registration: the status of every connector follows its acceptance.
            #expect(calls.map(\.action).prefix(4) == ["BootNotification", "StatusNotification", "StatusNotification", "StatusNotification"])
            #expect(csms.engine.isAccepted)
        case .heartbeat:
            #expect(calls.count == 1)
        case .firmwareStatusNotification:
            #expect(try first.decode(V16.FirmwareStatusNotificationRequest.self).status == .idle)
        case .diagnosticsStatusNotification:
            #expect(try first.decode(V16.DiagnosticsStatusNotificationRequest.self).status == .idle)
        }
    }

    @Test("A connector that does not exist is Rejected for MeterValues and StatusNotification, ignored for the others",
          arguments: [("MeterValues", 3, V16.TriggerMessageStatus.rejected), ("MeterValues", -1, .rejected),
                      ("StatusNotification", 3, .rejected), ("StatusNotification", -1, .rejected),
                      ("Heartbeat", 7, .accepted), ("BootNotification", 3, .accepted),
                      ("FirmwareStatusNotification", -2, .accepted)])
    func badConnector(message: String, connectorId: Int, expected: V16.TriggerMessageStatus) throws {
        var csms = ScriptedCSMS.booted()
        let (status, calls) = try Self.trigger(&csms, "TriggerMessage", message, connectorId: connectorId)
        #expect(status == expected)
        #expect(calls.isEmpty == (expected == .rejected))
    }

    @Test("MeterValues for connector 0 is the main meter: the sum of the connectors")
    func mainMeter() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(initialMeterWh: 1000))
        let (status, calls) = try Self.trigger(&csms, "TriggerMessage", "MeterValues", connectorId: 0)
        #expect(status == .accepted)
        let request = try #require(calls.first).decode(V16.MeterValuesRequest.self)
        #expect(request.connectorId == 0)
        #expect(request.meterValue.first?.sampledValue.first { $0.measurand == .energyActiveImportRegister }?.value == "2000")
    }

    @Test("While the boot is Pending a triggered message goes out, and nothing else")
    func triggerWhilePending() throws {
        var csms = ScriptedCSMS()
        csms.bootStatus = .pending
        csms.connect()
        #expect(!csms.engine.isAccepted)
        #expect(csms.actions == ["BootNotification"])

        var (status, calls) = try Self.trigger(&csms, "TriggerMessage", "StatusNotification")
        #expect(status == .accepted)
        #expect(calls.map(\.action) == ["StatusNotification", "StatusNotification", "StatusNotification"])
        (status, calls) = try Self.trigger(&csms, "TriggerMessage", "Heartbeat")
        #expect(calls.map(\.action) == ["Heartbeat"])
        (status, calls) = try Self.trigger(&csms, "TriggerMessage", "FirmwareStatusNotification")
        #expect(calls.map(\.action) == ["FirmwareStatusNotification"])
        // A card presented meanwhile does not reach the CSMS (the charge point is not registered).
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(100))
        #expect(csms.actions.count == 6)

        // A triggered BootNotification registers at once, before the retry interval.
        csms.bootStatus = .accepted
        (status, calls) = try Self.trigger(&csms, "TriggerMessage", "BootNotification")
        #expect(status == .accepted)
        #expect(calls.first?.action == "BootNotification")
        #expect(csms.engine.isAccepted)
    }

    @Test("A triggered FirmwareStatusNotification reports the running download")
    func firmwareStatusWhileDownloading() throws {
        var csms = ScriptedCSMS.booted()
        _ = try csms.call(V16.UpdateFirmwareRequest(location: "https://fw/x-1.bin", retrieveDate: csms.now))
        csms.advance(by: .seconds(10))
        let (status, calls) = try Self.trigger(&csms, "TriggerMessage", "FirmwareStatusNotification")
        #expect(status == .accepted)
        #expect(try calls.first?.decode(V16.FirmwareStatusNotificationRequest.self).status == .downloading)
    }

    // MARK: ExtendedTriggerMessage

    @Test("Every ExtendedTriggerMessage value sends its message, FirmwareStatusNotification as the signed one",
          arguments: V16.ExtendedMessageTrigger.allCases)
    func everyExtendedTrigger(message: V16.ExtendedMessageTrigger) throws {
        var csms = ScriptedCSMS.booted()
        let (status, calls) = try Self.trigger(&csms, "ExtendedTriggerMessage", message.rawValue)
        switch message {
        case .bootNotification, .heartbeat:
            #expect(status == .accepted)
            #expect(calls.first?.action == message.rawValue)
        case .meterValues:
            #expect(status == .accepted)
            #expect(calls.map(\.action) == ["MeterValues", "MeterValues"])
        case .statusNotification:
            #expect(status == .accepted)
            #expect(calls.map(\.action) == ["StatusNotification", "StatusNotification", "StatusNotification"])
        case .firmwareStatusNotification:
            #expect(status == .accepted)
            #expect(calls.count == 1)
            #expect(try calls.first?.decode(V16.SignedFirmwareStatusNotificationRequest.self)
                    == V16.SignedFirmwareStatusNotificationRequest(status: .idle))
        case .logStatusNotification:
            #expect(status == .accepted)
            #expect(try calls.first?.decode(V16.LogStatusNotificationRequest.self) == V16.LogStatusNotificationRequest(status: .idle))
        case .signChargePointCertificate:
            // Accepted exactly when the Security profile starts a SignCertificate.
            #expect((status == .accepted) == (calls.first?.action == "SignCertificate"))
            #expect(status == .accepted || status == .rejected)
        }
    }

    @Test("ExtendedTriggerMessage with a connector: StatusNotification and MeterValues for that connector only; Rejected for one that does not exist")
    func extendedTriggerConnector() throws {
        var csms = ScriptedCSMS.booted()
        var (status, calls) = try Self.trigger(&csms, "ExtendedTriggerMessage", "StatusNotification", connectorId: 2)
        #expect(status == .accepted)
        #expect(try calls.map { try $0.decode(V16.StatusNotificationRequest.self).connectorId } == [2])
        (status, calls) = try Self.trigger(&csms, "ExtendedTriggerMessage", "MeterValues", connectorId: 1)
        #expect(try calls.map { try $0.decode(V16.MeterValuesRequest.self).connectorId } == [1])
        (status, calls) = try Self.trigger(&csms, "ExtendedTriggerMessage", "MeterValues", connectorId: 5)
        #expect(status == .rejected)
        #expect(calls.isEmpty)
    }

    @Test("A requestedMessage outside the enum is a CALLERROR PropertyConstraintViolation, never Accepted")
    func unknownRequestedMessage() throws {
        var csms = ScriptedCSMS.booted()
        for name in ["TriggerMessage", "ExtendedTriggerMessage"] {
            let answer = csms.send(name, .object([("requestedMessage", .string("MakeCoffee"))]))
            guard case .callError(_, let code, _, _)? = answer else {
                Issue.record("expected a CALLERROR, got \(String(describing: answer))")
                continue
            }
            #expect(code == "PropertyConstraintViolation")
        }
        #expect(csms.actions.count == 4)
    }
}
