@testable import CentralSystem
import NIOCore
import NIOEmbedded
import OCPP
import Testing

/// The scenario's state machine without I/O: time is an input, nothing waits.
@Suite("Scenario: the CSMS's own CALLs")
struct ScenarioSessionTests {
    static let wall = Timestamp(seconds: 1_764_120_000)
    static let profile: JSONValue = .object([
        (key: "connectorId", value: .integer(0)),
        (key: "csChargingProfiles", value: .object([
            (key: "chargingProfileId", value: .integer(1)), (key: "stackLevel", value: .integer(0)),
            (key: "chargingProfilePurpose", value: .string("TxDefaultProfile")),
            (key: "chargingProfileKind", value: .string("Relative")),
            (key: "chargingSchedule", value: .object([
                (key: "chargingRateUnit", value: .string("A")),
                (key: "chargingSchedulePeriod", value: .array([.object([
                    (key: "startPeriod", value: .integer(0)), (key: "limit", value: .number(16)),
                ])])),
            ])),
        ])),
    ])

    static let scenario = CentralSystemScenario(
        seed: 7, remoteStart: .init(after: .seconds(10), idTag: "APP-1"),
        calls: [
            .init(action: .v16(.setChargingProfile), when: .boot, payload: profile),
            .init(action: .v16(.triggerMessage), when: .every(.seconds(60)),
                  payload: .object([(key: "requestedMessage", value: .string("Heartbeat"))])),
            .init(action: .v16(.remoteStopTransaction), when: .at(.seconds(300)),
                  payload: .object([(key: "transactionId", value: .string("{openTransaction}"))])),
        ])

    static func booted() -> MessageTally {
        var tally = MessageTally()
        tally.action = .v16(.bootNotification)
        tally.bootAccepted = true
        return tally
    }

    static func status(_ connector: Int, _ status: V16.ChargePointStatus) -> MessageTally {
        var tally = MessageTally()
        tally.action = .v16(.statusNotification)
        tally.connectorStatus = .init(connectorId: connector, waitingForDriver: status == .preparing)
        return tally
    }

    struct NotACall: Error {}

    static func call(_ bytes: [UInt8]?) throws -> (id: String, action: String, payload: JSONValue) {
        let bytes = try #require(bytes)
        guard case .call(let id, let action, let payload) = try Frame.parse(bytes) else { throw NotACall() }
        return (id, action, payload)
    }

    static func accepted(_ id: String) -> Frame {
        .callResult(id: id, payload: .object([(key: "status", value: .string("Accepted"))]))
    }

    @Test("Nothing is sent before the boot; at boot the boot calls go out one at a time")
    func bootCalls() throws {
        var session = ScenarioSession(scenario: Self.scenario, chargePointId: "CP-1", epoch: .zero)
        let early = session.nextFrame(now: .zero, wall: Self.wall)
        #expect(early == nil)
        session.observed(Self.booted(), now: .seconds(1))
        let first = try Self.call(session.nextFrame(now: .seconds(1), wall: Self.wall))
        #expect(first.action == "SetChargingProfile")
        #expect(first.payload == Self.profile)
        // One CALL in flight: nothing more until it is answered.
        let second = session.nextFrame(now: .seconds(1), wall: Self.wall)
        #expect(second == nil)
        let unknown = session.response(.callResult(id: "other", payload: .object([])))
        #expect(!unknown)
        let matched = session.response(Self.accepted(first.id))
        #expect(matched)
        let counts = session.takeCounts()
        #expect(counts[.v16(.setChargingProfile)]?.sent == 1)
        #expect(counts[.v16(.setChargingProfile)]?.results == ["Accepted": 1])
        #expect(session.nextWakeup == .seconds(61), "the periodic trigger, one interval after the boot")
    }

    @Test("Periodic calls repeat; an unanswered one times out and frees the slot")
    func periodicAndTimeout() throws {
        var session = ScenarioSession(scenario: Self.scenario, chargePointId: "CP-1", epoch: .zero)
        session.observed(Self.booted(), now: .zero)
        let boot = try Self.call(session.nextFrame(now: .zero, wall: Self.wall))
        _ = session.response(.callError(id: boot.id, code: "NotSupported", description: "", details: .object([])))
        session.timerFired(now: .seconds(60))
        let trigger = try Self.call(session.nextFrame(now: .seconds(60), wall: Self.wall))
        #expect(trigger.action == "TriggerMessage")
        #expect(trigger.id != boot.id)
        #expect(session.nextWakeup == .seconds(90), "the call timeout (30 s) comes before the next period")
        session.timerFired(now: .seconds(90))
        session.timerFired(now: .seconds(120))
        let again = try Self.call(session.nextFrame(now: .seconds(120), wall: Self.wall))
        #expect(again.action == "TriggerMessage")
        let counts = session.takeCounts()
        #expect(counts[.v16(.setChargingProfile)]?.callErrors == ["NotSupported": 1])
        #expect(counts[.v16(.triggerMessage)]?.sent == 2)
        #expect(counts[.v16(.triggerMessage)]?.timeouts == 1)
        let late = session.response(.callResult(id: trigger.id, payload: .object([])))
        #expect(!late, "a late answer is not ours any more")
    }

