import Foundation
import NIOCore
import OCPP

/// The fleet's only clock: monotonic (NIO's uptime clock) and anchored to wall time once
/// at start, so OCPP timestamps read as real time while latencies and timers never jump.
///
/// With a time scale s (`run.timeScale`), simulated time runs s times as fast as the wall
/// clock from the start: every engine and behaviour time (OCPP intervals, sessions,
/// timestamps in messages) is simulated time, every timer falls due after 1/s of it in
/// wall-clock time. Network matters stay in wall-clock time: latencies, call timeouts
/// (scaled on the way in), reconnect back-off, the ramp and the run's duration.
public struct FleetClock: Sendable {
    let wallStartMicros: Int64
    let uptimeStartNanos: UInt64
    /// Simulated seconds per wall-clock second; 1 is real time.
    public let scale: Double

    public init(scale: Double = 1) {
        precondition(scale > 0 && scale.isFinite, "time scale must be positive")
        self.scale = scale
        wallStartMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        uptimeStartNanos = NIODeadline.now().uptimeNanoseconds
    }

    public func now() -> Timestamp {
        let elapsed = NIODeadline.now().uptimeNanoseconds &- uptimeStartNanos
        return Timestamp(microseconds: wallStartMicros + simulatedMicros(wallNanos: elapsed))
    }

    /// Real time, whatever the scale: for what is measured against the wall clock (the time
    /// series, progress, the run's duration).
    public func wallNow() -> Timestamp {
        let elapsed = NIODeadline.now().uptimeNanoseconds &- uptimeStartNanos
        return Timestamp(microseconds: wallStartMicros + Int64(elapsed / 1000))
    }

    func deadline(_ time: Timestamp) -> NIODeadline {
        let offset = max(0, time.microseconds - wallStartMicros)
        let wallMicros = scale == 1 ? offset : Int64((Double(offset) / scale).rounded(.up))
        return .uptimeNanoseconds(uptimeStartNanos + UInt64(wallMicros) * 1000)
    }

    /// A simulated interval as the wall-clock time it takes.
    public func wall(_ interval: Interval) -> Interval {
        scale == 1 ? interval : Interval(microseconds: Int64((Double(interval.microseconds) / scale).rounded()))
    }

    /// A wall-clock interval as the simulated time that passes meanwhile.
    public func simulated(_ interval: Interval) -> Interval {
        scale == 1 ? interval : Interval(microseconds: Int64((Double(interval.microseconds) * scale).rounded()))
    }

    private func simulatedMicros(wallNanos: UInt64) -> Int64 {
        let micros = Int64(wallNanos / 1000)
        return scale == 1 ? micros : Int64((Double(micros) * scale).rounded(.down))
    }
}
