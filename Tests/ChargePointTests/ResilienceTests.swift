import ChargePoint
import OCPP
import Testing

@Suite("Transaction messages survive disconnects and failures (OCPP 1.6 §4.7)")
struct ResilienceTests {
    @Test("A link lost mid-transaction loses no transaction message: Start, MeterValues and Stop arrive in order",
          arguments: ["StartTransaction", "MeterValues", "StopTransaction"])
    func disconnectMidTransaction(heldAtDisconnect: String) throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(3600)),
                                       configuration: [("MeterValueSampleInterval", "60")], heartbeat: 86_400)
        csms.script[heldAtDisconnect] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(300))
        csms.present("TAG-1", on: 1)
        #expect(csms.held.map(\.action) == [heldAtDisconnect])
        csms.disconnect()
        csms.advance(by: .seconds(600))
        #expect(csms.engine.pendingTransactionMessages >= 1)
        csms.connect()
        csms.advance(by: .seconds(60))
        #expect(csms.engine.pendingTransactionMessages == 0)

        // Each distinct message at least once (a resent one may arrive twice), in order.
        var seen: [ScriptedCSMS.Call] = []
        for call in csms.calls where ["StartTransaction", "MeterValues", "StopTransaction"].contains(call.action) {
            if !seen.contains(where: { $0.action == call.action && $0.payload == call.payload }) { seen.append(call) }
        }
        #expect(seen.map(\.action) == ["StartTransaction"] + Array(repeating: "MeterValues", count: 5) + ["StopTransaction"])
        let samples = try seen.filter { $0.action == "MeterValues" }.map { try $0.decode(V16.MeterValuesRequest.self) }
        #expect(samples.allSatisfy { $0.transactionId == 1000 })
        #expect(samples.map { $0.meterValue[0].timestamp } == (1...5).map { ScriptedCSMS.start + .seconds(60 * $0) })
        let stop = try #require(seen.last).decode(V16.StopTransactionRequest.self)
        #expect(stop.transactionId == 1000)
        #expect(stop.reason == .local)
        #expect(stop.timestamp == ScriptedCSMS.start + .seconds(300))
        #expect(csms.events.filter { $0 == .transactionStarted(connector: 1, transactionId: 1000) }.count >= 1)
        // Counted for the report: the one message cut off in flight went out again, once; the
        // others were made while connected, so none counts as queued offline.
        #expect(csms.events.filter { if case .transactionMessageReplayed = $0 { true } else { false } }
                == [.transactionMessageReplayed(action: heldAtDisconnect)])
        #expect(!csms.events.contains { if case .transactionMessageQueuedOffline = $0 { true } else { false } })
    }

    @Test("A session that starts and ends offline is reported after reconnect with the transactionId assigned then")
    func offlineSession() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MeterValueSampleInterval", "120"),
                                                       ("AllowOfflineTxForUnknownId", "true")],
                                       heartbeat: 86_400)
        csms.disconnect()
        csms.plugIn(2)
        csms.present("OFFLINE", on: 2)
        #expect(csms.engine.hasTransaction(connector: 2))
        csms.advance(by: .seconds(3600))
        csms.present("OFFLINE", on: 2)
        csms.unplug(2)
        csms.advance(by: .seconds(3600))
        csms.nextTransactionId = 5555
        csms.connect()
        let actions = csms.calls.drop { $0.action != "StartTransaction" }.map(\.action)
        #expect(actions == ["StartTransaction"] + Array(repeating: "MeterValues", count: 30) + ["StopTransaction"]
                + Array(repeating: "StatusNotification", count: 3))
        #expect(try csms.decoded(V16.MeterValuesRequest.self).allSatisfy { $0.transactionId == 5555 })
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.transactionId == 5555)
        #expect(stop.meterStop == 11_000)
        // Counted for the report: every message of the session was made offline; none was replayed.
        let queued = csms.events.compactMap { if case .transactionMessageQueuedOffline(let action) = $0 { action } else { nil } }
        #expect(queued == ["StartTransaction"] + Array(repeating: "MeterValues", count: 30) + ["StopTransaction"])
        #expect(!csms.events.contains { if case .transactionMessageReplayed = $0 { true } else { false } })
    }

    @Test("A transaction message answered with CALLERROR is retried TransactionMessageAttempts times, RetryInterval × attempt apart")
    func retriesThenSuccess() throws {
        var csms = ScriptedCSMS.booted(configuration: [("TransactionMessageAttempts", "3"),
                                                       ("TransactionMessageRetryInterval", "20"),
                                                       ("MeterValueSampleInterval", "0")])
        csms.script["StartTransaction"] = [.error(.internalError), .error(.genericError)]
        csms.plugIn(1)
        let t0 = csms.now
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(120))
        let starts = csms.calls(.startTransaction)
        #expect(starts.map(\.sentAt) == [t0, t0 + .seconds(20), t0 + .seconds(60)])
        #expect(Set(starts.map(\.payload.text)).count == 1)
        #expect(csms.events.contains(.transactionStarted(connector: 1, transactionId: 1000)))
        csms.present("TAG-1", on: 1)
        #expect(try csms.decoded(V16.StopTransactionRequest.self).map(\.transactionId) == [1000])
    }

    @Test("A transaction message that fails every attempt is dropped, and so are the messages that needed its id")
    func retriesExhausted() throws {
        var csms = ScriptedCSMS.booted(configuration: [("TransactionMessageAttempts", "2"),
                                                       ("TransactionMessageRetryInterval", "30"),
                                                       ("MeterValueSampleInterval", "0")], heartbeat: 86_400)
        csms.script["StartTransaction"] = [.error(.internalError), .error(.internalError)]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(60))
        #expect(csms.calls(.startTransaction).count == 2)
        #expect(csms.events.contains(.transactionMessageDropped(action: "StartTransaction", reason: .attemptsExhausted)))
        csms.present("TAG-1", on: 1)
        #expect(csms.calls(.stopTransaction).isEmpty)
        #expect(csms.events.contains(.transactionMessageDropped(action: "StopTransaction", reason: .noTransactionId)))
        #expect(csms.engine.pendingTransactionMessages == 0)
        // The connector is usable again.
        csms.unplug(1)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.calls(.startTransaction).count == 3)
        #expect(csms.engine.status(ofConnector: 1) == .charging)
    }

    @Test("A StopTransaction that times out is sent again after the retry interval")
    func stopTimeoutRetried() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(15)),
                                       configuration: [("TransactionMessageRetryInterval", "45")])
        csms.script["StopTransaction"] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.present("TAG-1", on: 1)
        let first = try #require(csms.calls(.stopTransaction).first)
        csms.advance(by: .seconds(60))
        let stops = csms.calls(.stopTransaction)
        #expect(stops.map(\.sentAt) == [first.sentAt, first.sentAt + .seconds(15 + 45)])
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    @Test("An Authorize lost with the connection does not wedge the connector")
    func authorizeLostWithLink() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["Authorize"] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.disconnect()
        csms.connect()
        csms.present("TAG-1", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        #expect(csms.engine.status(ofConnector: 1) == .charging)
    }

    @Test("A boot retry that falls due while offline waits for the connection instead of spinning")
    func bootRetryOffline() {
        var csms = ScriptedCSMS()
        csms.bootStatus = .rejected
        csms.bootInterval = 60
        csms.connect()
        csms.disconnect()
        csms.advance(by: .seconds(3600))  // the harness flags a wakeup that repeats in the past
        csms.bootStatus = .accepted
        csms.connect()
        #expect(csms.calls(.bootNotification).count == 2)
        #expect(csms.engine.isAccepted)
    }

    @Test("The same inputs give byte-identical frames")
    func determinism() {
        #expect(Self.scenario() == Self.scenario())
        #expect(Self.scenario().count > 100)
    }

    /// A busy hour: sessions, remote calls, a lost link, a hard reset, retries.
    static func scenario() -> [ScriptedCSMS.WireFrame] {
        var csms = ScriptedCSMS.booted(connectors: 3, configuration: [("MeterValueSampleInterval", "30"),
                                                                     ("ClockAlignedDataInterval", "600")], heartbeat: 90)
        csms.latency = .milliseconds(250)
        csms.script["MeterValues"] = [.error(.internalError)]
        csms.plugIn(1)
        csms.present("A", on: 1)
        csms.advance(by: .seconds(400))
        csms.send("RemoteStartTransaction", V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "B").json)
        csms.plugIn(2, ev: EVProfile(maxPowerW: 7_400, batteryWh: 40_000, initialSoC: 55))
        csms.advance(by: .seconds(300))
        csms.disconnect()
        csms.advance(by: .seconds(200))
        csms.present("A", on: 1)
        csms.connect()
        csms.advance(by: .seconds(100))
        csms.send("Reset", V16.ResetRequest(type: .hard).json)
        csms.advance(by: .seconds(600))
        csms.send("GetConfiguration", .object([]))
        return csms.wire
    }
}
