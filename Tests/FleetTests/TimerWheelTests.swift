import NIOCore
import NIOEmbedded
import Testing

@testable import Fleet

/// Records which generations fired, and when (in ms of the embedded loop's clock).
final class RecordingTimerTarget: WheelTimerTarget {
    let loop: EmbeddedEventLoop
    var fired: [(generation: UInt32, atMillis: Int64)] = []
    init(loop: EmbeddedEventLoop) { self.loop = loop }
    func wheelTimerFired(generation: UInt32) {
        fired.append((generation, Int64(loop.now.uptimeNanoseconds / 1_000_000)))
    }
}

@Suite("Timer wheel")
struct TimerWheelTests {
    func deadline(_ loop: EmbeddedEventLoop, millis: Int64) -> NIODeadline {
        loop.now + .milliseconds(millis)
    }

    @Test("A timer fires once, at its deadline rounded up to the millisecond, not before")
    func firesAtDeadline() {
        let loop = EmbeddedEventLoop()
        let wheel = TimerWheel()
        let target = RecordingTimerTarget(loop: loop)
        let start = Int64(loop.now.uptimeNanoseconds / 1_000_000)
        wheel.schedule(target, generation: 1, at: loop.now + .microseconds(2_500), on: loop)
        loop.advanceTime(by: .milliseconds(2))
        #expect(target.fired.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(target.fired.map(\.generation) == [1])
        #expect(target.fired.first?.atMillis == start + 3)
        loop.advanceTime(by: .seconds(10))
        #expect(target.fired.count == 1)
        #expect(wheel.entries == 0)
    }

    @Test("Timers fire in deadline order, and those of the same millisecond in one wake-up")
    func order() {
        let loop = EmbeddedEventLoop()
        let wheel = TimerWheel()
        let a = RecordingTimerTarget(loop: loop), b = RecordingTimerTarget(loop: loop), c = RecordingTimerTarget(loop: loop)
        wheel.schedule(c, generation: 3, at: deadline(loop, millis: 30), on: loop)
        wheel.schedule(a, generation: 1, at: deadline(loop, millis: 10), on: loop)
        wheel.schedule(b, generation: 2, at: loop.now + .microseconds(9_400), on: loop)
        loop.advanceTime(by: .milliseconds(10))
        #expect(a.fired.count == 1 && b.fired.count == 1 && c.fired.isEmpty)
        #expect(a.fired[0].atMillis == b.fired[0].atMillis)
        loop.advanceTime(by: .milliseconds(20))
        #expect(c.fired.count == 1)
    }

    @Test("Coarser slots: timers in the same 20 ms fire in one wake-up, none before its deadline")
    func coalescing() {
        let loop = EmbeddedEventLoop()
        let wheel = TimerWheel(tickNanos: 20_000_000)
        let a = RecordingTimerTarget(loop: loop), b = RecordingTimerTarget(loop: loop), c = RecordingTimerTarget(loop: loop)
        let origin = loop.now.uptimeNanoseconds
        // Line the clock up with a slot boundary, so the slot of each deadline is known.
        loop.advanceTime(by: .nanoseconds(Int64((20_000_000 - origin % 20_000_000) % 20_000_000)))
        wheel.schedule(a, generation: 1, at: deadline(loop, millis: 5), on: loop)
        wheel.schedule(b, generation: 2, at: deadline(loop, millis: 15), on: loop)
        wheel.schedule(c, generation: 3, at: deadline(loop, millis: 25), on: loop)
        loop.advanceTime(by: .milliseconds(19))
        #expect(a.fired.isEmpty && b.fired.isEmpty, "a slot fires at its end, after every deadline in it")
        loop.advanceTime(by: .milliseconds(1))
        #expect(a.fired.count == 1 && b.fired.count == 1 && c.fired.isEmpty)
        #expect(a.fired[0].atMillis == b.fired[0].atMillis)
        loop.advanceTime(by: .milliseconds(20))
        #expect(c.fired.count == 1)
    }

    @Test("The slot is 20 ms of wall-clock time in real time and 20 ms of simulated time when scaled, at least 1 ms")
    func slotWidth() {
        #expect(TimerWheel.tickNanos(forTimeScale: 1) == 20_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 0.5) == 20_000_000, "a slowed clock keeps 20 ms of wall time")
        #expect(TimerWheel.tickNanos(forTimeScale: 4) == 5_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 60) == 1_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 3_600) == 1_000_000)
    }

    @Test("run.timerSlack sets the slot: as given in real time, divided by the time scale, at least 1 ms")
    func slotWidthFromSlack() {
        #expect(TimerWheel.tickNanos(forTimeScale: 1, slack: .milliseconds(1)) == 1_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 1, slack: .milliseconds(50)) == 50_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 10, slack: .milliseconds(50)) == 5_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 10, slack: .milliseconds(5)) == 1_000_000)
        #expect(TimerWheel.tickNanos(forTimeScale: 1, slack: .seconds(1)) == 1_000_000_000)
    }

    @Test("A deadline more than one turn of the wheel ahead waits its turn",
          arguments: [5_000, 30_000, 300_000] as [Int64])
    func beyondOneTurn(millis: Int64) {
        let loop = EmbeddedEventLoop()
        let wheel = TimerWheel()
        let target = RecordingTimerTarget(loop: loop)
        let start = Int64(loop.now.uptimeNanoseconds / 1_000_000)
        wheel.schedule(target, generation: 7, at: deadline(loop, millis: millis), on: loop)
        loop.advanceTime(by: .milliseconds(millis - 1))
        #expect(target.fired.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(target.fired.map(\.atMillis) == [start + millis])
    }

    @Test("An earlier deadline re-arms the wheel; the entry it replaced still arrives with its old generation")
    func rearmEarlier() {
        let loop = EmbeddedEventLoop()
        let wheel = TimerWheel()
        let target = RecordingTimerTarget(loop: loop)
        wheel.schedule(target, generation: 1, at: deadline(loop, millis: 100), on: loop)
        wheel.schedule(target, generation: 2, at: deadline(loop, millis: 20), on: loop)
        loop.advanceTime(by: .milliseconds(20))
        #expect(target.fired.map(\.generation) == [2])
        loop.advanceTime(by: .milliseconds(80))
        // The target tells the stale entry by its generation (SimulatedChargePoint ignores it).
        #expect(target.fired.map(\.generation) == [2, 1])
    }

    @Test("A timer armed while the wheel fires, for a deadline already past, fires at the next tick")
    func armedWhileFiring() {
        let loop = EmbeddedEventLoop()
        let wheel = TimerWheel()
        final class Chain: WheelTimerTarget {
            let wheel: TimerWheel, loop: EmbeddedEventLoop
            var count = 0
            init(wheel: TimerWheel, loop: EmbeddedEventLoop) { self.wheel = wheel; self.loop = loop }
            func wheelTimerFired(generation: UInt32) {
                count += 1
                if count < 3 { wheel.schedule(self, generation: generation + 1, at: loop.now, on: loop) }
            }
        }
        let chain = Chain(wheel: wheel, loop: loop)
        wheel.schedule(chain, generation: 0, at: deadline(loop, millis: 5), on: loop)
        loop.advanceTime(by: .milliseconds(5))
        #expect(chain.count == 1)
        loop.advanceTime(by: .milliseconds(2))
        #expect(chain.count == 3)
        #expect(wheel.entries == 0)
    }
}
