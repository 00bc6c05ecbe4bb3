import Fleet
import Testing

@Suite("Event loops per fleet size")
struct EventLoopCountTests {
    @Test("One loop per 10,000 charge points, at least one, at most one per core")
    func loopsFollowTheFleet() {
        #expect(FleetRunner.eventLoops(forChargePoints: 0, cores: 2) == 1)
        #expect(FleetRunner.eventLoops(forChargePoints: 1, cores: 2) == 1)
        #expect(FleetRunner.eventLoops(forChargePoints: 1_000, cores: 2) == 1)
        #expect(FleetRunner.eventLoops(forChargePoints: 10_000, cores: 2) == 1)
        #expect(FleetRunner.eventLoops(forChargePoints: 10_001, cores: 2) == 2)
        #expect(FleetRunner.eventLoops(forChargePoints: 16_667, cores: 2) == 2)
        #expect(FleetRunner.eventLoops(forChargePoints: 50_000, cores: 2) == 2)
        #expect(FleetRunner.eventLoops(forChargePoints: 50_000, cores: 8) == 5)
        #expect(FleetRunner.eventLoops(forChargePoints: 30_000, cores: 1) == 1)
        #expect(FleetRunner.eventLoops(forChargePoints: 5_000, cores: 0) == 1)
    }
}
