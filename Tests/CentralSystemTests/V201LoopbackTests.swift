@testable import CentralSystem
import ChargePoint
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import OCPP
import Testing

/// The scenario's CSMS→station CALLs on a 2.0.1 connection (an `EmbeddedChannel`, virtual time).
@Suite("2.0.1 scenario: the CSMS's own CALLs to a 2.0.1 station")
struct V201ScenarioTests {
    static let getVariables: JSONValue = .object([(key: "getVariableData", value: .array([.object([
        (key: "component", value: .object([(key: "name", value: .string("OCPPCommCtrlr"))])),
        (key: "variable", value: .object([(key: "name", value: .string("HeartbeatInterval"))])),
    ])]))])

    static let scenario = CentralSystemScenario(
        seed: 3, remoteStart: .init(after: .seconds(10), idTag: "APP-9"),
        calls: [
            .init(action: .v16(.triggerMessage), when: .boot,
                  payload: .object([(key: "requestedMessage", value: .string("Heartbeat"))])),
            .init(action: .v201(.getVariables), when: .boot, payload: getVariables),
            .init(action: .v201(.requestStopTransaction), when: .every(.seconds(60)),
                  payload: .object([(key: "transactionId", value: .string("{openTransaction}"))])),
        ])

    static func call(_ text: String) throws -> (id: String, action: String, payload: JSONValue) {
        guard case .call(let id, let action, let payload) = try Frame.parse(text) else {
            throw ScenarioSessionTests.NotACall()
        }
        return (id, action, payload)
    }

    @Test("Boot calls of its version only, RequestStartTransaction for an Occupied EVSE, RequestStopTransaction naming the open transaction")
    func connection() throws {
        var configuration = CentralSystemConfiguration()
        configuration.scenario = Self.scenario
        let shared = ConnectionHarness.shared(configuration)
        var cs = try ConnectionHarness.v201(shared: shared)
        let loop = cs.channel.embeddedEventLoop

        let boot = Frame.encodeCall(id: "b1", action: "BootNotification", payload: V201.BootNotificationRequest(
            chargingStation: .init(model: "m", vendorName: "v"), reason: .powerUp).encoded)
        let replies = try cs.send(String(decoding: boot, as: UTF8.self))
        try #require(replies.count == 2, "the boot's answer, then GetVariables (not the 1.6 TriggerMessage): \(replies)")
        let get = try Self.call(replies[1])
        #expect(get.action == "GetVariables")
        _ = try V201.GetVariablesRequest(json: get.payload)
        #expect(try cs.send(#"[3,"\#(get.id)",{"getVariableResult":[{"attributeStatus":"Accepted","attributeValue":"300","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}]"#).isEmpty)

        // EVSE 1 Occupied for 10 s without Authorize: RequestStartTransaction.
        _ = try cs.call(V201.StatusNotificationRequest(timestamp: ConnectionHarness.now, connectorStatus: .occupied,
                                                       evseId: 1, connectorId: 1))
        loop.advanceTime(by: .seconds(10))
        let remote = try cs.written()
        try #require(remote.count == 1)
        let start = try Self.call(remote[0])
        #expect(start.action == "RequestStartTransaction")
        let request = try V201.RequestStartTransactionRequest(json: start.payload)
        #expect(request.evseId == 1)
        #expect(request.idToken.idToken == "APP-9")
        #expect(request.idToken.type == .central)
        #expect(try cs.send(#"[3,"\#(start.id)",{"status":"Accepted"}]"#).isEmpty)

        // The station starts the transaction with the remote idToken; 60 s after the boot the
        // periodic RequestStopTransaction names it.
        try cs.event(.started, "T-77", seqNo: 0, trigger: .remoteStart, token: "APP-9")
        loop.advanceTime(by: .seconds(50))
        let stop = try cs.written()
        try #require(stop.count == 1)
        let stopCall = try Self.call(stop[0])
        #expect(stopCall.action == "RequestStopTransaction")
        #expect(stopCall.payload == .object([(key: "transactionId", value: .string("T-77"))]))
        #expect(try cs.send(#"[3,"\#(stopCall.id)",{"status":"Accepted"}]"#).isEmpty)

        let sent = cs.stats.callsSent
        #expect(sent[.v201(.getVariables)]?.results == ["Result": 1])
        #expect(sent[.v201(.requestStartTransaction)]?.results == ["Accepted": 1])
        #expect(sent[.v201(.requestStopTransaction)]?.results == ["Accepted": 1])
        #expect(sent[.v16(.triggerMessage)] == nil)

        // A 1.6 charge point on the same CSMS gets the 1.6 call and none of the 2.0.1 ones.
        let old = try ConnectionHarness(id: "CP-16", shared: shared)
        let oldBoot = Frame.encodeCall(id: "b2", action: "BootNotification", payload: V16.BootNotificationRequest(
            chargePointVendor: "v", chargePointModel: "m").encoded)
        let oldReplies = try old.send(String(decoding: oldBoot, as: UTF8.self))
        try #require(oldReplies.count == 2)
        #expect(try Self.call(oldReplies[1]).action == "TriggerMessage")
    }
}

