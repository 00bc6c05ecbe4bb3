import ChargePoint
import FleetSpec
import OCPP
import Testing

@testable import Fleet

/// A CSMS that accepts everything at once, for driving engine + driver on a virtual clock.
struct AcceptingCSMS {
    var nextTransactionId = 100
    var transactionsOpen: Set<Int> = []
    var frames: [String] = []

    mutating func answer(_ bytes: [UInt8], now: Timestamp) -> [UInt8]? {
        frames.append(String(decoding: bytes, as: UTF8.self))
        guard case let .call(id, action, payload) = try? Frame.parse(bytes) else { return nil }
        let response: [UInt8]
        switch V16.Action(rawValue: action) {
        case .bootNotification:
            response = V16.BootNotificationResponse(status: .accepted, currentTime: now, interval: 60).encoded
        case .heartbeat:
            response = V16.HeartbeatResponse(currentTime: now).encoded
        case .authorize:
            response = V16.AuthorizeResponse(idTagInfo: V16.IdTagInfo(status: .accepted)).encoded
        case .startTransaction:
            nextTransactionId += 1
            transactionsOpen.insert(nextTransactionId)
            response = V16.StartTransactionResponse(idTagInfo: V16.IdTagInfo(status: .accepted),
                                                    transactionId: nextTransactionId).encoded
        case .stopTransaction:
            if let request = try? V16.StopTransactionRequest(json: payload) {
                transactionsOpen.remove(request.transactionId)
            }
            response = V16.StopTransactionResponse().encoded
        default:
            response = Array("{}".utf8)
        }
        return Frame.encodeCallResult(id: id, payload: response)
    }
}

/// One charge point with its driver, run on a virtual clock against `AcceptingCSMS`.
struct VirtualChargePoint {
    var engine: ChargePointV16
    var driver: SessionDriver
    var csms = AcceptingCSMS()
    var now = Timestamp(seconds: 1_790_000_000)
    var started = 0
    var stopped = 0

    init(seed: UInt64, behaviour: BehaviourSpec = BehaviourSpec(
        idleBetweenSessions: .uniform(lower: 60, upper: 600), plugToAuthorize: .uniform(lower: 2, upper: 10),
        chargeDuration: .exponential(mean: 1800), unplugDelay: .uniform(lower: 5, upper: 60), powerKW: .constant(11))) {
        engine = ChargePointV16(identity: ChargePointIdentity(id: "CP-1", vendor: "ocpp-fleet", model: "sim", connectors: 2))
        driver = SessionDriver(behaviour: behaviour, chargePointIndex: 1, connectors: 2, seed: seed)
    }

    mutating func process(_ outputs: [EngineOutput]) {
        var pending = outputs
        while !pending.isEmpty {
            var next: [EngineOutput] = []
            for output in pending {
                switch output {
                case .send(let bytes):
                    if let reply = csms.answer(bytes, now: now) { engine.received(reply, now: now, into: &next) }
                case .reboot, .reconnect:
                    break
                case .event(let event):
                    if case .transactionStarted = event { started += 1 }
                    if case .transactionStopped = event { stopped += 1 }
                    driver.handle(event, now: now)
                }
            }
            pending = next
        }
    }

    mutating func run(for seconds: Int64) {
        var out: [EngineOutput] = []
        engine.connected(now: now, into: &out)
        driver.begin(now: now)
        process(out)
        let end = now + Interval(microseconds: seconds * 1_000_000)
        while let wake = [engine.nextWakeup, driver.nextWakeup].compactMap({ $0 }).min(), wake <= end {
            now = max(now, wake)
            out = []
            engine.tick(now: now, into: &out)
            driver.tick(now: now, engine: &engine, into: &out)
            process(out)
        }
        now = end
        out = []
        driver.stop()
        engine.stopAllTransactions(now: now, into: &out)
        process(out)
    }
}

@Suite("Session driver on a virtual clock")
struct SessionDriverTests {
    @Test("A day of sessions: every transaction that starts also stops, none stays open on the CSMS")
    func dayOfSessions() {
        var chargePoint = VirtualChargePoint(seed: 42)
        chargePoint.run(for: 24 * 3600)
        #expect(chargePoint.started > 20)
        #expect(chargePoint.started == chargePoint.stopped)
        #expect(chargePoint.csms.transactionsOpen.isEmpty)
        #expect(chargePoint.engine.openTransactions == 0)
        #expect(chargePoint.engine.pendingTransactionMessages == 0)
        #expect(chargePoint.csms.frames.contains { $0.contains(#""MeterValues""#) })
    }

    @Test("The same seed gives byte-identical traffic; another seed does not")
    func determinism() {
        var first = VirtualChargePoint(seed: 7)
        var second = VirtualChargePoint(seed: 7)
        var other = VirtualChargePoint(seed: 8)
        first.run(for: 6 * 3600)
        second.run(for: 6 * 3600)
        other.run(for: 6 * 3600)
        #expect(first.csms.frames == second.csms.frames)
        #expect(first.csms.frames != other.csms.frames)
    }

    @Test("Sessions follow the profile: the mean charge duration is close to the configured mean")
    func chargeDurations() {
        var chargePoint = VirtualChargePoint(seed: 3, behaviour: BehaviourSpec(
            idleBetweenSessions: .constant(60), plugToAuthorize: .constant(5), chargeDuration: .constant(1200),
            unplugDelay: .constant(30), powerKW: .constant(7.2)))
        chargePoint.run(for: 12 * 3600)
        // Each cycle: 60 s idle + 5 s + 1200 s charging + 30 s ≈ 1295 s, two connectors.
        let cycles = 2 * 12 * 3600 / 1295
        #expect(abs(chargePoint.started - cycles) <= 2)
        // 7.2 kW for 1200 s is 2400 Wh per session, give or take rounding.
        let stops = chargePoint.csms.frames.filter { $0.contains(#""StopTransaction""#) }
        #expect(!stops.isEmpty)
    }

    @Test("An app session waits for RemoteStartTransaction and gives up without one")
    func appSessionWithoutRemoteStart() {
        var chargePoint = VirtualChargePoint(seed: 5, behaviour: BehaviourSpec(
            idleBetweenSessions: .constant(60), plugToAuthorize: .constant(5), chargeDuration: .constant(600),
            unplugDelay: .constant(10), powerKW: .constant(11), remoteStartShare: 1))
        chargePoint.run(for: 3600)
        #expect(chargePoint.started == 0, "nobody sent RemoteStartTransaction, so no session may start")
        #expect(chargePoint.csms.frames.contains { $0.contains(#""Preparing""#) })
    }
}
