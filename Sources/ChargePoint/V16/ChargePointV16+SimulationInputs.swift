import OCPP

/// Inputs only a simulation has: the EV's power demand changing during a session, the energy a
/// session has delivered so far, and a power cycle of the whole charge point.
extension ChargePointV16 {
    /// The EV on `connector` now wants at most `watts` (a power curve's ramp or taper). Takes
    /// effect at once; an EV not plugged in, or no EV, is ignored.
    public mutating func setEVPower(_ watts: Double, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard validConnector(connector), connectors[connector].plugged, connectors[connector].ev != nil else { return }
        connectors[connector].ev?.maxPowerW = max(0, watts)
        applyPower(connector, now: now)
    }

    /// Energy delivered in the transaction running on `connector`, in Wh, up to `now`; nil when
    /// none runs.
    public mutating func sessionEnergyWh(connector: Int, now: Timestamp) -> Double? {
        guard validConnector(connector), connectors[connector].transaction != nil else { return nil }
        connectors[connector].meter.advance(to: now)
        return connectors[connector].meter.energyWh - connectors[connector].sessionStartWh
    }

    /// The charge point loses power and boots again: running transactions stop with reason
    /// PowerLoss (their StopTransactions stay in the journal and go out after the next accepted
    /// boot), then the reboot path of a hard reset runs. EVs stay plugged in.
    public mutating func powerCycle(now: Timestamp, into out: inout [EngineOutput]) {
        for index in 1..<connectors.count where connectors[index].transaction != nil {
            stopTransaction(index, reason: .powerLoss, idTag: nil, now: now, into: &out)
        }
        reboot(now: now, into: &out)
    }
}
