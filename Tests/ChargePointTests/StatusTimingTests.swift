import Testing
@testable import ChargePoint
@testable import OCPP

@Suite("Status reporting and MinimumStatusDuration (OCPP 1.6 §9.1.21)")
struct StatusTimingTests {
    func statuses(_ csms: ScriptedCSMS, connector: Int = 1) throws -> [V16.ChargePointStatus] {
        try csms.calls(.statusNotification).map { try $0.decode(V16.StatusNotificationRequest.self) }
            .filter { $0.connectorId == connector }.map(\.status)
    }

    @Test("With MinimumStatusDuration a status is reported only once it has held that long")
    func minimumDurationDelays() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MinimumStatusDuration", "5")], heartbeat: 86_400)
        let before = try statuses(csms)
        csms.plugIn(1)
        csms.advance(by: .seconds(4))
        #expect(try statuses(csms) == before, "Preparing has held 4 s only")
        csms.advance(by: .seconds(2))
        #expect(try statuses(csms) == before + [.preparing])
        let report = try #require(csms.calls(.statusNotification).last)
        #expect(report.sentAt >= csms.now + .seconds(-2))
    }

    @Test("A status that changes back within MinimumStatusDuration is never reported")
    func flickerSuppressed() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MinimumStatusDuration", "10")], heartbeat: 86_400)
        let before = try statuses(csms)
        csms.plugIn(1)
        csms.advance(by: .seconds(3))
        csms.unplug(1)
        csms.advance(by: .seconds(30))
        #expect(try statuses(csms) == before, "Available → Preparing → Available inside 10 s sends nothing")
        // Only the last of several changes is reported.
        csms.plugIn(1)
        csms.advance(by: .seconds(1))
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(30))
        #expect(try statuses(csms).suffix(1) == [.charging])
        #expect(try !statuses(csms).dropFirst(before.count).contains(.preparing))
    }

    @Test("Without MinimumStatusDuration every change is reported at once")
    func noMinimum() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 86_400)
        let before = try statuses(csms)
        csms.plugIn(1)
        csms.unplug(1)
        csms.advance(by: .seconds(1))
        #expect(try statuses(csms) == before + [.preparing, .available])
    }
}
