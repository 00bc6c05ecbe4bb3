@testable import CentralSystem
import NIOCore
import NIOEmbedded
import OCPP
import Testing

extension ConnectionHarness {
    /// A 2.0.1 station's connection.
    static func v201(id: String = "CS-1", shared: SharedState = ConnectionHarness.shared()) throws -> ConnectionHarness {
        try ConnectionHarness(id: id, version: .v201, shared: shared)
    }

    @discardableResult
    mutating func boot201() throws -> V201.BootNotificationResponse {
        try call(V201.BootNotificationRequest(chargingStation: .init(model: "Sim-22", vendorName: "ocpp-fleet"),
                                              reason: .powerUp))
    }

    /// Sends a TransactionEvent and returns its response.
    @discardableResult
    mutating func event(_ type: V201.TransactionEventEnum, _ transactionId: String, seqNo: Int,
                        trigger: V201.TriggerReasonEnum = .chargingStateChanged, token: String? = nil,
                        at time: Timestamp = ConnectionHarness.now) throws -> V201.TransactionEventResponse {
        try call(Self.transactionEvent(type, transactionId, seqNo: seqNo, trigger: trigger, token: token, at: time))
    }

    static func transactionEvent(_ type: V201.TransactionEventEnum, _ transactionId: String, seqNo: Int,
                                 trigger: V201.TriggerReasonEnum = .chargingStateChanged, token: String? = nil,
                                 at time: Timestamp = ConnectionHarness.now) -> V201.TransactionEventRequest {
        V201.TransactionEventRequest(
            eventType: type, timestamp: time, triggerReason: trigger, seqNo: seqNo,
            transactionInfo: .init(transactionId: transactionId, chargingState: type == .ended ? .evConnected : .charging),
            evse: type == .started ? .init(id: 1, connectorId: 1) : nil,
            idToken: token.map { .init(idToken: $0, type: .iso14443) })
    }

    /// The text of a 2.0.1 CALL with a raw payload.
    static func call(_ id: String, _ action: String, _ payload: String) -> String {
        #"[2,"\#(id)","\#(action)",\#(payload)]"#
    }
}

