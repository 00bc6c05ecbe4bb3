import FleetSpec
import NIOCore

/// What a `TimerWheel` wakes: a charge point's single timer. `generation` tells a live entry
/// from one that a re-arm or cancel has replaced.
protocol WheelTimerTarget: AnyObject {
    func wheelTimerFired(generation: UInt32)
}

/// The charge points' timers of one event loop: a hashed timing wheel of `tickNanos` slots
/// (20 ms in a real-time run, see ``tickNanos(forTimeScale:)``) behind a single NIO scheduled task
/// armed for the next occupied slot.
///
/// Why: with one NIO `scheduleTask` per charge point, NIO's heap of scheduled tasks holds every
/// charge point of the loop, and each pop sifts `ScheduledTask` values (closures and promises,
/// retained and released on every copy) through ~12 levels: 9% of the fleet's CPU at 4,000
/// charge points (`docs/performance.md`). Here arming is an append to the slot's array and
/// firing walks one slot; re-arming and cancelling leave the old entry behind, skipped by its
/// generation. Deadlines are rounded up to the next tick, so timers that fall in the same tick fire
/// in one wake-up: never early, at most one tick late. Confined to the loop, like the charge points
/// it serves.
final class TimerWheel {
    struct Entry {
        var tick: Int64
        var generation: UInt32
        var target: any WheelTimerTarget
    }

    /// The width of a slot: how far a timer may fire after its deadline.
    let tickNanos: Int64
    static let slotCount = 4096
    private static let mask = Int64(slotCount - 1)

    /// The slot width for `run.timerSlack` (20 ms by default). Every wake-up of a loop costs more
    /// than the OCPP work it does at a few hundred calls per second, and so does each wake-up of
    /// the CSMS that the writes cause; charge points whose heartbeats, meter values and behaviour
    /// steps fall in the same slot send in one wake-up and their answers come back together.
    /// Measured with `benchmarks/fleet-bench` at 1,000 charge points (docs/performance.md, "Timer
    /// slack"): 1 ms slots 162–172 µs of client CPU per call, 5 ms 145–152, 20 ms 93–127, 50 ms
    /// 84–86. The price: timers up to a slot late (in `responseFromIntended`, where it belongs),
    /// and a slot's sends leave as one burst, so an answer that arrives while the loop is still
    /// sending waits for the burst: against `serve` on loopback the latency p50 read 0.2–0.3 ms
    /// with 1 ms slots, 0.45 ms with 20 ms, 0.75–1.1 ms with 50 ms. With a time scale s the slot
    /// is the slack / s of wall-clock time (at least 1 ms), so timers keep within the slack of
    /// simulated time.
    static func tickNanos(forTimeScale scale: Double, slack: Duration = RunSettings.defaultTimerSlack) -> Int64 {
        let coalescing = Double(slack / .nanoseconds(1))
        guard scale.isFinite, scale > 0 else { return 1_000_000 }
        return Int64(min(coalescing, max(1_000_000, (coalescing / scale).rounded())))
    }

    init(tickNanos: Int64 = 1_000_000) {
        precondition(tickNanos > 0)
        self.tickNanos = tickNanos
    }

    private var slots: [[Entry]] = Array(repeating: [], count: TimerWheel.slotCount)
    /// One bit per slot that holds entries, for finding the next occupied slot.
    private var occupied = [UInt64](repeating: 0, count: TimerWheel.slotCount / 64)
    /// Ticks up to this one have been processed.
    private var processed: Int64?
    private var armedTick: Int64?
    private var armed: Scheduled<Void>?
    private var loop: (any EventLoop)?
    private var spare: [Entry] = []
    /// While slots run, new entries wait for the arming at the end of `fire`.
    private var firing = false
    private(set) var entries = 0

    /// Wakes `target` at `deadline` (rounded up to the tick) with `generation`.
    func schedule(_ target: any WheelTimerTarget, generation: UInt32, at deadline: NIODeadline, on loop: any EventLoop) {
        self.loop = loop
        let nanos = Int64(clamping: deadline.uptimeNanoseconds)
        var tick = (nanos + tickNanos - 1) / tickNanos
        if let processed, tick <= processed { tick = processed + 1 }
        let slot = Int(tick & Self.mask)
        slots[slot].append(Entry(tick: tick, generation: generation, target: target))
        occupied[slot >> 6] |= 1 << UInt64(slot & 63)
        entries += 1
        if !firing, armedTick.map({ tick < $0 }) ?? true { arm(at: tick) }
    }

    private func arm(at tick: Int64) {
        guard let loop else { return }
        armed?.cancel()
        armedTick = tick
        armed = loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(tick * tickNanos))) {
            self.fire()
        }
    }

    /// Runs every slot from the last processed tick up to now, then arms for the next occupied one.
    private func fire() {
        armed = nil
        armedTick = nil
        firing = true
        defer { firing = false }
        // The loop's clock: real time on a NIO loop, virtual time on an `EmbeddedEventLoop` in tests.
        let now = Int64(clamping: (loop?.now ?? .now()).uptimeNanoseconds) / tickNanos
        var tick = processed.map { $0 + 1 } ?? now - Int64(Self.slotCount) + 1
        // A stall longer than the wheel: every slot is due once.
        if now - tick >= Int64(Self.slotCount) { tick = now - Int64(Self.slotCount) + 1 }
        while tick <= now {
            processed = tick
            run(slot: Int(tick & Self.mask), upTo: now)
            tick += 1
        }
        processed = now
        firing = false
        if let next = nextOccupiedTick(after: now) { arm(at: next) }
    }

    private func run(slot: Int, upTo now: Int64) {
        guard occupied[slot >> 6] & (1 << UInt64(slot & 63)) != 0 else { return }
        swap(&slots[slot], &spare)
        occupied[slot >> 6] &= ~(1 << UInt64(slot & 63))
        for entry in spare {
            if entry.tick <= now {
                entries -= 1
                entry.target.wheelTimerFired(generation: entry.generation)
            } else {
                // A later turn of the wheel.
                slots[slot].append(entry)
                occupied[slot >> 6] |= 1 << UInt64(slot & 63)
            }
        }
        spare.removeAll(keepingCapacity: true)
    }

    /// The tick of the next occupied slot after `now` (within one turn), from the bitmap.
    private func nextOccupiedTick(after now: Int64) -> Int64? {
        guard entries > 0 else { return nil }
        let start = Int((now + 1) & Self.mask)
        var index = start
        var scanned = 0
        while scanned < Self.slotCount {
            let word = index >> 6
            let bits = occupied[word] >> UInt64(index & 63)
            if bits != 0 {
                let found = index + bits.trailingZeroBitCount
                let distance = (found - start + Self.slotCount) & Int(Self.mask)
                return now + 1 + Int64(distance)
            }
            let step = 64 - (index & 63)
            scanned += step
            index = (index + step) & Int(Self.mask)
        }
        return nil
    }
}

@available(*, unavailable)
extension TimerWheel: Sendable {}