    @Test("A connector Preparing without Authorize gets RemoteStartTransaction once")
    func remoteStart() throws {
        var session = ScenarioSession(scenario: .init(remoteStart: .init(after: .seconds(10), idTag: "APP-1")),
                                      chargePointId: "CP-1", epoch: .zero)
        session.observed(Self.booted(), now: .zero)
        session.observed(Self.status(2, .preparing), now: .seconds(5))
        session.observed(Self.status(1, .preparing), now: .seconds(6))
        session.observed(Self.status(2, .available), now: .seconds(7))
        #expect(session.nextWakeup == .seconds(16))
        session.timerFired(now: .seconds(16))
        let remote = try Self.call(session.nextFrame(now: .seconds(16), wall: Self.wall))
        #expect(remote.action == "RemoteStartTransaction")
        #expect(remote.payload == .object([(key: "connectorId", value: .integer(1)), (key: "idTag", value: .string("APP-1"))]))
        _ = session.response(Self.accepted(remote.id))
        #expect(session.nextWakeup == nil, "once per Preparing spell")
        // A card session (Authorize before the delay) gets none.
        var authorize = MessageTally()
        authorize.action = .v16(.authorize)
        authorize.authorizeRequested = true
        session.observed(Self.status(2, .preparing), now: .seconds(20))
        session.observed(authorize, now: .seconds(22))
        session.timerFired(now: .seconds(40))
        let none = session.nextFrame(now: .seconds(40), wall: Self.wall)
        #expect(none == nil)
    }

    @Test("{openTransaction} is filled from this connection's transactions, or the call is skipped")
    func openTransaction() throws {
        var session = ScenarioSession(scenario: Self.scenario, chargePointId: "CP-1", epoch: .zero)
        session.observed(Self.booted(), now: .zero)
        let boot = try Self.call(session.nextFrame(now: .zero, wall: Self.wall))
        _ = session.response(Self.accepted(boot.id))
        session.timerFired(now: .seconds(300))  // the `at` call and a trigger; no transaction open
        let trigger = try Self.call(session.nextFrame(now: .seconds(300), wall: Self.wall))
        #expect(trigger.action == "TriggerMessage")
        _ = session.response(Self.accepted(trigger.id))
        let skipped = session.nextFrame(now: .seconds(301), wall: Self.wall)
        #expect(skipped == nil, "the queued RemoteStopTransaction has no transaction to name")
        #expect(session.takeCounts()[.v16(.remoteStopTransaction)]?.skipped == 1)
        #expect(session.onceSent == [2])

        var other = ScenarioSession(scenario: Self.scenario, chargePointId: "CP-2", epoch: .zero)
        other.observed(Self.booted(), now: .seconds(400))
        var started = MessageTally()
        started.transactionStarted = .number(77)
        started.driverIdentified = 1
        other.observed(started, now: .seconds(400))
        let first = try Self.call(other.nextFrame(now: .seconds(400), wall: Self.wall))
        _ = other.response(Self.accepted(first.id))
        // Booted after the wave's time: it gets the `at` call at once.
        let stop = try Self.call(other.nextFrame(now: .seconds(400), wall: Self.wall))
        #expect(stop.action == "RemoteStopTransaction")
        #expect(stop.payload == .object([(key: "transactionId", value: .integer(77))]))
    }

    @Test("Placeholders: {now±N} are timestamps")
    func placeholders() {
        #expect(ScenarioPlaceholders.nowOffset("{now}") == 0)
        #expect(ScenarioPlaceholders.nowOffset("{now+30s}") == 30_000_000)
        #expect(ScenarioPlaceholders.nowOffset("{now-1h}") == -3_600_000_000)
        #expect(ScenarioPlaceholders.nowOffset("{now+1y}") == nil)
        let filled = ScenarioPlaceholders.fill(.object([(key: "retrieveDate", value: .string("{now+30s}"))]),
                                               now: Self.wall, openTransaction: nil)
        #expect(filled["retrieveDate"] == .string((Self.wall + .seconds(30)).iso8601))
    }

    @Test("Shares pick charge points deterministically from the seed and the id")
    func shares() {
        let payload = JSONValue.object([(key: "requestedMessage", value: .string("Heartbeat"))])
        let scenario = CentralSystemScenario(seed: 42, calls: [.init(action: .v16(.triggerMessage), when: .boot, share: 0.25, payload: payload)])
        let ids = (1...1000).map { "CP-\($0)" }
        let chosen = ids.filter { scenario.selects($0, call: 0) }
        #expect((200...300).contains(chosen.count))
        var reseeded = scenario
        reseeded.seed = 43
        #expect(chosen != ids.filter { reseeded.selects($0, call: 0) })
    }

