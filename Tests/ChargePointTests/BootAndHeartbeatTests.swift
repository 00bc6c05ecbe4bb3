import ChargePoint
import OCPP
import Testing

@Suite("Registration, heartbeat and the one-CALL-in-flight rule")
struct BootAndHeartbeatTests {
    @Test("An accepted boot reports connector 0 and every connector as Available")
    func acceptedBoot() throws {
        var csms = ScriptedCSMS(connectors: 3)
        csms.connect()

        #expect(csms.engine.isAccepted)
        #expect(csms.actions == ["BootNotification"] + Array(repeating: "StatusNotification", count: 4))
        let boot = try csms.calls[0].decode(V16.BootNotificationRequest.self)
        #expect(boot.chargePointVendor == "ocpp-fleet")
        #expect(boot.chargePointModel == "Sim-22")
        #expect(boot.chargePointSerialNumber == "SN-0001")
        #expect(boot.firmwareVersion == "1.2.3")
        let statuses = try csms.decoded(V16.StatusNotificationRequest.self)
        #expect(statuses.map(\.connectorId) == [0, 1, 2, 3])
        #expect(statuses.allSatisfy { $0.status == .available && $0.errorCode == .noError && $0.timestamp == csms.now })
        #expect(csms.events.contains(.bootAccepted))
    }

    @Test("A boot that is not accepted is sent again after the interval the CSMS gave",
          arguments: [(V16.RegistrationStatus.pending, 45), (.rejected, 600), (.pending, 1)])
    func bootRetry(status: V16.RegistrationStatus, interval: Int) throws {
        var csms = ScriptedCSMS()
        csms.bootStatus = status
        csms.bootInterval = interval
        csms.connect()
        let first = csms.now
        #expect(!csms.engine.isAccepted)

        csms.advance(by: .seconds(interval) + Interval(microseconds: -1))
        #expect(csms.actions == ["BootNotification"])
        csms.advance(by: Interval(microseconds: 1))
        #expect(csms.actions == ["BootNotification", "BootNotification"])
        #expect(csms.calls[1].sentAt == first + .seconds(interval))

        csms.bootStatus = .accepted
        csms.bootInterval = 300
        csms.advance(by: .seconds(interval))
        #expect(csms.calls(.bootNotification).count == 3)
        #expect(csms.engine.isAccepted)
        #expect(csms.calls.dropFirst(3).allSatisfy { $0.action == "StatusNotification" })
    }

    @Test("A boot answered with interval 0 is retried after the engine's own boot retry delay")
    func bootRetryIntervalZero() {
        var csms = ScriptedCSMS(settings: EngineSettings(bootRetry: .seconds(90)))
        csms.bootStatus = .pending
        csms.bootInterval = 0
        csms.connect()
        csms.advance(by: .seconds(89))
        #expect(csms.calls.count == 1)
        csms.advance(by: .seconds(1))
        #expect(csms.calls.count == 2)
    }

    @Test("A boot that gets no answer times out and is retried")
    func bootTimeout() {
        var csms = ScriptedCSMS(settings: EngineSettings(callTimeout: .seconds(20), bootRetry: .seconds(40)))
        csms.script["BootNotification"] = [.hold]
        csms.connect()
        csms.advance(by: .seconds(20))
        #expect(csms.events.contains(.callTimedOut(action: "BootNotification")))
        csms.advance(by: .seconds(39))
        #expect(csms.calls.count == 1)
        csms.advance(by: .seconds(1))
        #expect(csms.calls(.bootNotification).count == 2)
        #expect(csms.engine.isAccepted)
    }

