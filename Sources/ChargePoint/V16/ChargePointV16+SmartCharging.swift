import OCPP

/// State of the SmartCharging feature profile of one charge point (OCPP 1.6 §3.13): the
/// installed charging profiles and when the limits next change; 32 bytes and no allocation
/// until the first profile arrives.
struct SmartChargingState: Sendable {
    var profiles: [InstalledChargingProfile] = []
    /// When a limit on a connector that draws power next changes: the power is shared anew then.
    var nextChange: Timestamp?
    /// Connectors that drew power at the last sharing (bit c for connector c < 64), to notice
    /// a session that stopped without passing through `applyPower`.
    var drawing: UInt64 = 0
}

extension ChargePointV16 {
    mutating func smartChargingCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                    into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .setChargingProfile:
            let request = try V16.SetChargingProfileRequest(json: payload)
            return V16.SetChargingProfileResponse(status: setChargingProfile(request, now: now)).encoded
        case .clearChargingProfile:
            let request = try V16.ClearChargingProfileRequest(json: payload)
            return V16.ClearChargingProfileResponse(status: clearChargingProfile(request, now: now)).encoded
        case .getCompositeSchedule:
            return compositeSchedule(try V16.GetCompositeScheduleRequest(json: payload), now: now).encoded
        default:
            // Features routes only the three actions above here.
            throw CallError(.notSupported, "\(action.rawValue) is not a SmartCharging action")
        }
    }

    /// Narrows the units this simulated model accepts in charging schedules
    /// (ChargingScheduleAllowedChargingRateUnit, read-only to the Central System); at least one.
    public mutating func allowChargingRateUnits(_ units: ChargingRateUnits) {
        guard !units.isEmpty else { return }
        configuration.chargingRateUnits = units
    }

    // MARK: SetChargingProfile

    /// Installs a profile (OCPP 1.6 §5.16): a profile with the same chargingProfileId, or
    /// with the same stackLevel and purpose on the same connector, is replaced.
    private mutating func setChargingProfile(_ request: V16.SetChargingProfileRequest,
                                             now: Timestamp) -> V16.ChargingProfileStatus {
        settleProfiles(now: now)
        let connector = request.connectorId
        let profile = request.csChargingProfiles
        guard connector >= 0, connector < connectors.count else { return .rejected }
        var transactionRef: Int?
        switch profile.chargingProfilePurpose {
        case .chargePointMaxProfile:
            guard connector == 0, profile.transactionId == nil else { return .rejected }
        case .txDefaultProfile:
            guard profile.transactionId == nil else { return .rejected }
        case .txProfile:
            // Only for a running transaction, the one named if any (OCPP 1.6 §3.13.1).
            guard connector > 0, let ref = connectors[connector].transaction else { return .rejected }
            if let id = profile.transactionId, transactionId(ref: ref) != id { return .rejected }
            transactionRef = ref
        }
        guard isAcceptable(profile),
              install(InstalledChargingProfile(connector: connector, profile: profile, installedAt: now,
                                               transactionRef: transactionRef)) else { return .rejected }
        shareChargingPower(now: now)
        return .accepted
    }

    /// Whether the charge point can hold `profile`: its stack level, unit and number of
    /// periods within the configured bounds (§9.4.2), and a schedule that makes sense.
    func isAcceptable(_ profile: V16.ChargingProfile) -> Bool {
        let schedule = profile.chargingSchedule
        let periods = schedule.chargingSchedulePeriod
        let seconds = 0...Int(Int32.max)
        guard (0...Configuration.chargeProfileMaxStackLevel).contains(profile.stackLevel),
              configuration.chargingRateUnits.allows(schedule.chargingRateUnit),
              !periods.isEmpty, periods.count <= Configuration.chargingScheduleMaxPeriods,
              profile.chargingProfileKind != .recurring || profile.recurrencyKind != nil,
              schedule.duration.map({ $0 >= 1 && seconds.contains($0) }) ?? true,
              schedule.minChargingRate.map({ $0 >= 0 }) ?? true else { return false }
        if let from = profile.validFrom, let to = profile.validTo, to <= from { return false }
        var previous = -1
        for period in periods {
            guard period.startPeriod > previous, seconds.contains(period.startPeriod), period.limit >= 0,
                  period.numberPhases.map({ (1...3).contains($0) }) ?? true else { return false }
            previous = period.startPeriod
        }
        return true
    }

    /// Adds a profile, replacing the ones it supersedes; false when MaxChargingProfilesInstalled
    /// profiles are already installed.
    private mutating func install(_ new: InstalledChargingProfile) -> Bool {
        let superseded: (InstalledChargingProfile) -> Bool = { old in
            old.profile.chargingProfileId == new.profile.chargingProfileId
                || (old.connector == new.connector && old.purpose == new.purpose
                    && old.profile.stackLevel == new.profile.stackLevel)
        }
        let kept = smartCharging.profiles.filter { !superseded($0) }.count
        guard kept < Configuration.maxChargingProfilesInstalled else { return false }
        smartCharging.profiles.removeAll(where: superseded)
        smartCharging.profiles.append(new)
        return true
    }

    /// A RemoteStartTransaction.req carrying a profile: it must be a TxProfile without a
    /// transactionId (there is no transaction yet) that the charge point could install.
    func acceptsRemoteStartProfile(_ profile: V16.ChargingProfile) -> Bool {
        guard profile.chargingProfilePurpose == .txProfile, profile.transactionId == nil, isAcceptable(profile) else {
            return false
        }
        let superseded = smartCharging.profiles.filter { $0.profile.chargingProfileId == profile.chargingProfileId }.count
        return smartCharging.profiles.count - superseded < Configuration.maxChargingProfilesInstalled
    }

    /// Keeps the TxProfile of an accepted RemoteStartTransaction.req for the transaction it
    /// starts on `connector` (OCPP 1.6 §5.11); dropped if that transaction does not come.
    mutating func installRemoteStartProfile(_ profile: V16.ChargingProfile, connector: Int, idTag: String, now: Timestamp) {
        _ = install(InstalledChargingProfile(connector: connector, profile: profile, installedAt: now, remoteIdTag: idTag))
    }

    // MARK: ClearChargingProfile

    /// Removes the profile with the given id, or else every profile matching all the
    /// criteria given (OCPP 1.6 §5.5); Unknown when none matched.
    private mutating func clearChargingProfile(_ request: V16.ClearChargingProfileRequest,
                                               now: Timestamp) -> V16.ClearChargingProfileStatus {
        settleProfiles(now: now)
        let matches: (InstalledChargingProfile) -> Bool
        if let id = request.id {
            matches = { $0.profile.chargingProfileId == id }
        } else {
            matches = { installed in
                request.connectorId.map { installed.connector == $0 } ?? true
                    && request.chargingProfilePurpose.map { installed.purpose == $0 } ?? true
                    && request.stackLevel.map { installed.profile.stackLevel == $0 } ?? true
            }
        }
        let before = smartCharging.profiles.count
        smartCharging.profiles.removeAll(where: matches)
        guard smartCharging.profiles.count < before else { return .unknown }
        shareChargingPower(now: now)
        return .accepted
    }

    // MARK: GetCompositeSchedule

    /// The limits in force on a connector from now for the duration asked (OCPP 1.6 §5.7),
    /// from the start of the current second; at most `CompositeSchedule.maximumSeconds`.
    private mutating func compositeSchedule(_ request: V16.GetCompositeScheduleRequest,
                                            now: Timestamp) -> V16.GetCompositeScheduleResponse {
        settleProfiles(now: now)
        let connector = request.connectorId
        guard connector >= 0, connector < connectors.count, request.duration >= 1 else {
            return V16.GetCompositeScheduleResponse(status: .rejected)
        }
        if let unit = request.chargingRateUnit, !configuration.chargingRateUnits.allows(unit) {
            return V16.GetCompositeScheduleResponse(status: .rejected)
        }
        let start = Timestamp(microseconds: now.microseconds - ((now.microseconds % 1_000_000) + 1_000_000) % 1_000_000)
        let composite = compositeLimits(idleStart: start)
        let unit = request.chargingRateUnit ?? composite.naturalUnit(connector: connector)
        return V16.GetCompositeScheduleResponse(
            status: .accepted, connectorId: connector, scheduleStart: start,
            chargingSchedule: composite.schedule(connector: connector, from: start, seconds: request.duration, unit: unit))
    }

    private func compositeLimits(idleStart: Timestamp) -> CompositeSchedule {
        var starts: [Timestamp?] = Array(repeating: nil, count: connectors.count)
        for index in 1..<connectors.count {
            if let ref = connectors[index].transaction {
                starts[index] = transactions.first(where: { $0.ref == ref })?.startedAt
            }
        }
        return CompositeSchedule(profiles: smartCharging.profiles, connectors: connectors.count - 1,
                                 transactionStart: starts, idleStart: idleStart)
    }

    // MARK: power

    /// Whether `connector` draws power now, limits aside.
    func isDrawing(_ connector: Int) -> Bool {
        let c = connectors[connector]
        return c.transaction != nil && c.plugged && !c.evSuspended && !c.suspendedByEVSE
    }

    private var drawingConnectors: UInt64 {
        var mask: UInt64 = 0
        for index in 1..<min(connectors.count, 64) where isDrawing(index) { mask |= 1 << UInt64(index) }
        return mask
    }

    /// Sets every connector's power from the limits in force now: each charging connector
    /// draws at most min(its EV's maximum, its own limit), and together at most the
    /// ChargePointMaxProfile's limit, shared as `PowerSharing` says. Arms the next change.
    mutating func shareChargingPower(now: Timestamp) {
        settleProfiles(now: now)
        let composite = compositeLimits(idleStart: now)
        var drawing: [Int] = []
        var demands: [PowerSharing.Demand] = []
        for index in 1..<connectors.count where isDrawing(index) {
            let limit = composite.connectorLimit(index, at: now)
            let ev = connectors[index].ev?.maxPowerW ?? 0
            drawing.append(index)
            demands.append(PowerSharing.Demand(cap: min(ev, limit?.watts ?? .infinity), minimum: limit?.minimumWatts ?? 0))
        }
        let shares = PowerSharing.share(total: composite.chargePointLimit(at: now)?.watts, demands: demands)
        for index in 1..<connectors.count {
            let share = drawing.firstIndex(of: index).map { shares[$0] } ?? 0
            connectors[index].meter.setPower(share, now: now)
        }
        smartCharging.nextChange = drawing.isEmpty ? nil : composite.nextChange(after: now, connectors: drawing)
        smartCharging.drawing = drawingConnectors
    }

    /// Binds the TxProfile of a remote start to the transaction it started, and removes
    /// TxProfiles whose transaction ended (OCPP 1.6 §3.13.1: deleted after the transaction)
    /// or never came.
    private mutating func settleProfiles(now: Timestamp) {
        for index in smartCharging.profiles.indices {
            let installed = smartCharging.profiles[index]
            guard installed.purpose == .txProfile, installed.transactionRef == nil, let tag = installed.remoteIdTag,
                  let ref = connectors[installed.connector].transaction,
                  transactions.first(where: { $0.ref == ref })?.idTag == tag else { continue }
            smartCharging.profiles[index].transactionRef = ref
            smartCharging.profiles[index].remoteIdTag = nil
        }
        smartCharging.profiles.removeAll(where: isStale)
    }

    /// A TxProfile whose transaction is over, or a remote start's that waits for nothing (or
    /// whose transaction just started: `settleProfiles` binds it first).
    private func isStale(_ installed: InstalledChargingProfile) -> Bool {
        guard installed.purpose == .txProfile else { return false }
        let connector = connectors[installed.connector]
        if let ref = installed.transactionRef { return connector.transaction != ref }
        guard let tag = installed.remoteIdTag, connector.transaction == nil else { return true }
        return connector.authorizingTag != tag && connector.authorizedTag != tag
    }

    /// Due at once (the epoch: any past instant) when a session changed outside `applyPower`
    /// (stopped, unplugged) or a TxProfile needs settling; else at the next change of a limit.
    var smartChargingWakeup: Timestamp? {
        guard !smartCharging.profiles.isEmpty else { return nil }
        if drawingConnectors != smartCharging.drawing || smartCharging.profiles.contains(where: isStale) {
            return Timestamp(microseconds: 0)
        }
        return smartCharging.nextChange
    }

    mutating func smartChargingTick(now: Timestamp, into out: inout [EngineOutput]) {
        guard let due = smartChargingWakeup, due <= now else { return }
        shareChargingPower(now: now)
    }
}
