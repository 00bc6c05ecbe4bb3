@testable import CentralSystem
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

@Suite("Connection handler: answers to charge point CALLs")
struct ConnectionHandlerTests {
    typealias V = V16
    static let t = ConnectionHarness.now

    @Test("A Core session gets a schema-valid CALLRESULT for every CALL a charge point sends")
    func coreSession() throws {
        var cp = try ConnectionHarness()
        let boot = try cp.boot()
        #expect(boot == V.BootNotificationResponse(status: .accepted, currentTime: Self.t, interval: 300))
        #expect(try cp.call(V.HeartbeatRequest()) == V.HeartbeatResponse(currentTime: Self.t))
        #expect(try cp.call(V.StatusNotificationRequest(connectorId: 1, errorCode: .noError, status: .preparing))
                == V.StatusNotificationResponse())
        #expect(try cp.call(V.AuthorizeRequest(idTag: "TAG-1")).idTagInfo.status == .accepted)
        let started = try cp.start()
        #expect(started.idTagInfo.status == .accepted)
        #expect(started.transactionId > 0)
        let sample = V.MeterValue(timestamp: Self.t, sampledValue: [V.SampledValue(value: "1234", unit: .wh)])
        #expect(try cp.call(V.MeterValuesRequest(connectorId: 1, transactionId: started.transactionId,
                                                 meterValue: [sample])) == V.MeterValuesResponse())
        let stopped = try cp.call(V.StopTransactionRequest(idTag: "TAG-1", meterStop: 2000, timestamp: Self.t,
                                                           transactionId: started.transactionId, reason: .local))
        #expect(stopped.idTagInfo?.status == .accepted)
        #expect(try cp.call(V.DataTransferRequest(vendorId: "ocpp-fleet", messageId: "ping")).status == .accepted)

        let stats = cp.stats
        #expect(stats.received(.bootNotification) == 1)
        #expect(stats.received(.meterValues) == 1)
        #expect(stats.callErrorsSent.isEmpty)
        #expect(stats.bootsAccepted == 1)
        #expect(stats.chargePointsBooted == 1)
        #expect(stats.transactionsStarted == 1)
        #expect(stats.transactionsStopped == 1)
        #expect(stats.openTransactions == 0)
        #expect(stats.violations == .init())
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("BootNotification answers the configured status; Accepted carries the heartbeat interval",
          arguments: [V.RegistrationStatus.accepted, .pending, .rejected])
    func bootStatus(status: V.RegistrationStatus) throws {
        let configuration = CentralSystemConfiguration(bootStatus: status, heartbeatInterval: 42, bootRetryInterval: 7)
        var cp = try ConnectionHarness(shared: ConnectionHarness.shared(configuration))
        let response = try cp.boot()
        #expect(response.status == status)
        #expect(response.currentTime == Self.t)
        #expect(response.interval == (status == .accepted ? 42 : 7))
        #expect(cp.stats.bootsAccepted == (status == .accepted ? 1 : 0))
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A replayed StartTransaction gets the same id; a replayed StopTransaction is no violation")
    func replays() throws {
        let shared = ConnectionHarness.shared()
        var cp = try ConnectionHarness(id: "CP-R", shared: shared)
        try cp.boot()
        let first = try cp.start().transactionId
        #expect(try cp.start().transactionId == first, "the same message again: its answer was lost")
        #expect(try cp.start(meterStart: 101).transactionId != first, "another start is another transaction")
        let stop = V16.StopTransactionRequest(meterStop: 500, timestamp: ConnectionHarness.now, transactionId: first)
        _ = try cp.call(stop)
        _ = try cp.call(stop)
        _ = try cp.call(V16.StopTransactionRequest(meterStop: 1, timestamp: ConnectionHarness.now, transactionId: 999_999))
        let stats = shared.stats
        #expect(stats.transactionsStarted == 2)
        #expect(stats.replayedTransactionStarts == 1)
        #expect(stats.transactionsStopped == 1)
        #expect(stats.replayedTransactionStops == 1)
        #expect(stats.violations.unknownTransactionStops == 1)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Transaction ids are unique and increasing, across connections sharing one server")
    func uniqueTransactionIds() throws {
        let shared = ConnectionHarness.shared()
        var a = try ConnectionHarness(id: "CP-A", shared: shared)
        var b = try ConnectionHarness(id: "CP-B", shared: shared)
        try a.boot()
        try b.boot()
        var ids: [Int] = []
        for session in 0..<25 {
            ids.append(try a.start(meterStart: 100 + session).transactionId)
            ids.append(try b.start(connector: 2, meterStart: 100 + session).transactionId)
        }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        let stats = shared.stats
        #expect(stats.transactionsStarted == 50)
        #expect(stats.openTransactions == 50)
        #expect(stats.openTransactionIds == ids)
        #expect(shared.ledger.transaction(ids[0]) == .init(chargePointId: "CP-A", connectorId: 1, meterStart: 100))
        #expect(shared.ledger.transaction(ids[1])?.connectorId == 2)
        #expect(try a.channel.finish(acceptAlreadyClosed: false).isClean)
        #expect(try b.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A transaction started on one connection can be stopped after the charge point reconnects")
    func stopAfterReconnect() throws {
        let shared = ConnectionHarness.shared()
        var first = try ConnectionHarness(shared: shared)
        try first.boot()
        let transactionId = try first.start().transactionId
        #expect(try first.channel.finish(acceptAlreadyClosed: false).isClean)

        var second = try ConnectionHarness(shared: shared)
        let stopped = try second.call(V.StopTransactionRequest(meterStop: 900, timestamp: Self.t,
                                                               transactionId: transactionId))
        #expect(stopped.idTagInfo == nil)
        let stats = shared.stats
        #expect(stats.transactionsStopped == 1)
        #expect(stats.openTransactions == 0)
        #expect(stats.violations == .init(), "the boot on the first connection still counts")
        #expect(try second.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("StopTransaction of an unknown transaction is still confirmed, and counted as a violation")
    func unknownTransactionStop() throws {
        var cp = try ConnectionHarness()
        try cp.boot()
        let stopped = try cp.call(V.StopTransactionRequest(idTag: "TAG-1", meterStop: 1, timestamp: Self.t,
                                                           transactionId: 987_654_321))
        #expect(stopped.idTagInfo?.status == .accepted)
        #expect(cp.stats.violations.unknownTransactionStops == 1)
        #expect(cp.stats.transactionsStopped == 0)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("The default idTag policy decides idTagInfo in Authorize, StartTransaction and StopTransaction",
          arguments: [("TAG-1", V.AuthorizationStatus.accepted), ("BLOCKED-7", .blocked), ("blocked-8", .blocked),
                      ("EXPIRED", .expired), ("INVALID-CARD", .invalid), ("XBLOCKED", .accepted)])
    func idTagPolicy(idTag: String, status: V.AuthorizationStatus) throws {
        var cp = try ConnectionHarness()
        try cp.boot()
        #expect(try cp.call(V.AuthorizeRequest(idTag: idTag)).idTagInfo.status == status)
        let started = try cp.start(idTag: idTag)
        #expect(started.idTagInfo.status == status)
        let stopped = try cp.call(V.StopTransactionRequest(idTag: idTag, meterStop: 200, timestamp: Self.t,
                                                           transactionId: started.transactionId, reason: .deAuthorized))
        #expect(stopped.idTagInfo?.status == status)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("IdTagPolicy.acceptAll and custom prefix rules")
    func customPolicies() {
        #expect(IdTagPolicy.acceptAll.status(for: "BLOCKED-1") == .accepted)
        let policy = IdTagPolicy.prefixes([.init("VIP", .accepted), .init("", .concurrentTx)], otherwise: .invalid)
        #expect(policy.status(for: "vip-1") == .accepted)
        #expect(policy.status(for: "anything") == .concurrentTx)
        #expect(IdTagPolicy.prefixes([], otherwise: .invalid).status(for: "TAG") == .invalid)
        #expect(IdTagPolicy.default.status(for: "BLOCKE") == .accepted)
    }

    @Test("DataTransfer is Accepted for vendor ocpp-fleet only")
    func dataTransfer() throws {
        var cp = try ConnectionHarness()
        try cp.boot()
        #expect(try cp.call(V.DataTransferRequest(vendorId: "ocpp-fleet", data: "x")).status == .accepted)
        #expect(try cp.call(V.DataTransferRequest(vendorId: "com.example")).status == .unknownVendorId)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    static let malformed: [(String, String, CallError.Code)] = [
        ("not json", "-1", .formationViolation),
        (#"{"a":1}"#, "-1", .formationViolation),
        (#"[2, 17, "Heartbeat", {}]"#, "-1", .formationViolation),
        (#"[2, "a1", "Heartbeat"]"#, "a1", .formationViolation),
        (#"[2, "a2", "Heartbeat", []]"#, "a2", .formationViolation),
        (#"[9, "a3", "Heartbeat", {}]"#, "a3", .protocolError),
        (#"[2, "a4", "Authorize", {}]"#, "a4", .occurenceConstraintViolation),
        (#"[2, "a5", "Authorize", {"idTag": 5}]"#, "a5", .typeConstraintViolation),
        (#"[2, "a6", "Authorize", {"idTag": "123456789012345678901"}]"#, "a6", .typeConstraintViolation),
        (#"[2, "a7", "Heartbeat", {"extra": true}]"#, "a7", .formationViolation),
        (#"[2, "a8", "StatusNotification", {"connectorId": 1, "errorCode": "Bogus", "status": "Available"}]"#,
         "a8", .propertyConstraintViolation),
        (#"[2, "a9", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "yesterday"}]"#,
         "a9", .propertyConstraintViolation),
    ]

    @Test("Malformed frames and invalid payloads get a CALLERROR with the decoder's code", arguments: malformed)
    func malformedFrames(text: String, id: String, code: CallError.Code) throws {
        var cp = try ConnectionHarness()
        try cp.boot()
        let error = try cp.callError(text)
        #expect(error.id == id)
        #expect(error.code == code.rawValue)
        #expect(cp.stats.callErrors(code) == 1)
        // The connection goes on.
        #expect(try cp.call(V.HeartbeatRequest()).currentTime == Self.t)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Unknown actions are NotImplemented; CSMS-initiated actions are NotSupported",
          arguments: [("Teleport", "NotImplemented"), ("heartbeat", "NotImplemented"),
                      ("Reset", "NotSupported"), ("RemoteStartTransaction", "NotSupported"),
                      ("UpdateFirmware", "NotSupported")])
    func unsupportedActions(action: String, code: String) throws {
        var cp = try ConnectionHarness()
        try cp.boot()
        let error = try cp.callError(#"[2, "u1", "\#(action)", {"status": "Idle"}]"#)
        #expect(error.id == "u1")
        #expect(error.code == code)
        let stats = cp.stats
        #expect(stats.unknownActionsReceived == (code == "NotImplemented" ? 1 : 0))
        if let known = V.Action(rawValue: action) { #expect(stats.received(known) == 1) }
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Notifications of the other profiles are schema-checked and confirmed; a broken one gets its CALLERROR",
          arguments: [#"[2, "n1", "FirmwareStatusNotification", {"status": "Installed"}]"#,
                      #"[2, "n1", "DiagnosticsStatusNotification", {"status": "Uploaded"}]"#,
                      #"[2, "n1", "LogStatusNotification", {"status": "Uploaded", "requestId": 4}]"#,
                      #"[2, "n1", "SignedFirmwareStatusNotification", {"status": "Installed", "requestId": 4}]"#])
    func notificationsConfirmed(frame: String) throws {
        var cp = try ConnectionHarness()
        try cp.boot()
        guard case .callResult(let id, let payload) = try cp.exchange(frame) else { Issue.record("no CALLRESULT"); return }
        #expect(id == "n1")
        #expect(payload == .object([]))
        let broken = frame.replacingOccurrences(of: #""status": ""#, with: #""status": "Nope"#)
        #expect(try cp.callError(broken).code == "PropertyConstraintViolation")
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Requests before an accepted boot are answered and counted as violations")
    func messagesBeforeBoot() throws {
        var cp = try ConnectionHarness()
        #expect(try cp.call(V.HeartbeatRequest()).currentTime == Self.t)
        #expect(try cp.call(V.AuthorizeRequest(idTag: "TAG-1")).idTagInfo.status == .accepted)
        #expect(cp.stats.violations.messagesBeforeBoot == 2)
        try cp.boot()
        _ = try cp.call(V.HeartbeatRequest())
        #expect(cp.stats.violations.messagesBeforeBoot == 2)
        #expect(cp.stats.violations.total == 2)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A Pending boot does not count as accepted: later requests are violations")
    func pendingBoot() throws {
        var cp = try ConnectionHarness(shared: ConnectionHarness.shared(.init(bootStatus: .pending)))
        #expect(try cp.boot().status == .pending)
        _ = try cp.call(V.HeartbeatRequest())
        #expect(cp.stats.violations.messagesBeforeBoot == 1)
        #expect(cp.stats.chargePointsBooted == 0)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("CALLRESULTs, CALLERRORs and binary frames from a charge point are ignored and counted")
    func ignoredFrames() throws {
        let cp = try ConnectionHarness()
        #expect(try cp.send(#"[3, "r1", {}]"#).isEmpty)
        #expect(try cp.send(#"[4, "r2", "GenericError", "", {}]"#).isEmpty)
        #expect(try cp.send(#"[3, "r3"]"#).isEmpty, "a broken CALLRESULT is not answered either")
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: [1, 2, 3])))
        #expect(try cp.written().isEmpty)
        let stats = cp.stats
        #expect(stats.responsesIgnored == 3)
        #expect(stats.binaryFramesIgnored == 1)
        #expect(stats.callErrorsSent.isEmpty)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A message fragmented over several frames is reassembled and answered")
    func fragmentedMessage() throws {
        let cp = try ConnectionHarness()
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(string: #"[2, "f1", "Heart"#)))
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(string: #"beat", {}]"#)))
        let replies = try cp.written()
        try #require(replies.count == 1)
        guard case .callResult(let id, let payload) = try Frame.parse(replies[0]) else {
            Issue.record("not a CALLRESULT: \(replies[0])")
            return
        }
        #expect(id == "f1")
        #expect(try V.HeartbeatResponse(json: payload).currentTime == Self.t)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }
}
