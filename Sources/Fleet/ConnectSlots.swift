import NIOCore

/// How many connection attempts (TCP connect and WebSocket upgrade) one event loop's charge
/// points have in flight at once, and who waits for a free slot, in order of asking.
///
/// Without a bound, a fleet released at once (50,000 charge points on smoke.yaml's 5 s ramp) puts
/// every `connect` on the loops together: the system calls and the handshakes then take longer than
/// the 10 s connect timeout, every attempt times out and retries, and the retries keep the loops
/// busy with attempts that never finish (measured: 3,494 of 50,000 connected and 280,503 connect
/// timeouts, or none connected after 110 s; with the bound 40,221, `docs/performance.md`). With a
/// bound, attempts queue in memory instead of in the kernel and each one that starts has the time
/// to finish. One per loop, used on that loop only.
struct ConnectSlots<Waiter: AnyObject> {
    /// Attempts in flight per loop. Measured against 256 (two sessions, release): more charge
    /// points connected in the 50,000 trial (40,221 against 34,562) and a faster burst of 5,000
    /// (1,014 and 1,175 against 834 to 1,036 boots/s), though still 2–3× slower than without a
    /// bound, since the burst now connects in waves.
    static var defaultLimit: Int { 1024 }

    let limit: Int
    private(set) var inFlight = 0
    private var waiting = CircularBuffer<Waiter>()

    init(limit: Int = Self.defaultLimit) {
        precondition(limit > 0, "at least one connection attempt must be allowed")
        self.limit = limit
    }

    var waitingCount: Int { waiting.count }

    /// True: `waiter` may start its attempt now (its slot is taken). False: it waits, and
    /// ``release()`` hands it a slot later.
    mutating func take(for waiter: Waiter) -> Bool {
        if inFlight < limit {
            inFlight += 1
            return true
        }
        waiting.append(waiter)
        return false
    }

    /// An attempt ended (opened or failed): its slot goes to the first waiter, returned with the
    /// slot already taken for it, or back to the pool (nil).
    mutating func release() -> Waiter? {
        precondition(inFlight > 0, "a connection slot released that was never taken")
        guard let next = waiting.popFirst() else {
            inFlight -= 1
            return nil
        }
        return next
    }
}
