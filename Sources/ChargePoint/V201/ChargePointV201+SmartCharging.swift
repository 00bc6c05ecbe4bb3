import OCPP

/// A charging profile as the CSMS sent it, for which EVSE (0: the station).
struct InstalledProfileV201: Sendable {
    var evse: Int
    var profile: V201.ChargingProfile
    var installedAt: Timestamp
}

/// Functional block K: SetChargingProfile, ClearChargingProfile, GetChargingProfiles (with
/// ReportChargingProfiles), GetCompositeSchedule, and limits that cap the power the EVs draw.
/// The limits are computed by the 1.6 engine's pure `CompositeSchedule` and shared by
/// `PowerSharing`: a 2.0.1 profile is the same stack of absolute/recurring/relative schedules,
/// so it is translated, not recomputed (ChargingStationMaxProfile is 1.6's ChargePointMaxProfile;
/// only the first of a profile's schedules sets limits, the others being for ISO 15118).
extension ChargePointV201 {
    static let profileCapacity = 16
    static let maximumStackLevel = 8
    static let periodsPerSchedule = 24
    /// Offsets and durations beyond ten years are refused: the schedule arithmetic counts µs in Int64.
    static let longestOffset = 10 * 366 * 86_400

    /// K01.FR.19/31: periods in order from 0, at most PeriodsPerSchedule; limits finite and not negative.
    static func isSimulatable(_ schedule: V201.ChargingSchedule) -> Bool {
        let periods = schedule.chargingSchedulePeriod
        guard periods.count <= periodsPerSchedule, periods.first?.startPeriod == 0,
              (schedule.duration ?? 0) >= 0, (schedule.duration ?? 0) <= longestOffset else { return false }
        return zip(periods, periods.dropFirst()).allSatisfy { $0.startPeriod < $1.startPeriod }
            && periods.allSatisfy { $0.startPeriod <= longestOffset && $0.limit >= 0 && $0.limit.isFinite
                && ($0.numberPhases ?? 3) >= 1 && ($0.numberPhases ?? 3) <= 3 }
            && (schedule.minChargingRate ?? 0) >= 0
    }

