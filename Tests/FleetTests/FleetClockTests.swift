import NIOCore
import OCPP
import Testing
@testable import Fleet

@Suite("The fleet clock and the time scale")
struct FleetClockTests {
    @Test("At time scale 1 simulated and wall-clock intervals are the same")
    func realTime() {
        let clock = FleetClock()
        #expect(clock.wall(.seconds(90)) == .seconds(90))
        #expect(clock.simulated(.milliseconds(250)) == .milliseconds(250))
    }

    @Test("At time scale 60 a simulated hour is a wall-clock minute, and deadlines follow", arguments: [60.0, 2.5, 3600])
    func scaled(scale: Double) {
        let clock = FleetClock(scale: scale)
        #expect(clock.wall(.seconds(3600)) == Interval(microseconds: Int64((3_600_000_000 / scale).rounded())))
        #expect(clock.simulated(.seconds(1)) == Interval(microseconds: Int64(1_000_000 * scale)))
        // A timer one simulated hour after the start falls due 1/scale of it after the start, in wall time.
        let start = clock.deadline(Timestamp(microseconds: clock.wallStartMicros))
        let later = clock.deadline(Timestamp(microseconds: clock.wallStartMicros) + .seconds(3600))
        let wallNanos = Double(later.uptimeNanoseconds - start.uptimeNanoseconds)
        #expect(abs(wallNanos - 3_600e9 / scale) <= 1000)
    }

    @Test("Simulated time runs scale times as fast as the wall clock")
    func nowAdvances() async throws {
        let clock = FleetClock(scale: 1000)
        let first = clock.now()
        let wallBefore = NIODeadline.now()
        try await Task.sleep(for: .milliseconds(20))
        let second = clock.now()
        let wallMicros = Double(NIODeadline.now().uptimeNanoseconds - wallBefore.uptimeNanoseconds) / 1000
        let simulatedMicros = Double((second - first).microseconds)
        // Compared with the wall time actually measured, never with a fixed budget.
        #expect(simulatedMicros >= 1000 * 20_000 * 0.99)
        #expect(simulatedMicros <= 1000 * wallMicros * 1.01 + 1000)
    }
}
