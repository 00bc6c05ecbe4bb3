@testable import ChargePoint
import OCPP
import Testing

@Suite("Faults, the end of a run, offline authorization and bounded memory")
struct FaultAndLimitTests {
    @Test("A connector fault stops its transaction with reason Other and reports Faulted with the error code")
    func connectorFault() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.fault(.groundFailure, on: 1)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .other)
        let last = try #require(try csms.decoded(V16.StatusNotificationRequest.self).last)
        #expect(last.connectorId == 1)
        #expect(last.status == .faulted)
        #expect(last.errorCode == .groundFailure)
        csms.present("TAG-1", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.fault(nil, on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .finishing)
        #expect(try csms.decoded(V16.StatusNotificationRequest.self).last?.errorCode == .noError)
    }

    @Test("A fault of the whole charge point (connector 0) is reported for every idle connector too")
    func chargePointFault() throws {
        var csms = ScriptedCSMS.booted()
        csms.fault(.highTemperature, on: 0)
        #expect((0...2).map { csms.engine.status(ofConnector: $0) } == [.faulted, .faulted, .faulted])
        #expect(try csms.statuses(1) == [.available, .faulted])
        #expect(try csms.statuses(2) == [.available, .faulted])
        csms.fault(nil, on: 0)
        #expect(try csms.statuses(2) == [.available, .faulted, .available])
    }

    @Test("The end of a run stops every transaction with reason Local and starts no new one")
    func stopAll() throws {
        var csms = ScriptedCSMS.booted(connectors: 3)
        for connector in 1...2 {
            csms.plugIn(connector)
            csms.present("TAG-\(connector)", on: connector)
        }
        csms.present("TAG-3", on: 3)
        csms.advance(by: .seconds(300))
        csms.input { $0.stopAllTransactions(now: $1, into: &$2) }
        let stops = try csms.decoded(V16.StopTransactionRequest.self)
        #expect(stops.map(\.transactionId) == [1000, 1001])
        #expect(stops.allSatisfy { $0.reason == .local })
        #expect(stops.map(\.idTag) == ["TAG-1", "TAG-2"])
        #expect(csms.engine.status(ofConnector: 3) == .available)
        csms.plugIn(3)
        csms.present("TAG-3", on: 3)
        #expect(csms.calls(.startTransaction).count == 2)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 3, idTag: "R")).status == .rejected)
        #expect(csms.engine.pendingTransactionMessages == 0)
        #expect(csms.engine.transactions.isEmpty)
    }

    @Test("Offline, a card in the authorization cache starts at once when LocalAuthorizeOffline is on")
    func offlineFromCache() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("KNOWN", on: 1)
        csms.present("KNOWN", on: 1)
        csms.unplug(1)
        csms.disconnect()
        csms.plugIn(1)
        csms.present("UNKNOWN", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.present("KNOWN", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.connect()
        #expect(csms.calls(.authorize).count == 1)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.idTag) == ["KNOWN", "KNOWN"])
    }

    @Test("While the boot is Pending a cached card counts as offline authorization")
    func pendingFromCache() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 60)
        csms.plugIn(1)
        csms.present("KNOWN", on: 1)
        csms.present("KNOWN", on: 1)
        csms.unplug(1)
        #expect(try csms.call(V16.ResetRequest(type: .soft)).status == .accepted)
        csms.bootStatus = .pending
        csms.advance(by: .seconds(5))
        #expect(!csms.engine.isAccepted)
        csms.plugIn(1)
        csms.present("KNOWN", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.bootStatus = .accepted
        csms.advance(by: .seconds(60))
        #expect(try csms.decoded(V16.StartTransactionRequest.self).count == 2)
    }

    @Test("Offline, the queue is bounded: periodic MeterValues go first and Start and Stop are kept")
    func boundedQueue() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(queueCapacity: 10),
                                       configuration: [("MeterValueSampleInterval", "60")], heartbeat: 86_400)
        csms.disconnect()
        csms.advance(by: .seconds(1))
        csms.plugIn(1)
        csms.present("OFFLINE", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        _ = csms.engine.configure([(key: "AllowOfflineTxForUnknownId", value: "true")])
        csms.present("OFFLINE", on: 1)
        csms.advance(by: .seconds(3600))
        csms.present("OFFLINE", on: 1)
        #expect(csms.events.filter { $0 == .transactionMessageDropped(action: "MeterValues", reason: .overflow) }.count == 52)
        csms.connect()
        let actions = csms.calls.drop { $0.action != "StartTransaction" }.map(\.action)
        #expect(actions == ["StartTransaction"] + Array(repeating: "MeterValues", count: 8) + ["StopTransaction"]
                + Array(repeating: "StatusNotification", count: 3))
        let samples = try csms.decoded(V16.MeterValuesRequest.self)
        #expect(samples.last?.meterValue[0].timestamp == ScriptedCSMS.start + .seconds(3601))
        #expect(try csms.decoded(V16.StopTransactionRequest.self).first?.transactionId == 1000)
    }

    @Test("A Stop that can never be sent (its Start was dropped) frees the transaction record")
    func noLeakAfterDroppedStart() throws {
        var csms = ScriptedCSMS.booted(configuration: [("TransactionMessageAttempts", "1"),
                                                       ("MeterValueSampleInterval", "0")])
        for round in 0..<5 {
            csms.script["StartTransaction"] = [.error(.internalError)]
            csms.plugIn(1)
            csms.present("TAG-\(round)", on: 1)
            csms.present("TAG-\(round)", on: 1)
            csms.unplug(1)
        }
        #expect(csms.calls(.startTransaction).count == 5)
        #expect(csms.calls(.stopTransaction).isEmpty)
        #expect(csms.engine.transactions.isEmpty)
    }
}
