import OCPP

/// Inputs only a simulation has (as `ChargePointV16+SimulationInputs`): the EV's changing
/// power, the energy of the session so far, a power cycle, and a DataTransfer of the
/// behaviour profile.
extension ChargePointV201 {
    /// The EV draws `watts` now (at most the EVSE's rating, and only while Charging).
    public mutating func setEVPower(_ watts: Double, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        let index = connector - 1
        guard evses.indices.contains(index), evses[index].ev != nil else { return }
        evses[index].ev?.maxPowerW = max(0, watts)
        evaluate(index, trigger: .chargingRateChanged, now: now, into: &out)
        pump(now: now, into: &out)
    }

    public mutating func sessionEnergyWh(connector: Int, now: Timestamp) -> Double? {
        let index = connector - 1
        guard evses.indices.contains(index), let transaction = evses[index].transaction else { return nil }
        evses[index].meter.advance(to: now)
        return evses[index].meter.energyWh - transaction.startWh
    }

    /// Power lost and back: transactions end with PowerLoss, the station boots with PowerUp.
    public mutating func powerCycle(now: Timestamp, into out: inout [EngineOutput]) {
        for index in evses.indices where evses[index].transaction != nil {
            evses[index].authorizedToken = nil
            endTransaction(index, trigger: .abnormalCondition, reason: .powerLoss, now: now, into: &out)
        }
        reboot(reason: .powerUp, now: now, into: &out)
    }

    public mutating func sendDataTransfer(vendorId: String, messageId: String?, data: String?, now: Timestamp,
                                          into out: inout [EngineOutput]) {
        let request = V201.DataTransferRequest(messageId: messageId.map { String($0.prefix(50)) },
                                               data: data.map { .string($0) }, vendorId: String(vendorId.prefix(255)))
        enqueue(.other(.dataTransfer, payload: request.encoded), due: now, into: &out)
        pump(now: now, into: &out)
    }
}
