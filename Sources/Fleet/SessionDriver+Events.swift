import ChargePoint
import FleetSpec
import OCPP

/// Random events of a charge point as a whole: connector faults, network outages, power cycles
/// and DataTransfer calls. Each is a Poisson process with its own stream: the gaps between
/// events are exponential with mean 3600 / ratePerHour seconds (a fault's next gap starts when
/// it clears, an outage's when the charge point is back).
extension SessionDriver {
    /// Plans the first event of each kind the profile has.
    mutating func planEvents(now: Timestamp) {
        if let faults = behaviour.faults { faultAt = now + Self.gap(faults.ratePerHour, &streams.faults) }
        if let outages = behaviour.outages { outageAt = now + Self.gap(outages.ratePerHour, &streams.outages) }
        if let reboots = behaviour.reboots { rebootAt = now + Self.gap(reboots.ratePerHour, &streams.reboots) }
        if let transfer = behaviour.dataTransfer {
            dataTransferAt = now + Self.gap(transfer.ratePerHour, &streams.dataTransfer)
        }
    }

    static func gap(_ ratePerHour: Double, _ stream: inout SplitMix64) -> Interval {
        interval(seconds: Distribution.exponential(mean: 3600 / ratePerHour).sample(using: &stream))
    }

    /// The earliest planned event (read after every input, so it allocates nothing).
    var eventsWakeup: Timestamp? {
        func earlier(_ a: Timestamp?, _ b: Timestamp?) -> Timestamp? {
            guard let a else { return b }
            guard let b else { return a }
            return min(a, b)
        }
        return earlier(earlier(earlier(faultAt, fault?.clearsAt), earlier(outageAt, rebootAt)), dataTransferAt)
    }

    /// The outage the shell must carry out now, if one fell due: drop the connection and stay
    /// offline this long. Asking clears it.
    mutating func takeOutage() -> Interval? {
        defer { requestedOutage = nil }
        return requestedOutage
    }

    mutating func tickEvents<Engine: DrivenEngine>(now: Timestamp, engine: inout Engine, into out: inout [EngineOutput]) {
        if let fault, fault.clearsAt <= now {
            self.fault = nil
            engine.setFault(nil, connector: fault.connector, now: now, into: &out)
            if let faults = behaviour.faults { faultAt = now + Self.gap(faults.ratePerHour, &streams.faults) }
        }
        if let at = faultAt, at <= now, let faults = behaviour.faults {
            faultAt = nil
            let connector = 1 + Int(streams.faults.next() % UInt64(phases.count - 1))
            let name = faults.errorCode.pick(using: &streams.faults)
            let clearsAt = now + Self.interval(seconds: faults.recovery.sample(using: &streams.faults))
            fault = (connector, clearsAt)
            abandon(connector, now: now)
            engine.setFault(V16.ChargePointErrorCode(rawValue: name) ?? .otherError, connector: connector, now: now, into: &out)
        }
        if let at = outageAt, at <= now, let outages = behaviour.outages {
            let offline = Self.interval(seconds: outages.duration.sample(using: &streams.outages))
            requestedOutage = offline
            outageAt = now + offline + Self.gap(outages.ratePerHour, &streams.outages)
        }
        if let at = rebootAt, at <= now, let reboots = behaviour.reboots {
            rebootAt = now + Self.gap(reboots.ratePerHour, &streams.reboots)
            for connector in 1..<phases.count { abandon(connector, now: now) }
            if fault != nil, let faults = behaviour.faults {
                // The reboot clears the fault in the engine too; the next one is planned from here.
                fault = nil
                faultAt = now + Self.gap(faults.ratePerHour, &streams.faults)
            }
            engine.powerCycle(now: now, into: &out)
        }
        if let at = dataTransferAt, at <= now, let transfer = behaviour.dataTransfer {
            dataTransferAt = now + Self.gap(transfer.ratePerHour, &streams.dataTransfer)
            engine.sendDataTransfer(vendorId: transfer.vendorId, messageId: transfer.messageId, data: transfer.data,
                                    now: now, into: &out)
        }
    }
}
