import OCPP

/// A charging profile installed on a charge point.
struct InstalledChargingProfile: Sendable {
    /// 0: the charge point as a whole (ChargePointMaxProfile, or a TxDefaultProfile for every connector).
    var connector: Int
    var profile: V16.ChargingProfile
    var installedAt: Timestamp
    /// TxProfile: the engine's reference of the transaction it belongs to; nil while it
    /// waits for the transaction its RemoteStartTransaction.req is to start.
    var transactionRef: Int?
    /// TxProfile of a RemoteStartTransaction.req: the idTag whose transaction it waits for.
    var remoteIdTag: String?

    var purpose: V16.ChargingProfilePurposeType { profile.chargingProfilePurpose }
}

/// The limits in force on each connector and on the charge point as a whole, computed from
/// the installed profiles (OCPP 1.6 §3.13: the composite schedule). A pure value, built from
/// the profiles and the transactions' start times, testable without an engine.
///
/// On connector c at instant t (highest stack level first within a purpose, a profile that
/// sets no limit at t giving way to the next):
/// - the TxProfile of c's transaction, else a TxDefaultProfile installed for c, else one
///   installed for connector 0 (OCPP 1.6 §3.13.1: a TxDefaultProfile for one connector
///   replaces the charge point's default for that connector only);
/// - capped by the ChargePointMaxProfile.
///
/// Connector 0 is the grid connection: the sum over the connectors (each at its rating
/// where nothing limits it), capped by the ChargePointMaxProfile.
struct CompositeSchedule: Sendable {
    private struct Stacks: Sendable {
        var tx: [ScheduledProfile] = []
        var txDefault: [ScheduledProfile] = []
        var txDefaultAll: [ScheduledProfile] = []
        var all: [ScheduledProfile] { tx + txDefault + txDefaultAll }
    }

    private var chargePointMax: [ScheduledProfile] = []
    /// Index 0 unused.
    private var stacks: [Stacks]

    /// The longest schedule GetCompositeSchedule reports (31 days), and most steps computed.
    static let maximumSeconds = 31 * 86_400
    private static let maximumSteps = 20_000

    /// - Parameters:
    ///   - transactionStart: per connector (index 0 unused), the start of its transaction.
    ///   - idleStart: where a connector has no transaction, when one would start: the anchor
    ///     of its Relative schedules.
    init(profiles: [InstalledChargingProfile], connectors: Int, transactionStart: [Timestamp?], idleStart: Timestamp) {
        stacks = Array(repeating: Stacks(), count: connectors + 1)
        let ordered = profiles.sorted { $0.profile.stackLevel > $1.profile.stackLevel }
        for installed in ordered {
            switch installed.purpose {
            case .chargePointMaxProfile:
                // No transaction to be relative to: the charge point anchors it when it arrives.
                chargePointMax.append(ScheduledProfile(profile: installed.profile, anchor: installed.installedAt))
            case .txDefaultProfile:
                for connector in 1..<stacks.count where installed.connector == 0 || installed.connector == connector {
                    let scheduled = ScheduledProfile(profile: installed.profile,
                                                     anchor: transactionStart[connector] ?? idleStart)
                    if installed.connector == 0 {
                        stacks[connector].txDefaultAll.append(scheduled)
                    } else {
                        stacks[connector].txDefault.append(scheduled)
                    }
                }
            case .txProfile:
                // Only a profile bound to the connector's running transaction is in force.
                guard installed.transactionRef != nil, installed.connector >= 1, installed.connector < stacks.count,
                      let start = transactionStart[installed.connector] else { continue }
                stacks[installed.connector].tx.append(ScheduledProfile(profile: installed.profile, anchor: start))
            }
        }
    }

    private static func first(_ profiles: [ScheduledProfile], at t: Timestamp) -> ChargingLimit? {
        for profile in profiles {
            if let limit = profile.limit(at: t) { return limit }
        }
        return nil
    }

    /// The connector's own limit (TxProfile, else TxDefaultProfile), without the charge point's.
    func connectorLimit(_ connector: Int, at t: Timestamp) -> ChargingLimit? {
        let stack = stacks[connector]
        return Self.first(stack.tx, at: t) ?? Self.first(stack.txDefault, at: t) ?? Self.first(stack.txDefaultAll, at: t)
    }

    /// The ChargePointMaxProfile's limit.
    func chargePointLimit(at t: Timestamp) -> ChargingLimit? { Self.first(chargePointMax, at: t) }

    /// The limit on a connector (≥ 1): its own, capped by the charge point's; nil: none.
    func limit(connector: Int, at t: Timestamp) -> ChargingLimit? {
        ChargingLimit.lower(chargePointLimit(at: t), connectorLimit(connector, at: t))
    }

    /// The limit on the grid connection: the connectors' limits added, capped by the charge point's.
    func total(at t: Timestamp) -> ChargingLimit {
        var watts = 0.0
        for connector in 1..<stacks.count { watts += (connectorLimit(connector, at: t) ?? ChargingLimit.rating).watts }
        return ChargingLimit.lower(chargePointLimit(at: t), ChargingLimit(watts: watts, phases: ChargingLimit.connectorPhases))
            ?? ChargingLimit.rating
    }

