import ChargePoint
import FleetSpec
import OCPP

/// The power curve of a running session: ramp, taper, a pause, and the end once the energy the
/// driver wanted is delivered. The driver reads the delivered energy from the engine's meter and
/// sets the EV's power in steps; between steps the engine integrates a constant power.
extension SessionDriver {
    /// Checks are never closer than this: an energy target may be overshot by this long at most.
    static let minimumCheck = 1.0
    /// While tapering, the power is recomputed every time the state of charge rises this much (%).
    static let taperStep = 2.0

    /// The schedule of a transaction that just started, or nil when the EV simply draws its full
    /// power throughout (no ramp, taper, energy demand or pause): such a session costs no wake-ups.
    func planCharge(_ connector: Int, now: Timestamp) -> Charge? {
        guard let ev = evs[connector] else { return nil }
        var charge = Charge(startedAt: now, appliedW: ev.profile.maxPowerW)
        let curve = behaviour.powerCurve
        if ev.rampSeconds > 0 || curve.taperFromSoC < 100 || ev.demandWh != nil { charge.nextCheck = now }
        return charge.nextCheck == nil && curve.suspendShare == 0 ? nil : charge
    }

    /// The pause is drawn when the transaction starts (the share, then when and how long).
    mutating func planPause(_ connector: Int, now: Timestamp) {
        let curve = behaviour.powerCurve
        guard curve.suspendShare > 0, charges[connector] != nil else { return }
        guard Distribution.unit(&streams.connectors[connector]) < curve.suspendShare else { return }
        let at = now + draw(curve.suspendAfter, connector)
        let pause = draw(curve.suspendDuration, connector)
        charges[connector]?.suspendAt = at
        charges[connector]?.resumeAt = at + pause
    }

    /// Runs whatever of the session's power schedule is due.
    mutating func tickPower<Engine: DrivenEngine>(_ connector: Int, now: Timestamp, engine: inout Engine,
                                                into out: inout [EngineOutput]) {
        guard var charge = charges[connector] else { return }
        if let at = charge.suspendAt, at <= now {
            charge.suspendAt = nil
            charge.nextCheck = nil
            charges[connector] = charge
            engine.setEVSuspended(true, connector: connector, now: now, into: &out)
            return
        }
        if let at = charge.resumeAt, at <= now, charge.suspendAt == nil {
            charge.resumeAt = nil
            charges[connector] = charge
            engine.setEVSuspended(false, connector: connector, now: now, into: &out)
            if let ev = evs[connector], ev.rampSeconds > 0 || behaviour.powerCurve.taperFromSoC < 100 || ev.demandWh != nil {
                charges[connector]?.nextCheck = now
            } else {
                return
            }
        }
        if let at = charges[connector]?.nextCheck, at <= now {
            updatePower(connector, now: now, engine: &engine, into: &out)
        }
    }

    /// Reads the energy delivered, ends the session once the demand is met, else sets the power
    /// the ramp and taper allow now and plans the next check.
    private mutating func updatePower<Engine: DrivenEngine>(_ connector: Int, now: Timestamp, engine: inout Engine,
                                                          into out: inout [EngineOutput]) {
        guard let ev = evs[connector], var charge = charges[connector] else { return }
        let delivered = engine.sessionEnergyWh(connector: connector, now: now) ?? 0
        if let demand = ev.demandWh, delivered + 1 >= demand {
            endSession(connector, now: now, engine: &engine, into: &out)
            return
        }
        let soc = min(100, ev.initialSoC + delivered / ev.batteryWh * 100)
        let elapsed = (now - charge.startedAt).seconds
        var factor = 1.0
        var wait = Double.infinity  // seconds to the next check
        if ev.rampSeconds > 0 {
            let quarter = Int(elapsed / (ev.rampSeconds / 4))
            if quarter < 4 {
                factor = EV.rampLevels[quarter]
                wait = min(wait, Double(quarter + 1) * ev.rampSeconds / 4 - elapsed)
            }
        }
        let taper = behaviour.powerCurve.taperFromSoC
        if taper < 100, soc >= taper {
            factor = min(factor, max(0, (100 - soc) / (100 - taper)))
        }
        let watts = ev.fullW * factor
        if watts != charge.appliedW {
            engine.setEVPower(watts, connector: connector, now: now, into: &out)
            charge.appliedW = watts
        }
        if watts > 0 {
            let whPerSecond = watts / 3600
            if taper < 100, soc < 100 {
                let target = soc < taper ? taper : min(100, soc + Self.taperStep)
                wait = min(wait, (target - soc) / 100 * ev.batteryWh / whPerSecond)
            }
            if let demand = ev.demandWh {
                wait = min(wait, (demand - delivered) / whPerSecond)
            }
        }
        charge.nextCheck = wait.isFinite ? now + Self.interval(seconds: max(Self.minimumCheck, wait)) : nil
        charges[connector] = charge
    }
}
