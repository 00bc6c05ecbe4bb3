import ChargePoint
import FleetSpec
import OCPP
import Testing

@testable import Fleet

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
            arrival: .constant(60), plugToAuthorize: .constant(5), chargeDuration: .constant(1200),
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
            arrival: .constant(60), plugToAuthorize: .constant(5), chargeDuration: .constant(600),
            unplugDelay: .constant(10), powerKW: .constant(11), remoteStartShare: 1))
        chargePoint.run(for: 3600)
        #expect(chargePoint.started == 0, "nobody sent RemoteStartTransaction, so no session may start")
        #expect(chargePoint.csms.frames.contains { $0.contains(#""Preparing""#) })
    }
}
