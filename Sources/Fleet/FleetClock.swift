import Foundation
import NIOCore
import OCPP

/// The fleet's only clock: monotonic (NIO's uptime clock) and anchored to wall time once
/// at start, so OCPP timestamps read as real time while latencies and timers never jump.
public struct FleetClock: Sendable {
    let wallStartMicros: Int64
    let uptimeStartNanos: UInt64

    public init() {
        wallStartMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        uptimeStartNanos = NIODeadline.now().uptimeNanoseconds
    }

    public func now() -> Timestamp {
        let elapsed = NIODeadline.now().uptimeNanoseconds &- uptimeStartNanos
        return Timestamp(microseconds: wallStartMicros + Int64(elapsed / 1000))
    }

    func deadline(_ time: Timestamp) -> NIODeadline {
        let offset = max(0, time.microseconds - wallStartMicros)
        return .uptimeNanoseconds(uptimeStartNanos + UInt64(offset) * 1000)
    }
}
