import OCPP

/// A charging profile placed in time: the limit its schedule sets at any instant and the
/// next instant that limit may change (OCPP 1.6 §3.13, §7.8–7.14). Pure: no engine state.
///
/// - A profile applies from `validFrom` (inclusive) to `validTo` (exclusive).
/// - The schedule starts at `startSchedule` (Absolute, Recurring), or at `anchor` for a
///   Relative schedule and for one without `startSchedule` ("relative to the start of
///   charging"): the transaction's start, or an instant the charge point chooses.
/// - A Recurring schedule restarts every day or week from its start; before the first start
///   it does not apply.
/// - Past `duration` (per run for a Recurring one), or before its first period, a schedule
///   sets no limit, and profiles of lower stack levels apply.
struct ScheduledProfile: Sendable {
    let profile: V16.ChargingProfile
    let anchor: Timestamp

    private static let microsecondsPerSecond: Int64 = 1_000_000

    private var schedule: V16.ChargingSchedule { profile.chargingSchedule }

    /// The period of a Recurring schedule in µs; nil for the other kinds.
    private var recurrence: Int64? {
        guard profile.chargingProfileKind == .recurring else { return nil }
        let days: Int64 = profile.recurrencyKind == .weekly ? 7 : 1
        return days * 86_400 * Self.microsecondsPerSecond
    }

    private var origin: Timestamp {
        profile.chargingProfileKind == .relative ? anchor : (schedule.startSchedule ?? anchor)
    }

    /// The start of the run of the schedule that covers `t`; nil before the first.
    private func runStart(at t: Timestamp) -> Timestamp? {
        let origin = origin
        guard t >= origin else { return nil }
        guard let recurrence else { return origin }
        let runs = (t.microseconds - origin.microseconds) / recurrence
        return Timestamp(microseconds: origin.microseconds + runs * recurrence)
    }

    private func isValid(at t: Timestamp) -> Bool {
        if let from = profile.validFrom, t < from { return false }
        if let to = profile.validTo, t >= to { return false }
        return true
    }

    private static func offset(_ seconds: Int) -> Interval { Interval(microseconds: Int64(seconds) * microsecondsPerSecond) }

    /// The limit the profile sets at `t`, nil where it sets none.
    func limit(at t: Timestamp) -> ChargingLimit? {
        guard isValid(at: t), let start = runStart(at: t) else { return nil }
        let elapsed = t - start
        if let duration = schedule.duration, elapsed >= Self.offset(duration) { return nil }
        var current: V16.ChargingSchedulePeriod?
        for period in schedule.chargingSchedulePeriod {
            guard Self.offset(period.startPeriod) <= elapsed else { break }
            current = period
        }
        guard let current else { return nil }
        let phases = min(current.numberPhases ?? ChargingLimit.connectorPhases, ChargingLimit.connectorPhases)
        let unit = schedule.chargingRateUnit
        return ChargingLimit(watts: ChargingLimit.watts(current.limit, unit: unit, phases: phases), phases: phases,
                             minimumWatts: schedule.minChargingRate.map { ChargingLimit.watts($0, unit: unit, phases: phases) } ?? 0)
    }

    /// The first instant after `t` at which `limit(at:)` may differ from its value at `t`;
    /// nil when it never changes again.
    func nextChange(after t: Timestamp) -> Timestamp? {
        if let to = profile.validTo, t >= to { return nil }
        var next: Timestamp?
        func consider(_ time: Timestamp) {
            if time > t, next.map({ time < $0 }) ?? true { next = time }
        }
        if let from = profile.validFrom { consider(from) }
        if let to = profile.validTo { consider(to) }
        consider(origin)
        if let start = runStart(at: t) {
            for period in schedule.chargingSchedulePeriod where start + Self.offset(period.startPeriod) > t {
                consider(start + Self.offset(period.startPeriod))
                break  // periods are in increasing order (checked when installed)
            }
            if let duration = schedule.duration { consider(start + Self.offset(duration)) }
            if let recurrence { consider(Timestamp(microseconds: start.microseconds + recurrence)) }
        }
        return next
    }
}