/// The embedded CSMS over real loopback sockets with 2.0.1 stations: a tiny client, and the
/// 2.0.1 engine of this repository (`ChargePointV201`) driven by a minimal shell.
@Suite("2.0.1 over loopback sockets")
struct V201LoopbackTests {
    static let logger = Logger(label: "csms-test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("A station offering ocpp2.0.1 boots; a server restricted to 1.6 refuses it with 400",
          .timeLimit(.minutes(1)))
    func subprotocol() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = CentralSystemServer(configuration: .init(), group: group, logger: Self.logger)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let client = try await TinyWebSocketClient.connect(port: port, path: "/ocpp/CS-1",
                                                           subprotocol: "ocpp2.0.1, ocpp1.6", group: group)
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .upgraded(subprotocol: "ocpp2.0.1"))
        let boot = V201.BootNotificationRequest(chargingStation: .init(model: "Sim", vendorName: "ocpp-fleet"), reason: .powerUp)
        client.send(String(decoding: Frame.encodeCall(id: "b1", action: "BootNotification", payload: boot.encoded),
                           as: UTF8.self))
        guard case .text(let text) = await events.next(), case .callResult("b1", let payload) = try Frame.parse(text) else {
            Issue.record("no CALLRESULT to the boot")
            return
        }
        #expect(try V201.BootNotificationResponse(json: payload).status == .accepted)
        #expect(server.stats.connectionsByVersion == [.v201: 1])
        try await server.shutdown()

        var restricted = CentralSystemConfiguration()
        restricted.ocppVersions = [.v16]
        let only16 = CentralSystemServer(configuration: restricted, group: group, logger: Self.logger)
        let port16 = try await only16.start(host: "127.0.0.1", port: 0)
        let refused = try await TinyWebSocketClient.connect(port: port16, path: "/ocpp/CS-2", subprotocol: "ocpp2.0.1",
                                                            group: group)
        var refusedEvents = refused.events.makeAsyncIterator()
        #expect(await refusedEvents.next() == .httpStatus(400))
        #expect(only16.stats.handshakesRejected == 1)
        try await only16.shutdown()
        try await group.shutdownGracefully()
    }

    /// One `ChargePointV201` on a tiny WebSocket client: inputs in, `.send` outputs written.
    struct Station {
        var engine: ChargePointV201
        let client: TinyWebSocketClient
        /// What the engine reported, for the test's checks.
        var events: [EngineEvent] = []

        static var now: Timestamp { Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())) }

        mutating func input(_ body: (inout ChargePointV201, Timestamp, inout [EngineOutput]) -> Void) {
            var out: [EngineOutput] = []
            body(&engine, Self.now, &out)
            for output in out {
                switch output {
                case .send(let bytes): client.send(String(decoding: bytes, as: UTF8.self))
                case .event(let event): events.append(event)
                case .reboot, .reconnect: Issue.record("the station was asked to \(output)")
                }
            }
        }

        /// Nothing in flight and no transaction message waiting.
        var idle: Bool { !engine.hasCallInFlight && engine.pendingTransactionMessages == 0 }
    }

    /// CSMS→station operations sent at boot, each with the status the engine should answer.
    static let bootCalls: [(action: V201.Action, payload: JSONValue, status: String)] = [
        (.getVariables, V201ScenarioTests.getVariables, "Result"),
        (.setVariables, .object([(key: "setVariableData", value: .array([.object([
            (key: "attributeValue", value: .string("120")),
            (key: "component", value: .object([(key: "name", value: .string("OCPPCommCtrlr"))])),
            (key: "variable", value: .object([(key: "name", value: .string("HeartbeatInterval"))])),
        ])]))]), "Result"),
        (.getBaseReport, .object([(key: "requestId", value: .integer(7)), (key: "reportBase", value: .string("FullInventory"))]),
         "Accepted"),
        (.triggerMessage, .object([(key: "requestedMessage", value: .string("Heartbeat"))]), "Accepted"),
        (.changeAvailability, .object([(key: "operationalStatus", value: .string("Operative"))]), "Accepted"),
    ]

    /// The session the test plays: a card session on EVSE 1, then a car on EVSE 2 that waits
    /// for the scenario's remote start.
    enum Phase { case booting, cardSession, cardUnplugged, remoteWait, remoteUnplugged, done }

    /// The next phase once the station has done what the current one waits for (nothing in
    /// flight, nothing queued), with the inputs that start it.
    static func next(after phase: Phase, _ station: inout Station) -> Phase {
        let ev = EVProfile(maxPowerW: 11_000)
        guard station.idle else { return phase }
        let engine = station.engine
        switch phase {
        case .booting:
            guard engine.isAccepted else { return phase }
            // The card first, then the cable: the driver identified before the EVSE is Occupied.
            station.input { $0.presentIdTag("TAG-LOOP", connector: 1, now: $1, into: &$2) }
            station.input { $0.plugIn(connector: 1, ev: ev, now: $1, into: &$2) }
            return .cardSession
        case .cardSession:
            guard engine.transactionId(evse: 1) != nil else { return phase }
            station.input { $0.unplug(connector: 1, now: $1, into: &$2) }
            return .cardUnplugged
        case .cardUnplugged:
            guard engine.openTransactions == 0 else { return phase }
            // No card this time: the scenario's remote start comes after 2 s.
            station.input { $0.plugIn(connector: 2, ev: ev, now: $1, into: &$2) }
            return .remoteWait
        case .remoteWait:
            guard engine.transactionId(evse: 2) != nil else { return phase }
            station.input { $0.unplug(connector: 2, now: $1, into: &$2) }
            return .remoteUnplugged
        case .remoteUnplugged:
            return engine.openTransactions == 0 ? .done : phase
        case .done:
            return .done
        }
    }

    @Test("ChargePointV201 against the embedded CSMS: boot-time operations, a card session, a remote start from the scenario; no faults either side",
          .timeLimit(.minutes(1)))
    func engine() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = CentralSystemConfiguration()
        configuration.scenario = CentralSystemScenario(
            // 2 s: long enough that EVSE 1's card session (Occupied, then Authorize and a
            // TransactionEvent with the idToken) never waits that long, even on a loaded machine.
            seed: 1, remoteStart: .init(after: .seconds(2), idTag: "APP-LOOP"),
            calls: Self.bootCalls.map { .init(action: .v201($0.action), when: .boot, payload: $0.payload) })
        let server = CentralSystemServer(configuration: configuration, group: group, logger: Self.logger)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let client = try await TinyWebSocketClient.connect(port: port, path: "/ocpp/CS-LOOP", subprotocol: "ocpp2.0.1",
                                                           group: group)
        var station = Station(engine: ChargePointV201(identity: ChargePointIdentity(
            id: "CS-LOOP", vendor: "ocpp-fleet", model: "Sim-22", connectors: 2)), client: client)

        var phase = Phase.booting
        for await event in client.events {
            switch event {
            case .upgraded(let subprotocol):
                #expect(subprotocol == "ocpp2.0.1")
                station.input { $0.connected(now: $1, into: &$2) }
            case .text(let text):
                station.input { $0.received(Array(text.utf8), now: $1, into: &$2) }
            case .closed, .httpStatus:
                Issue.record("the connection ended: \(event)")
            }
            phase = Self.next(after: phase, &station)
            if phase == .done { break }
        }
        #expect(phase == .done)
        #expect(station.events.contains(.remoteStartAccepted(connector: 2)))
        let faults = station.events.filter { event in
            if case .protocolFault = event { return true }
            if case .callErrored = event { return true }
            if case .callTimedOut = event { return true }
            if case .authorizationFailed = event { return true }
            return false
        }
        #expect(faults.isEmpty, "\(faults)")

        let stats = server.stats
        try await server.shutdown()
        try await group.shutdownGracefully()
        #expect(stats.transactionEvents.started == 2)
        #expect(stats.transactionEvents.ended == 2)
        #expect(stats.transactionEvents.open == 0)
        #expect(stats.violations.total == 0, "\(stats.violations)")
        #expect(stats.callErrorsSent.isEmpty, "\(stats.callErrorsSent)")
        #expect(stats.received(.v201(.authorize)) >= 1)
        for (action, status) in Self.bootCalls.map({ ($0.action, $0.status) }) + [(.requestStartTransaction, "Accepted")] {
            #expect(stats.callsSent[.v201(action)]?.results == [status: 1], "\(action): \(String(describing: stats.callsSent[.v201(action)]))")
        }
        #expect(stats.received(.v201(.notifyReport)) >= 1, "GetBaseReport's report")
    }
}