    @Test("The JSON that `serve --scenario` reads")
    func json() throws {
        let text = #"""
            {"seed":"42","callTimeoutMs":5000,"remoteStart":{"afterMs":10000,"idTag":"APP"},
             "calls":[{"send":"TriggerMessage","when":{"everyMs":120000},"share":0.1,"payload":{"requestedMessage":"MeterValues"}},
                      {"send":"Reset","when":"boot","share":1,"payload":{"type":"Soft"}},
                      {"send":"UpdateFirmware","when":{"atMs":60000},"payload":{"location":"x","retrieveDate":"{now}"}}]}
            """#
        let scenario = try CentralSystemScenario(jsonText: text)
        #expect(scenario.seed == 42)
        #expect(scenario.callTimeout == .seconds(5))
        #expect(scenario.remoteStart == .init(after: .seconds(10), idTag: "APP"))
        #expect(scenario.calls.map(\.action) == [.v16(.triggerMessage), .v16(.reset), .v16(.updateFirmware)])
        #expect(scenario.calls.map(\.when) == [.every(.seconds(120)), .boot, .at(.seconds(60))])
        #expect(throws: CentralSystemScenario.Invalid.self) {
            try CentralSystemScenario(jsonText: #"{"calls":[{"send":"Heartbeat","when":"boot","payload":{}}]}"#)
        }
    }
}

/// The scenario through the real connection handler on an `EmbeddedChannel`, with virtual time.
@Suite("Scenario: CALLs on a connection")
struct ScenarioConnectionTests {
    @Test("Boot, periodic and remote-start CALLs go out, and their answers are counted")
    func connection() throws {
        var configuration = CentralSystemConfiguration()
        configuration.scenario = ScenarioSessionTests.scenario
        let harness = try ConnectionHarness(shared: ConnectionHarness.shared(configuration))
        let loop = harness.channel.embeddedEventLoop

        let boot = Frame.encodeCall(id: "b1", action: "BootNotification",
                                    payload: V16.BootNotificationRequest(chargePointVendor: "v", chargePointModel: "m").encoded)
        let replies = try harness.send(String(decoding: boot, as: UTF8.self))
        try #require(replies.count == 2, "the boot's answer, then the scenario's CALL: \(replies)")
        guard case .callResult("b1", _) = try Frame.parse(replies[0]),
              case .call(let callId, "SetChargingProfile", _) = try Frame.parse(replies[1]) else {
            Issue.record("unexpected frames \(replies)")
            return
        }
        #expect(try harness.send(#"[3,"\#(callId)",{"status":"Accepted"}]"#).isEmpty)
        #expect(try harness.send(#"[3,"nobody-asked",{}]"#).isEmpty)

        // Connector 1 Preparing for 10 s: RemoteStartTransaction.
        let preparing = Frame.encodeCall(id: "s1", action: "StatusNotification", payload: V16.StatusNotificationRequest(
            connectorId: 1, errorCode: .noError, status: .preparing).encoded)
        #expect(try harness.send(String(decoding: preparing, as: UTF8.self)).count == 1)
        loop.advanceTime(by: .seconds(10))
        let remote = try harness.written()
        try #require(remote.count == 1)
        guard case .call(let remoteId, "RemoteStartTransaction", let payload) = try Frame.parse(remote[0]) else {
            Issue.record("expected RemoteStartTransaction, got \(remote)")
            return
        }
        #expect(payload["connectorId"] == .integer(1))
        #expect(try harness.send(#"[4,"\#(remoteId)","NotSupported","no",{}]"#).isEmpty)

        // The trigger 60 s after the boot, left unanswered: a timeout 30 s later.
        loop.advanceTime(by: .seconds(50))
        let trigger = try harness.written()
        #expect(trigger.count == 1 && trigger.first?.contains("TriggerMessage") == true)
        loop.advanceTime(by: .seconds(30))

        let sent = harness.stats.callsSent.reduce(into: [V16.Action: SentCallCounts]()) { if case .v16(let action) = $1.key { $0[action] = $1.value } }
        #expect(sent[.setChargingProfile]?.results == ["Accepted": 1])
        #expect(sent[.remoteStartTransaction]?.callErrors == ["NotSupported": 1])
        #expect(sent[.triggerMessage]?.sent == 1)
        #expect(sent[.triggerMessage]?.timeouts == 1)
        #expect(harness.stats.responsesIgnored == 1)
        #expect(harness.stats.jsonLine.contains(#""RemoteStartTransaction":{"sent":1"#))

        // Closed: the timer is cancelled and nothing more is sent.
        try harness.channel.close().wait()
        loop.advanceTime(by: .seconds(600))
        #expect(try harness.written().isEmpty)
    }
}
