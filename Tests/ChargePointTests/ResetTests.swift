import ChargePoint
import OCPP
import Testing

@Suite("Reset: soft and hard reboots (OCPP 1.6 §5.14)")
struct ResetTests {
    @Test("A soft reset stops the transaction with reason SoftReset, waits for the answer, then reboots and boots again")
    func softReset() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(600))
        csms.latency = .seconds(2)
        let before = csms.calls.count

        let frames = csms.sendRaw(Frame.call(id: "reset-1", action: "Reset", payload: V16.ResetRequest(type: .soft).json).encoded)
        guard case .callResult("reset-1", let payload)? = frames.first else {
            Issue.record("the Reset was not answered first: \(frames)")
            return
        }
        #expect(try V16.ResetResponse(json: payload).status == .accepted)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .softReset)
        #expect(stop.idTag == nil, "no card stopped it")
        #expect(stop.transactionId == 1000)
        #expect(csms.reboots.isEmpty)  // still waiting for StopTransaction.conf

        csms.advance(by: .seconds(2))
        #expect(csms.reboots == [csms.now])
        #expect(!csms.isConnected)
        #expect(!csms.engine.isAccepted)
        #expect(csms.events.contains(.transactionStopped(connector: 1, transactionId: 1000)))

        csms.advance(by: .seconds(10))
        #expect(csms.engine.isAccepted)
        let after = csms.calls[before...].map(\.action)
        #expect(after.prefix(2) == ["StopTransaction", "BootNotification"])
        #expect(after.dropFirst(2).allSatisfy { $0 == "StatusNotification" })
        #expect(after.count == 2 + 3)
        #expect(csms.engine.openTransactions == 0)
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    @Test("A soft reset of an idle charge point reboots right after its answer")
    func softResetIdle() throws {
        var csms = ScriptedCSMS.booted()
        let frames = csms.sendRaw(Frame.call(id: "r", action: "Reset", payload: V16.ResetRequest(type: .soft).json).encoded)
        #expect(frames.count == 1)
        #expect(csms.reboots == [csms.now])
        csms.advance(by: .seconds(5))
        #expect(csms.calls.suffix(4).map(\.action) == ["BootNotification", "StatusNotification", "StatusNotification",
                                                        "StatusNotification"])
    }

    @Test("A soft reset whose StopTransaction is never answered reboots after its drain limit and resends it")
    func softResetDrainLimit() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(300)))
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.script["StopTransaction"] = [.hold]
        let reset = csms.now
        #expect(try csms.call(V16.ResetRequest(type: .soft)).status == .accepted)
        csms.advance(by: .seconds(29))
        #expect(csms.reboots.isEmpty)
        csms.advance(by: .seconds(1))
        #expect(csms.reboots == [reset + .seconds(30)])
        csms.advance(by: .seconds(5))
        let stops = csms.calls(.stopTransaction)
        #expect(stops.count == 2)
        #expect(stops[0].payload == stops[1].payload)
        #expect(csms.calls.suffix(5).map(\.action) == ["BootNotification", "StopTransaction", "StatusNotification",
                                                        "StatusNotification", "StatusNotification"])
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    @Test("A hard reset reboots at once; its StopTransaction (reason HardReset) follows the next boot")
    func hardReset() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(2)
        csms.present("TAG-2", on: 2)
        csms.advance(by: .seconds(300))
        let before = csms.calls.count
        let frames = csms.sendRaw(Frame.call(id: "hard", action: "Reset", payload: V16.ResetRequest(type: .hard).json).encoded)
        #expect(frames.count == 1)
        #expect(frames.first?.id == "hard")
        #expect(csms.reboots == [csms.now])
        #expect(csms.calls.count == before)  // nothing sent between the answer and the reboot
        #expect(csms.engine.pendingTransactionMessages == 1)

        csms.advance(by: .seconds(5))
        let after = csms.calls[before...].map(\.action)
        #expect(after == ["BootNotification", "StopTransaction", "StatusNotification", "StatusNotification",
                          "StatusNotification"])
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .hardReset)
        #expect(stop.transactionId == 1000)
        #expect(stop.timestamp == csms.reboots[0])
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    @Test("A hard reset before StartTransaction was answered still delivers Start and Stop after the boot")
    func hardResetBeforeStartAnswered() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["StartTransaction"] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(try csms.call(V16.ResetRequest(type: .hard)).status == .accepted)
        csms.advance(by: .seconds(5))
        #expect(csms.actions.suffix(6) == ["BootNotification", "StartTransaction", "StopTransaction",
                                           "StatusNotification", "StatusNotification", "StatusNotification"])
        let starts = try csms.decoded(V16.StartTransactionRequest.self)
        #expect(starts.count == 2)
        #expect(starts[0] == starts[1])
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.transactionId == 1000)
        #expect(stop.reason == .hardReset)
    }

    @Test("While a soft reset drains, no new session starts")
    func softResetRefusesNewSessions() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(300)))
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.script["StopTransaction"] = [.hold]
        #expect(try csms.call(V16.ResetRequest(type: .soft)).status == .accepted)
        csms.plugIn(2)
        csms.present("TAG-2", on: 2)
        #expect(csms.events.contains(.authorizationFailed(connector: 2)))
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "REMOTE")).status == .rejected)
        #expect(csms.calls(.authorize).count == 1)
        #expect(csms.calls(.startTransaction).count == 1)
        csms.advance(by: .seconds(60))
        #expect(csms.reboots.count == 1)
        #expect(csms.engine.isAccepted)
        // After the reboot the EV still plugged into connector 2 can start.
        csms.present("TAG-2", on: 2)
        #expect(csms.engine.status(ofConnector: 2) == .charging)
    }

    @Test("A shell that reconnects after a reboot without reporting the close still gets a clean boot")
    func rebootWithoutCloseReport() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(300)))
        csms.reportCloseOnReboot = false
        csms.script["StartTransaction"] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(try csms.call(V16.ResetRequest(type: .hard)).status == .accepted)
        let reboot = csms.now
        csms.advance(by: .seconds(5))
        let boot = try #require(csms.calls(.bootNotification).last)
        #expect(boot.sentAt == reboot + .seconds(1))
        #expect(csms.actions.suffix(6) == ["BootNotification", "StartTransaction", "StopTransaction",
                                           "StatusNotification", "StatusNotification", "StatusNotification"])
    }

    @Test("Delivery attempts of a transaction message count across a reboot")
    func attemptsSurviveReboot() throws {
        var csms = ScriptedCSMS.booted(configuration: [("TransactionMessageAttempts", "2"),
                                                       ("TransactionMessageRetryInterval", "60"),
                                                       ("MeterValueSampleInterval", "0")])
        csms.script["StartTransaction"] = [.error(.internalError), .error(.internalError), .error(.internalError)]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.calls(.startTransaction).count == 1)
        #expect(try csms.call(V16.ResetRequest(type: .hard)).status == .accepted)
        csms.advance(by: .seconds(300))
        #expect(csms.calls(.startTransaction).count == 2)
        #expect(csms.events.contains(.transactionMessageDropped(action: "StartTransaction", reason: .attemptsExhausted)))
        #expect(csms.engine.pendingTransactionMessages == 0)
    }
}