    @Test("Nothing but BootNotification is sent before the boot is accepted")
    func nothingBeforeAccept() throws {
        var csms = ScriptedCSMS(configuration: [("AllowOfflineTxForUnknownId", "true"),
                                                ("MeterValueSampleInterval", "30")])
        csms.bootStatus = .pending
        csms.bootInterval = 120
        csms.connect()
        // Local activity while Pending: the engine may start a transaction offline, but it
        // must keep every message to itself until the boot is accepted (the harness checks).
        csms.plugIn(1)
        csms.present("OFFLINE-1", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.advance(by: .seconds(600))
        #expect(Set(csms.actions) == ["BootNotification"])
        #expect(csms.calls.count == 6)  // t = 0, 120, ..., 600

        csms.bootStatus = .accepted
        csms.advance(by: .seconds(120))
        #expect(csms.engine.isAccepted)
        let afterBoot = csms.calls.drop { $0.action == "BootNotification" }.map(\.action)
        #expect(afterBoot.prefix(1) == ["StartTransaction"])
        #expect(afterBoot.contains("MeterValues"))
        let start = try #require(try csms.decoded(V16.StartTransactionRequest.self).first)
        #expect(start.idTag == "OFFLINE-1")
        #expect(start.timestamp == ScriptedCSMS.start)
        #expect(try csms.statuses(1).last == .charging)
    }

    @Test("Heartbeats go out every HeartbeatInterval taken from the boot response")
    func heartbeatInterval() {
        var csms = ScriptedCSMS.booted(heartbeat: 120)
        let booted = csms.now
        csms.advance(by: .seconds(3600))
        let beats = csms.calls(.heartbeat)
        #expect(beats.count == 30)
        #expect(beats.map(\.sentAt) == (1...30).map { booted + .seconds(120 * $0) })
        #expect(csms.engine.configuration.heartbeatInterval == 120)
    }

    @Test("Changing HeartbeatInterval re-arms the heartbeat from the change; 0 turns it off")
    func heartbeatRearmed() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 300)
        let booted = csms.now
        csms.advance(by: .seconds(100))
        let answer = try csms.call(V16.ChangeConfigurationRequest(key: "HeartbeatInterval", value: "50"))
        #expect(answer.status == .accepted)
        csms.advance(by: .seconds(200))
        #expect(csms.calls(.heartbeat).map(\.sentAt) == [150, 200, 250, 300].map { booted + .seconds($0) })

        _ = try csms.call(V16.ChangeConfigurationRequest(key: "HeartbeatInterval", value: "0"))
        csms.advance(by: .seconds(3600))
        #expect(csms.calls(.heartbeat).count == 4)
    }

    @Test("Only one CALL is outstanding at a time, however busy the charge point is")
    func oneCallInFlight() throws {
        var csms = ScriptedCSMS.booted(connectors: 4, configuration: [("MeterValueSampleInterval", "15")], heartbeat: 7)
        csms.latency = .milliseconds(1_500)
        let booted = csms.calls.count
        for connector in 1...4 {
            csms.plugIn(connector)
            csms.present("TAG-\(connector)", on: connector)
        }
        csms.advance(by: .seconds(600))
        for connector in 1...4 { csms.present("TAG-\(connector)", on: connector) }
        csms.advance(by: .seconds(120))

        // The harness flags a second CALL while one is outstanding; check the timeline too.
        let calls = csms.calls[booted...]
        #expect(calls.count > 200)
        for (previous, next) in zip(calls, calls.dropFirst()) {
            #expect(next.sentAt >= previous.sentAt + .milliseconds(1_500), "\(next) overtook \(previous)")
        }
        #expect(try csms.decoded(V16.StopTransactionRequest.self).count == 4)
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    @Test("A held CALL blocks the next one until it times out after callTimeout")
    func callTimeout() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(10)), heartbeat: 60)
        csms.script["Heartbeat"] = [.hold]
        csms.advance(by: .seconds(60))
        let beat = try #require(csms.calls.last)
        #expect(beat.action == "Heartbeat")

        csms.plugIn(1)  // a StatusNotification waits behind the heartbeat
        csms.advance(by: .seconds(9))
        #expect(csms.calls.last?.action == "Heartbeat")
        csms.advance(by: .seconds(1))
        #expect(csms.events.contains(.callTimedOut(action: "Heartbeat")))
        let status = try #require(csms.calls.last)
        #expect(status.action == "StatusNotification")
        #expect(status.sentAt == beat.sentAt + .seconds(10))

        // A late answer to the timed-out call is ignored.
        csms.answer(beat, with: .conf(V16.HeartbeatResponse(currentTime: csms.now)))
        #expect(!csms.events.contains { if case .callCompleted(action: "Heartbeat", _, _) = $0 { true } else { false } })
        #expect(csms.faults.map(\.kind) == [.lateAnswer])
        csms.advance(by: .seconds(60))
        #expect(csms.calls(.heartbeat).count == 2)
    }

    @Test("A reconnect without a reboot re-sends every status but no BootNotification")
    func reconnect() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 60)
        csms.plugIn(2)
        csms.disconnect()
        csms.advance(by: .seconds(600))
        #expect(csms.calls.last?.action == "StatusNotification")
        let before = csms.calls.count
        csms.connect()
        let again = csms.calls[before...]
        #expect(again.map(\.action) == Array(repeating: "StatusNotification", count: 3))
        #expect(try again.map { try $0.decode(V16.StatusNotificationRequest.self).status } == [.available, .available, .preparing])
        csms.advance(by: .seconds(60))
        #expect(csms.calls.last?.action == "Heartbeat")
        #expect(csms.calls.last?.sentAt == csms.now)
    }
}