@Suite("2.0.1 session: what the embedded CSMS answers a 2.0.1 station")
struct V201SessionTests {
    @Test("Boot Accepted with the heartbeat interval, Heartbeat with the time; the connection counts as 2.0.1")
    func bootAndHeartbeat() throws {
        var cs = try ConnectionHarness.v201()
        let boot = try cs.boot201()
        #expect(boot.status == .accepted)
        #expect(boot.interval == 300)
        #expect(boot.currentTime == ConnectionHarness.now)
        #expect(try cs.call(V201.HeartbeatRequest()).currentTime == ConnectionHarness.now)
        let stats = cs.stats
        #expect(stats.received(.v201(.bootNotification)) == 1)
        #expect(stats.received(.v201(.heartbeat)) == 1)
        #expect(stats.received(V16.Action.bootNotification) == 0)
        #expect(stats.bootsAccepted == 1)
        #expect(stats.chargePointsBooted == 1)
        #expect(stats.connectionsByVersion == [.v201: 1])
        #expect(stats.violations.total == 0)
        #expect(try cs.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A Pending boot gets the retry interval, and what the station sends before an accepted boot is counted")
    func pendingBoot() throws {
        var configuration = CentralSystemConfiguration(bootStatus: .pending, bootRetryInterval: 30)
        configuration.heartbeatInterval = 120
        var cs = try ConnectionHarness.v201(shared: ConnectionHarness.shared(configuration))
        let boot = try cs.boot201()
        #expect(boot.status == .pending)
        #expect(boot.interval == 30)
        _ = try cs.call(V201.HeartbeatRequest())
        #expect(cs.stats.violations.messagesBeforeBoot == 1)
        #expect(cs.stats.bootsAccepted == 0)
    }

    @Test("Authorize and TransactionEvent answer idTokens by the same policy as 1.6 idTags",
          arguments: [("TAG-1", V201.AuthorizationStatusEnum.accepted), ("BLOCKED-2", .blocked),
                      ("invalid-3", .invalid), ("Expired4", .expired)])
    func idTokens(token: String, status: V201.AuthorizationStatusEnum) throws {
        var cs = try ConnectionHarness.v201()
        try cs.boot201()
        let authorize = try cs.call(V201.AuthorizeRequest(idToken: .init(idToken: token, type: .iso14443)))
        #expect(authorize.idTokenInfo.status == status)
        let started = try cs.event(.started, "tx-1", seqNo: 0, trigger: .authorized, token: token)
        #expect(started.idTokenInfo?.status == status)
        let update = try cs.event(.updated, "tx-1", seqNo: 1)
        #expect(update.idTokenInfo == nil, "no idToken, no idTokenInfo")
    }

    @Test("A transaction: Started opens it, Updated and Ended follow, replays are answered and counted apart")
    func transaction() throws {
        var cs = try ConnectionHarness.v201()
        try cs.boot201()
        try cs.event(.started, "tx-1", seqNo: 0, trigger: .cablePluggedIn)
        #expect(cs.stats.transactionEvents.open == 1)
        #expect(cs.stats.transactionEvents.openTransactions == ["CS-1/tx-1"])
        try cs.event(.updated, "tx-1", seqNo: 1, token: "TAG-1")
        // The answer got lost: the station sends the same event again.
        try cs.event(.updated, "tx-1", seqNo: 1, token: "TAG-1")
        try cs.event(.ended, "tx-1", seqNo: 2, trigger: .evCommunicationLost)
        try cs.event(.ended, "tx-1", seqNo: 2, trigger: .evCommunicationLost)
        let stats = cs.stats
        #expect(stats.transactionEvents.started == 1)
        #expect(stats.transactionEvents.ended == 1)
        #expect(stats.transactionEvents.open == 0)
        #expect(stats.transactionEvents.replayed == 2)
        #expect(stats.transactionsStarted == 1, "the totals include 2.0.1")
        #expect(stats.transactionsStopped == 1)
        #expect(stats.openTransactions == 0)
        #expect(stats.violations.total == 0)
        #expect(stats.received(.v201(.transactionEvent)) == 5)
        #expect(try cs.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Transaction faults are confirmed and counted by kind")
    func transactionViolations() throws {
        var cs = try ConnectionHarness.v201()
        try cs.boot201()
        try cs.event(.updated, "never-started", seqNo: 3)
        try cs.event(.ended, "never-started", seqNo: 4)
        try cs.event(.started, "tx-2", seqNo: 0)
        try cs.event(.started, "tx-2", seqNo: 1, trigger: .authorized, token: "TAG-2")
        try cs.event(.updated, "tx-2", seqNo: 3)
        try cs.event(.updated, "tx-2", seqNo: 2)
        try cs.event(.ended, "tx-2", seqNo: 4)
        try cs.event(.updated, "tx-2", seqNo: 5)
        // One counter for all transactions (first edition): its gaps are not faults.
        try cs.event(.started, "tx-3", seqNo: 7)
        try cs.event(.ended, "tx-3", seqNo: 10)
        let violations = cs.stats.violations
        #expect(violations.unknownTransactionEvents == 2)
        #expect(violations.repeatedTransactionStarts == 1)
        #expect(violations.seqNoGaps == 1)
        #expect(violations.seqNoNotIncreasing == 1)
        #expect(violations.transactionEventsAfterEnd == 1)
        #expect(violations.total == 6)
        #expect(cs.stats.transactionEvents.started == 2)
        #expect(cs.stats.transactionEvents.ended == 2)
        #expect(cs.stats.transactionEvents.open == 0, "an Updated of an unknown transaction opens nothing")
        #expect(cs.stats.jsonLine.contains(#""seqNoGaps":1"#))
    }

    @Test("A transaction goes on across connections of the same station")
    func acrossConnections() throws {
        let shared = ConnectionHarness.shared()
        var first = try ConnectionHarness.v201(shared: shared)
        try first.boot201()
        try first.event(.started, "tx-9", seqNo: 0)
        try first.channel.close().wait()
        var second = try ConnectionHarness.v201(shared: shared)
        try second.event(.started, "tx-9", seqNo: 0)  // the in-flight event, sent again after the reconnect
        try second.event(.ended, "tx-9", seqNo: 1)
        let stats = second.stats
        #expect(stats.transactionEvents.replayed == 1)
        #expect(stats.transactionEvents.ended == 1)
        #expect(stats.violations.total == 0, "the boot is remembered across connections")
    }

    static let notifications: [(String, String, String)] = [
        ("StatusNotification", #"{"timestamp":"2025-11-26T01:20:00Z","connectorStatus":"Occupied","evseId":1,"connectorId":1}"#, "{}"),
        ("MeterValues", #"{"evseId":1,"meterValue":[{"timestamp":"2025-11-26T01:20:00Z","sampledValue":[{"value":1.5}]}]}"#, "{}"),
        ("NotifyReport", #"{"requestId":1,"generatedAt":"2025-11-26T01:20:00Z","seqNo":0}"#, "{}"),
        ("NotifyEvent", #"{"generatedAt":"2025-11-26T01:20:00Z","seqNo":0,"eventData":[{"eventId":1,"timestamp":"2025-11-26T01:20:00Z","trigger":"Alerting","actualValue":"1","eventNotificationType":"HardWiredNotification","component":{"name":"EVSE"},"variable":{"name":"Power"}}]}"#, "{}"),
        ("SecurityEventNotification", #"{"type":"StartupOfTheDevice","timestamp":"2025-11-26T01:20:00Z"}"#, "{}"),
        ("FirmwareStatusNotification", #"{"status":"Installed","requestId":3}"#, "{}"),
        ("LogStatusNotification", #"{"status":"Uploaded","requestId":4}"#, "{}"),
        ("NotifyCustomerInformation", #"{"data":"none","seqNo":0,"generatedAt":"2025-11-26T01:20:00Z","requestId":5}"#, "{}"),
        ("SignCertificate", #"{"csr":"-----BEGIN CERTIFICATE REQUEST-----"}"#, #"{"status":"Accepted"}"#),
        ("DataTransfer", #"{"vendorId":"ocpp-fleet","messageId":"m"}"#, #"{"status":"Accepted"}"#),
        ("DataTransfer", #"{"vendorId":"acme"}"#, #"{"status":"UnknownVendorId"}"#),
    ]

    @Test("Notifications, reports, SignCertificate and DataTransfer are schema-checked and answered",
          arguments: notifications)
    func notification(action: String, payload: String, answer: String) throws {
        var cs = try ConnectionHarness.v201()
        try cs.boot201()
        let reply = try cs.exchange(ConnectionHarness.call("n1", action, payload))
        guard case .callResult("n1", let result) = reply else {
            Issue.record("\(action) answered with \(reply)")
            return
        }
        #expect(result.text == answer)
        let types = try #require(V201.Action(rawValue: action)?.payloadTypes)
        _ = try types.response.init(json: result)
        #expect(cs.stats.received(.v201(try #require(V201.Action(rawValue: action)))) == 1)
        #expect(cs.stats.callErrorsSent.isEmpty)
    }

    @Test("CALLERRORs speak 2.0.1: schema faults, broken frames, unknown and CSMS-only actions",
          arguments: [
            (ConnectionHarness.call("e1", "Heartbeat", #"{"extra":1}"#), "e1", V201.RPCErrorCode.formatViolation),
            (ConnectionHarness.call("e2", "Authorize", #"{}"#), "e2", .occurrenceConstraintViolation),
            (ConnectionHarness.call("e3", "Authorize", #"{"idToken":{"idToken":7,"type":"ISO14443"}}"#), "e3", .typeConstraintViolation),
            (ConnectionHarness.call("e4", "Authorize", #"{"idToken":{"idToken":"T","type":"Barcode"}}"#), "e4", .propertyConstraintViolation),
            (ConnectionHarness.call("e5", "Teleport", "{}"), "e5", .notImplemented),
            (ConnectionHarness.call("e6", "RequestStartTransaction", #"{"idToken":{"idToken":"T","type":"Central"},"remoteStartId":1}"#), "e6", .notSupported),
            (ConnectionHarness.call("e7", "NotifyMonitoringReport", "{}"), "e7", .notSupported),
            (#"[2,"e8","Heartbeat"]"#, "e8", .rpcFrameworkError),
            (#"[7,"e9",{}]"#, "e9", .messageTypeNotSupported),
            ("{not json", "-1", .rpcFrameworkError),
          ])
    func callErrors(text: String, id: String, code: V201.RPCErrorCode) throws {
        var cs = try ConnectionHarness.v201()
        try cs.boot201()
        let error = try cs.callError(text)
        #expect(error.id == id)
        #expect(error.code == code.rawValue)
        #expect(cs.stats.callErrors(.v201(code)) == 1)
        #expect(cs.stats.callErrorsSent.keys.allSatisfy { $0.version == .v201 })
        // The connection goes on.
        #expect(try cs.call(V201.HeartbeatRequest()).currentTime == ConnectionHarness.now)
        #expect(try cs.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("One CSMS, both versions: totals by action name, and a split per version in the stats line")
    func mixed() throws {
        let shared = ConnectionHarness.shared()
        var old = try ConnectionHarness(id: "CP-16", shared: shared)
        var new = try ConnectionHarness.v201(id: "CS-201", shared: shared)
        try old.boot()
        try new.boot201()
        let started = try old.start()
        try new.event(.started, "tx-a", seqNo: 0)
        #expect(try old.callError(#"[2,"x","Authorize",{}]"#).code == "OccurenceConstraintViolation")
        #expect(try new.callError(#"[2,"y","Authorize",{}]"#).code == "OccurrenceConstraintViolation")
        let stats = shared.stats
        #expect(stats.connectionsByVersion == [.v16: 1, .v201: 1])
        #expect(stats.received(V16.Action.bootNotification) == 1)
        #expect(stats.received(.v201(.bootNotification)) == 1)
        #expect(stats.transactionsStarted == 2)
        #expect(stats.openTransactions == 2)
        #expect(stats.openTransactionIds == [started.transactionId])
        #expect(stats.transactionEvents.openTransactions == ["CS-201/tx-a"])
        let line = try JSONParser.parse(Array(stats.jsonLine.utf8))
        #expect(line["callsReceived"]?["BootNotification"] == .integer(2))
        #expect(line["callErrorsSent"]?["OccurenceConstraintViolation"] == .integer(1))
        #expect(line["callErrorsSent"]?["OccurrenceConstraintViolation"] == .integer(1))
        #expect(line["versions"]?["1.6"]?["callsReceived"]?["StartTransaction"] == .integer(1))
        #expect(line["versions"]?["2.0.1"]?["callsReceived"]?["TransactionEvent"] == .integer(1))
        #expect(line["versions"]?["2.0.1"]?["connectionsAccepted"] == .integer(1))
        #expect(line["openTransactions"] == .integer(2))
    }
}