    mutating func setChargingProfile(_ request: V201.SetChargingProfileRequest, now: Timestamp,
                                     into out: inout [EngineOutput]) -> V201.SetChargingProfileResponse {
        func rejected(_ reason: String) -> V201.SetChargingProfileResponse {
            V201.SetChargingProfileResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: reason))
        }
        let profile = request.chargingProfile
        let evse = request.evseId
        guard deviceModel.bool(.smartChargingEnabled) else { return rejected("SmartChargingOff") }
        guard evse == 0 || evseIndex(evse) != nil else { return rejected("UnknownEvse") }
        guard (0...Self.maximumStackLevel).contains(profile.stackLevel) else { return rejected("InvalidStackLevel") }
        guard profile.chargingSchedule.allSatisfy(Self.isSimulatable) else { return rejected("InvalidSchedule") }
        switch profile.chargingProfilePurpose {
        case .chargingStationExternalConstraints:
            return rejected("ExternalConstraints")  // K01.FR.22
        case .chargingStationMaxProfile:
            guard evse == 0 else { return rejected("MaxProfileOnEvse") }  // K01.FR.38
        case .txProfile:
            // K01.FR.09, K01.FR.16: a TxProfile belongs to an ongoing transaction of that EVSE.
            guard evse > 0, let id = profile.transactionId, evses[evse - 1].transaction?.id == id else {
                return rejected("NoTransaction")
            }
        case .txDefaultProfile:
            break
        }
        // K01.FR.05/06: the same id, or the same purpose and stack level on the same EVSE, is replaced.
        smartCharging.removeAll { $0.profile.id == profile.id || ($0.evse == evse && $0.profile.stackLevel == profile.stackLevel
            && $0.profile.chargingProfilePurpose == profile.chargingProfilePurpose) }
        guard smartCharging.count < Self.profileCapacity else { return rejected("TooManyProfiles") }
        smartCharging.append(InstalledProfileV201(evse: evse, profile: profile, installedAt: now))
        sharePower(now: now)
        return V201.SetChargingProfileResponse(status: .accepted)
    }

    mutating func clearChargingProfile(_ request: V201.ClearChargingProfileRequest, now: Timestamp) -> V201.ClearChargingProfileResponse {
        let criteria = request.chargingProfileCriteria
        let before = smartCharging.count
        smartCharging.removeAll { installed in
            if let id = request.chargingProfileId, installed.profile.id != id { return false }
            if let evse = criteria?.evseId, installed.evse != evse { return false }
            if let purpose = criteria?.chargingProfilePurpose, installed.profile.chargingProfilePurpose != purpose { return false }
            if let level = criteria?.stackLevel, installed.profile.stackLevel != level { return false }
            return request.chargingProfileId != nil || criteria != nil
        }
        sharePower(now: now)
        return V201.ClearChargingProfileResponse(status: smartCharging.count < before ? .accepted : .unknown)
    }

    /// K09: the matching profiles, one ReportChargingProfiles per EVSE, `tbc` on all but the last.
    mutating func getChargingProfiles(_ request: V201.GetChargingProfilesRequest, now: Timestamp,
                                      into out: inout [EngineOutput]) -> V201.GetChargingProfilesResponse {
        let criterion = request.chargingProfile
        let matching = smartCharging.filter { installed in
            if let evse = request.evseId, installed.evse != evse { return false }
            if let purpose = criterion.chargingProfilePurpose, installed.profile.chargingProfilePurpose != purpose { return false }
            if let level = criterion.stackLevel, installed.profile.stackLevel != level { return false }
            if let ids = criterion.chargingProfileId, !ids.contains(installed.profile.id) { return false }
            if let sources = criterion.chargingLimitSource, !sources.contains(.cso) { return false }
            return true
        }
        guard !matching.isEmpty else { return V201.GetChargingProfilesResponse(status: .noProfiles) }
        let groups = Array(Set(matching.map(\.evse))).sorted()
        for (position, evse) in groups.enumerated() {
            let report = V201.ReportChargingProfilesRequest(
                requestId: request.requestId, chargingLimitSource: .cso,
                chargingProfile: matching.filter { $0.evse == evse }.map(\.profile),
                tbc: position < groups.count - 1 ? true : nil, evseId: evse)
            enqueue(.other(.reportChargingProfiles, payload: report.encoded), into: &out)
        }
        return V201.GetChargingProfilesResponse(status: .accepted)
    }

    /// K08: the limits in force for `duration` seconds from now (whole seconds), in the unit asked
    /// for or the one the profiles use.
    func getCompositeSchedule(_ request: V201.GetCompositeScheduleRequest, now: Timestamp) -> V201.GetCompositeScheduleResponse {
        guard request.evseId == 0 || evseIndex(request.evseId) != nil else {
            return V201.GetCompositeScheduleResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "UnknownEvse"))
        }
        let start = Timestamp(microseconds: now.microseconds - ((now.microseconds % 1_000_000) + 1_000_000) % 1_000_000)
        let composite = compositeLimits(idleStart: start)
        let unit = request.chargingRateUnit.map { $0 == .a ? V16.ChargingRateUnitType.a : .w }
            ?? composite.naturalUnit(connector: request.evseId)
        // The schema wants at least one period: a duration of 0 still reports the limit now.
        let schedule = composite.schedule(connector: request.evseId, from: start, seconds: max(1, request.duration), unit: unit)
        return V201.GetCompositeScheduleResponse(status: .accepted, schedule: V201.CompositeSchedule(
            chargingSchedulePeriod: schedule.chargingSchedulePeriod.map {
                V201.ChargingSchedulePeriod(startPeriod: $0.startPeriod, limit: $0.limit, numberPhases: $0.numberPhases)
            },
            evseId: request.evseId, duration: min(schedule.duration ?? request.duration, max(0, request.duration)), scheduleStart: start,
            chargingRateUnit: unit == .a ? .a : .w))
    }

    // MARK: limits and power

    /// The installed profiles as the 1.6 composite schedule sees them.
    func compositeLimits(idleStart: Timestamp) -> CompositeSchedule {
        var starts: [Timestamp?] = [nil] + evses.map { $0.transaction?.startedAt }
        starts.reserveCapacity(evses.count + 1)
        let installed = smartCharging.compactMap { item -> InstalledChargingProfile? in
            guard let schedule = item.profile.chargingSchedule.first else { return nil }
            let purpose: V16.ChargingProfilePurposeType
            var transactionRef: Int?
            switch item.profile.chargingProfilePurpose {
            case .chargingStationMaxProfile, .chargingStationExternalConstraints: purpose = .chargePointMaxProfile
            case .txDefaultProfile: purpose = .txDefaultProfile
            case .txProfile:
                purpose = .txProfile
                transactionRef = evses[item.evse - 1].transaction.map(\.number)
            }
            let profile = V16.ChargingProfile(
                chargingProfileId: item.profile.id, stackLevel: item.profile.stackLevel, chargingProfilePurpose: purpose,
                chargingProfileKind: V16.ChargingProfileKindType(rawValue: item.profile.chargingProfileKind.rawValue) ?? .absolute,
                recurrencyKind: item.profile.recurrencyKind.flatMap { V16.RecurrencyKindType(rawValue: $0.rawValue) },
                validFrom: item.profile.validFrom, validTo: item.profile.validTo,
                chargingSchedule: V16.ChargingSchedule(
                    duration: schedule.duration, startSchedule: schedule.startSchedule,
                    chargingRateUnit: schedule.chargingRateUnit == .a ? .a : .w,
                    chargingSchedulePeriod: schedule.chargingSchedulePeriod.map {
                        V16.ChargingSchedulePeriod(startPeriod: $0.startPeriod, limit: $0.limit, numberPhases: $0.numberPhases)
                    },
                    minChargingRate: schedule.minChargingRate))
            return InstalledChargingProfile(connector: item.evse, profile: profile, installedAt: item.installedAt,
                                            transactionRef: transactionRef)
        }
        return CompositeSchedule(profiles: installed, connectors: evses.count, transactionStart: starts, idleStart: idleStart)
    }

    /// Sets every EVSE's power from what its EV wants and the limits in force now: each charging
    /// EVSE at most min(EV, its rating, its own limit), together at most the station's limit
    /// (`PowerSharing`, as for 1.6). Arms the next change of a limit.
    mutating func sharePower(now: Timestamp) {
        let composite = smartCharging.isEmpty ? nil : compositeLimits(idleStart: now)
        var drawing: [Int] = []
        var demands: [PowerSharing.Demand] = []
        for index in evses.indices where chargingState(index) == .charging {
            let limit = composite?.connectorLimit(index + 1, at: now)
            let ev = min(evses[index].ev?.maxPowerW ?? 0, evsePowerLimitW)
            drawing.append(index)
            demands.append(PowerSharing.Demand(cap: min(ev, limit?.watts ?? .infinity), minimum: limit?.minimumWatts ?? 0))
        }
        let shares = PowerSharing.share(total: composite?.chargePointLimit(at: now)?.watts, demands: demands)
        for index in evses.indices {
            let share = drawing.firstIndex(of: index).map { shares[$0] } ?? 0
            evses[index].meter.setPower(share, now: now)
        }
        nextLimitChange = drawing.isEmpty ? nil : composite?.nextChange(after: now, connectors: drawing.map { $0 + 1 })
    }

    /// A TxProfile ends with its transaction (K01.FR.05).
    mutating func dropTransactionProfiles(evse: Int) {
        smartCharging.removeAll { $0.evse == evse && $0.profile.chargingProfilePurpose == .txProfile }
    }
}