    /// The profiles whose limits shape `connector`'s (0: every profile).
    private func relevant(to connector: Int) -> [ScheduledProfile] {
        connector == 0 ? chargePointMax + stacks.dropFirst().flatMap(\.all) : chargePointMax + stacks[connector].all
    }

    /// The first instant after `t` at which a limit on one of `connectors` may change.
    func nextChange(after t: Timestamp, connectors: [Int]) -> Timestamp? {
        var next: Timestamp?
        func consider(_ profiles: [ScheduledProfile]) {
            for profile in profiles {
                if let time = profile.nextChange(after: t), next.map({ time < $0 }) ?? true { next = time }
            }
        }
        consider(chargePointMax)
        for connector in connectors { consider(stacks[connector].all) }
        return next
    }

    /// The unit the schedule of `connector` is reported in when the request names none:
    /// amperes when every profile that shapes it is in amperes (or none does), else watts.
    func naturalUnit(connector: Int) -> V16.ChargingRateUnitType {
        relevant(to: connector).allSatisfy { $0.profile.chargingSchedule.chargingRateUnit == .a } ? .a : .w
    }

    /// The composite schedule of `connector` (0: the grid connection) for `seconds` from
    /// `start`: periods relative to `start`, equal neighbours merged, limits in `unit`
    /// (OCPP 1.6 §5.7). Where nothing limits a connector its rating is reported.
    func schedule(connector: Int, from start: Timestamp, seconds: Int, unit: V16.ChargingRateUnitType) -> V16.ChargingSchedule {
        let seconds = min(max(seconds, 0), Self.maximumSeconds)
        let end = start + .seconds(seconds)
        let profiles = relevant(to: connector)
        var periods: [V16.ChargingSchedulePeriod] = []
        var minimum = 0.0
        var duration = seconds
        var t = start
        var steps = 0
        while t < end {
            let limit = connector == 0 ? total(at: t) : (limit(connector: connector, at: t) ?? ChargingLimit.rating)
            if limit.minimumWatts > 0 {
                minimum = max(minimum, ChargingLimit.value(watts: limit.minimumWatts, in: unit, phases: limit.phases))
            }
            // Offsets are whole seconds: a change within a second shows from that second on.
            let offset = Int((t - start).microseconds / 1_000_000)
            let period = V16.ChargingSchedulePeriod(
                startPeriod: offset, limit: limit.value(in: unit),
                numberPhases: limit.phases == ChargingLimit.connectorPhases ? nil : limit.phases)
            if periods.last?.startPeriod == offset { periods.removeLast() }
            if let last = periods.last, last.limit == period.limit, last.numberPhases == period.numberPhases {
                // The same limit goes on.
            } else {
                periods.append(period)
            }
            steps += 1
            var next: Timestamp?
            for profile in profiles {
                if let time = profile.nextChange(after: t), next.map({ time < $0 }) ?? true { next = time }
            }
            guard let next, next < end else { break }
            if steps >= Self.maximumSteps {
                duration = Int((next - start).microseconds / 1_000_000)
                break
            }
            t = next
        }
        return V16.ChargingSchedule(duration: duration, startSchedule: start, chargingRateUnit: unit,
                                    chargingSchedulePeriod: periods,
                                    minChargingRate: minimum > 0 ? ChargingLimit.roundedDown(minimum) : nil)
    }
}

/// How the charge point shares its power among the connectors that draw it.
enum PowerSharing {
    /// What one charging connector asks for: at most `cap` watts, and nothing at all below
    /// `minimum` (its schedule's minChargingRate: the EV cannot charge slower).
    struct Demand: Sendable, Equatable {
        var cap: Double
        var minimum: Double
    }

    /// Shares `total` watts (nil: unlimited) among `demands`: equal shares, a connector
    /// wanting less than its share leaving the rest to the others (water-filling). A connector
    /// whose share falls below its minimum is given its minimum, the others sharing what is
    /// left; when the minimums do not all fit, the connector with the highest minimum gets
    /// nothing and the others share again.
    static func share(total: Double?, demands: [Demand]) -> [Double] {
        let total = total ?? .infinity
        var active = demands.indices.filter { demands[$0].cap > 0 && demands[$0].cap >= demands[$0].minimum }
        while true {
            var shares = Array(repeating: 0.0, count: demands.count)
            var pinned: [Int] = []
            var feasible = true
            while true {
                let pinnedWatts = pinned.reduce(0.0) { $0 + demands[$1].minimum }
                guard pinnedWatts <= total + 1e-9 else { feasible = false; break }
                shares = Array(repeating: 0.0, count: demands.count)
                for index in pinned { shares[index] = demands[index].minimum }
                let free = active.filter { !pinned.contains($0) }.sorted { (demands[$0].cap, $0) < (demands[$1].cap, $1) }
                var remaining = total - pinnedWatts
                for (position, index) in free.enumerated() {
                    let share = min(demands[index].cap, remaining / Double(free.count - position))
                    shares[index] = share
                    remaining -= share
                }
                let starved = free.filter { shares[$0] < demands[$0].minimum - 1e-9 }
                if starved.isEmpty { break }
                pinned += starved
            }
            if feasible { return shares }
            guard let dropped = active.max(by: { (demands[$0].minimum, $0) < (demands[$1].minimum, $1) }) else {
                return Array(repeating: 0.0, count: demands.count)
            }
            active.removeAll { $0 == dropped }
        }
    }
}
