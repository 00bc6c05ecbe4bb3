@testable import Fleet
import Testing

/// The sampler counts descriptors every second for small fleets (soak checks need the series) and
/// every tenth second once the listing itself would cost real CPU.
@Suite("Descriptor counting cadence of the sampler")
struct DescriptorCadenceTests {
    @Test func countsEverySecondWhileFewDescriptorsAreOpen() {
        var cadence = DescriptorCadence()
        #expect(cadence.isDue(at: 100))
        cadence.counted(330, at: 100)
        #expect(cadence.isDue(at: 101))
        cadence.counted(DescriptorCadence.everySecondBelow - 1, at: 101)
        #expect(cadence.isDue(at: 102))
    }

    @Test func countsEveryTenthSecondForLargeFleets() {
        var cadence = DescriptorCadence()
        cadence.counted(19_500, at: 100)
        #expect(!cadence.isDue(at: 101))
        #expect(!cadence.isDue(at: 109))
        #expect(cadence.isDue(at: 110))
        cadence.counted(3_000, at: 110)   // the fleet shrank: back to every second
        #expect(cadence.isDue(at: 111))
    }

    @Test func anUnreadableCountDoesNotSlowTheCadence() {
        var cadence = DescriptorCadence()
        cadence.counted(nil, at: 100)
        #expect(cadence.isDue(at: 101))
    }
}
