import FleetSpec
import OCPP

/// Exponential back-off with full jitter: retry n waits a uniform random time in
/// 0…min(max, initial × 2ⁿ). Each charge point draws from its own stream, so after a CSMS
/// restart the fleet comes back spread over the whole window, not in synchronized waves.
struct ReconnectBackoff: Sendable, Equatable {
    var initial: Interval
    var max: Interval

    /// The cap of retry `attempt` (0 for the first).
    func cap(attempt: Int) -> Interval {
        let doublings = Swift.min(attempt, 40)
        let scaled = Double(initial.microseconds) * Double(1 << UInt64(doublings))
        return Interval(microseconds: Int64(Swift.min(Double(max.microseconds), scaled)))
    }

    func delay(attempt: Int, using random: inout SplitMix64) -> Interval {
        let cap = cap(attempt: attempt).microseconds
        guard cap > 0 else { return .zero }
        return Interval(microseconds: Int64(random.next() % UInt64(cap + 1)))
    }
}
