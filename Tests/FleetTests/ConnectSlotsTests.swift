import Testing

@testable import Fleet

@Suite("Connection slots per loop")
struct ConnectSlotsTests {
    final class Waiter {}

    @Test("Up to the limit attempts start at once; the rest wait and get the freed slots in the order they asked")
    func order() {
        var slots = ConnectSlots<Waiter>(limit: 2)
        let (a, b, c, d) = (Waiter(), Waiter(), Waiter(), Waiter())
        let started = [slots.take(for: a), slots.take(for: b), slots.take(for: c), slots.take(for: d)]
        #expect(started == [true, true, false, false])
        #expect(slots.inFlight == 2 && slots.waitingCount == 2)
        let first = slots.release()
        #expect(first === c, "a's slot goes to the first waiter")
        #expect(slots.inFlight == 2 && slots.waitingCount == 1)
        let second = slots.release()
        #expect(second === d)
        let rest = [slots.release(), slots.release()]
        #expect(rest.allSatisfy { $0 == nil })
        #expect(slots.inFlight == 0 && slots.waitingCount == 0)
        let again = slots.take(for: a)
        #expect(again, "a free slot is taken at once")
    }
}
