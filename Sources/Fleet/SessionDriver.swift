import ChargePoint
import FleetSpec
import OCPP

/// The simulated people and events at one charge point: EVs arrive, drivers present a card
/// (or start from an app), charge, stop and leave; connectors fail and recover; the network
/// drops; the power goes. Durations come from the behaviour profile's distributions.
/// It feeds inputs to the engine and knows nothing of sockets; its randomness is its own set
/// of seeded streams (`Streams`), so a charge point's inputs depend on no other charge point.
struct SessionDriver: Sendable {
    enum Phase: Sendable, Equatable {
        /// Nobody here; the next EV arrives at `plugAt`.
        case idle(plugAt: Timestamp)
        /// Plugged in; `idTag` is shown at `tagAt`.
        case plugged(tagAt: Timestamp, idTag: String)
        /// Card shown, or remote start accepted: waiting for the engine to confirm a transaction.
        case starting(idTag: String)
        /// Charging; the driver ends the session at `stopAt` (earlier once its energy is delivered).
        case charging(idTag: String, stopAt: Timestamp)
        /// Session over; the cable is pulled at `unplugAt`.
        case leaving(unplugAt: Timestamp)
        /// The CSMS started a session remotely: the EV is plugged in at `plugAt`.
        case arrivingForRemoteStart(plugAt: Timestamp)
        /// An app session: plugged in, no card; waiting for RemoteStartTransaction until `giveUpAt`.
        case awaitingRemoteStart(giveUpAt: Timestamp)
        /// End of the run: no more sessions.
        case stopped
    }

    /// The seeded streams of one charge point, derived from `SplitMix64.stream(seed:index:)` in a
    /// fixed order: the meter, faults, outages, reboots, DataTransfer, then one per connector. Each
    /// process draws only from its own stream, so the timing of one (a session that ran longer)
    /// never shifts another's draws. This order is frozen, like the stream formula.
    struct Streams: Sendable {
        var meter: SplitMix64
        var faults: SplitMix64
        var outages: SplitMix64
        var reboots: SplitMix64
        var dataTransfer: SplitMix64
        /// Index 0 unused; connector c draws from `connectors[c]`.
        var connectors: [SplitMix64]

        init(seed: UInt64, chargePointIndex: Int, connectors: Int) {
            var base = SplitMix64.stream(seed: seed, index: UInt64(chargePointIndex))
            meter = SplitMix64(seed: base.next())
            faults = SplitMix64(seed: base.next())
            outages = SplitMix64(seed: base.next())
            reboots = SplitMix64(seed: base.next())
            dataTransfer = SplitMix64(seed: base.next())
            self.connectors = [SplitMix64(seed: 0)] + (0..<connectors).map { _ in SplitMix64(seed: base.next()) }
        }
    }

    /// The EV at a connector, drawn when it arrives.
    struct EV: Sendable, Equatable {
        /// Most power it draws here: its own maximum, capped by the connector's rating.
        var fullW: Double
        var batteryWh: Double
        var initialSoC: Double
        /// Energy the driver wants; nil: as much as fits until the driver returns.
        var demandWh: Double?
        /// Seconds from the transaction's start to full power.
        var rampSeconds: Double

        var profile: EVProfile {
            EVProfile(maxPowerW: rampSeconds > 0 ? fullW * Self.rampLevels[0] : fullW, batteryWh: batteryWh, initialSoC: initialSoC)
        }

        /// The power during the ramp's four quarters, as a share of full power: the steps' mean
        /// is one half, as for a straight ramp.
        static let rampLevels = [0.125, 0.375, 0.625, 0.875]
    }

    /// A running transaction's power schedule; only sessions with a ramp, taper, energy demand
    /// or pause have one.
    struct Charge: Sendable, Equatable {
        var startedAt: Timestamp
        /// The power last asked of the engine.
        var appliedW: Double
        var nextCheck: Timestamp?
        var suspendAt: Timestamp?
        var resumeAt: Timestamp?
    }

    /// Shared by every charge point of the profile: one copy per run, not one per driver.
    let profile: SharedBehaviour
    var behaviour: BehaviourSpec { profile.spec }
    let chargePointIndex: Int
    /// Per connector (index 0 unused): the connector's power limit in W.
    let limitsW: [Double]
    var streams: Streams
    private(set) var phases: [Phase]
    var evs: [EV?]
    var charges: [Charge?]
    /// When the next fault, outage, reboot and DataTransfer fall due (nil: none planned).
    var faultAt: Timestamp?
    var fault: (connector: Int, clearsAt: Timestamp)?
    var outageAt: Timestamp?
    var rebootAt: Timestamp?
    var dataTransferAt: Timestamp?
    /// An outage the shell must carry out: drop the connection and stay offline this long.
    var requestedOutage: Interval?

    init(behaviour: SharedBehaviour, chargePointIndex: Int, connectorLimitsW: [Double], seed: UInt64) {
        self.profile = behaviour
        self.chargePointIndex = chargePointIndex
        self.limitsW = [0] + connectorLimitsW
        self.streams = Streams(seed: seed, chargePointIndex: chargePointIndex, connectors: connectorLimitsW.count)
        self.phases = Array(repeating: .stopped, count: connectorLimitsW.count + 1)
        self.evs = Array(repeating: nil, count: connectorLimitsW.count + 1)
        self.charges = Array(repeating: nil, count: connectorLimitsW.count + 1)
    }

    /// Connectors rated at `ConnectorSpec.standardAC`.
    init(behaviour: BehaviourSpec, chargePointIndex: Int, connectors: Int, seed: UInt64) {
        self.init(behaviour: SharedBehaviour(behaviour), chargePointIndex: chargePointIndex,
                  connectorLimitsW: Array(repeating: ConnectorSpec.standardAC.powerLimitW, count: connectors), seed: seed)
    }

    /// Starts the first session cycle on every connector and plans the first random events.
    mutating func begin(now: Timestamp) {
        for connector in 1..<phases.count {
            phases[connector] = .idle(plugAt: now + draw(behaviour.arrival, connector))
        }
        planEvents(now: now)
    }

    /// No new sessions or events; running transactions are stopped by the engine.
    mutating func stop() {
        for connector in phases.indices {
            phases[connector] = .stopped
            charges[connector] = nil
        }
        faultAt = nil
        outageAt = nil
        rebootAt = nil
        dataTransferAt = nil
        // A fault still active stays so in the engine; the run is over.
        fault = nil
    }

    var nextWakeup: Timestamp? {
        var earliest: Timestamp?
        func consider(_ time: Timestamp?) {
            if let time, earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        for (connector, phase) in phases.enumerated() {
            switch phase {
            case .idle(let at), .plugged(let at, _), .leaving(let at), .arrivingForRemoteStart(let at),
                 .awaitingRemoteStart(let at):
                consider(at)
            case .charging(_, let at):
                consider(at)
                if let charge = charges[connector] {
                    consider(charge.nextCheck)
                    consider(charge.suspendAt)
                    consider(charge.resumeAt)
                }
            case .starting, .stopped:
                break
            }
        }
        consider(eventsWakeup)
        return earliest
    }

    /// Performs every step that is due.
    mutating func tick<Engine: DrivenEngine>(now: Timestamp, engine: inout Engine, into out: inout [EngineOutput]) {
        tickEvents(now: now, engine: &engine, into: &out)
        for connector in 1..<phases.count {
            switch phases[connector] {
            case .idle(let at) where at <= now:
                arrive(connector, now: now, engine: &engine, into: &out)
            case .awaitingRemoteStart(let at) where at <= now:
                // The app never started the session: the driver gives up and leaves.
                engine.unplug(connector: connector, now: now, into: &out)
                departed(connector, now: now)
            case .plugged(let at, let tag) where at <= now:
                phases[connector] = .starting(idTag: tag)
                engine.presentIdTag(tag, connector: connector, now: now, into: &out)
            case .charging(_, let at) where at <= now:
                endSession(connector, now: now, engine: &engine, into: &out)
            case .charging:
                tickPower(connector, now: now, engine: &engine, into: &out)
            case .leaving(let at) where at <= now:
                engine.unplug(connector: connector, now: now, into: &out)
                departed(connector, now: now)
            case .arrivingForRemoteStart(let at) where at <= now:
                phases[connector] = .starting(idTag: "")
                let ev = drawEV(connector)
                evs[connector] = ev
                engine.plugIn(connector: connector, ev: ev.profile, now: now, into: &out)
            case .idle, .plugged, .leaving, .arrivingForRemoteStart, .awaitingRemoteStart, .starting, .stopped:
                break
            }
        }
    }

    /// How long a driver who started from an app waits for RemoteStartTransaction.
    static let remoteStartPatience = Interval.seconds(120)

    /// An EV arrives. At a faulted connector it goes elsewhere; otherwise the session's kind is
    /// drawn (app, refused card, unknown card or a valid one) and the EV plugs in.
    private mutating func arrive<Engine: DrivenEngine>(_ connector: Int, now: Timestamp, engine: inout Engine,
                                                     into out: inout [EngineOutput]) {
        if let fault, fault.connector == connector {
            phases[connector] = .idle(plugAt: now + draw(behaviour.arrival, connector))
            return
        }
        let u = Distribution.unit(&streams.connectors[connector])
        let remote = behaviour.remoteStartShare
        let invalid = remote + behaviour.invalidShare
        let unknown = invalid + behaviour.unknownShare
        if u < remote {
            phases[connector] = .awaitingRemoteStart(giveUpAt: now + Self.remoteStartPatience)
        } else {
            let tag: String
            if u < invalid {
                tag = RefusedTag.invalid(chargePointIndex: chargePointIndex, blocked: u < remote + behaviour.invalidShare / 2)
            } else if u < unknown {
                tag = RefusedTag.unknown(random: streams.connectors[connector].next())
            } else {
                tag = validTag(connector)
            }
            phases[connector] = .plugged(tagAt: now + draw(behaviour.plugToAuthorize, connector), idTag: tag)
        }
        let ev = drawEV(connector)
        evs[connector] = ev
        engine.plugIn(connector: connector, ev: ev.profile, now: now, into: &out)
    }

    /// The driver ends the session: with the card that started it, or (an app session) by unplugging.
    mutating func endSession<Engine: DrivenEngine>(_ connector: Int, now: Timestamp, engine: inout Engine,
                                                 into out: inout [EngineOutput]) {
        guard case .charging(let tag, _) = phases[connector] else { return }
        charges[connector] = nil
        if tag.isEmpty {
            engine.unplug(connector: connector, now: now, into: &out)
            departed(connector, now: now)
        } else {
            phases[connector] = .leaving(unplugAt: now + draw(behaviour.unplugDelay, connector))
            engine.presentIdTag(tag, connector: connector, now: now, into: &out)
        }
    }

    /// The EV has left; the next one arrives after an inter-arrival time.
    private mutating func departed(_ connector: Int, now: Timestamp) {
        evs[connector] = nil
        charges[connector] = nil
        phases[connector] = .idle(plugAt: now + draw(behaviour.arrival, connector))
    }

    /// A fault, reboot or the like ended the session from the charge point's side: an EV that is
    /// plugged in leaves after the unplug delay; one on its way after a remote start turns back.
    mutating func abandon(_ connector: Int, now: Timestamp) {
        charges[connector] = nil
        switch phases[connector] {
        case .plugged, .starting, .charging, .awaitingRemoteStart:
            phases[connector] = .leaving(unplugAt: now + draw(behaviour.unplugDelay, connector))
        case .arrivingForRemoteStart:
            departed(connector, now: now)
        case .idle, .leaving, .stopped:
            break
        }
    }

    /// Reacts to what the engine reports.
    mutating func handle(_ event: EngineEvent, now: Timestamp) {
        switch event {
        case .transactionStarted(let connector, _):
            guard connector < phases.count else { return }
            switch phases[connector] {
            case .starting(let tag):
                startCharging(connector, idTag: tag, now: now)
            case .awaitingRemoteStart:
                startCharging(connector, idTag: "", now: now)
            case .idle, .plugged, .charging, .leaving, .arrivingForRemoteStart, .stopped:
                break
            }
        case .remoteStartAccepted(let connector):
            guard connector < phases.count else { return }
            switch phases[connector] {
            case .idle:
                phases[connector] = .arrivingForRemoteStart(plugAt: now + draw(behaviour.plugToAuthorize, connector))
            case .plugged, .awaitingRemoteStart:
                phases[connector] = .starting(idTag: "")
            case .starting, .charging, .leaving, .arrivingForRemoteStart, .stopped:
                break
            }
        case .sessionEndedByCSMS(let connector), .authorizationFailed(let connector):
            guard connector < phases.count else { return }
            switch phases[connector] {
            case .plugged, .starting, .charging, .arrivingForRemoteStart, .awaitingRemoteStart:
                charges[connector] = nil
                phases[connector] = .leaving(unplugAt: now + draw(behaviour.unplugDelay, connector))
            case .idle, .leaving, .stopped:
                break
            }
        case .callSent, .callCompleted, .callErrored, .callTimedOut, .incoming, .bootAccepted, .protocolFault,
             .transactionStopped, .transactionMessageDropped, .securityEventDropped,
             .transactionMessageQueuedOffline, .transactionMessageReplayed:
            break
        }
    }

    private mutating func startCharging(_ connector: Int, idTag: String, now: Timestamp) {
        phases[connector] = .charging(idTag: idTag, stopAt: now + draw(behaviour.chargeDuration, connector))
        charges[connector] = planCharge(connector, now: now)
        planPause(connector, now: now)
    }

    /// A valid card from the profile's source.
    private mutating func validTag(_ connector: Int) -> String {
        switch behaviour.idTags {
        case .list(let tags):
            guard !tags.isEmpty else { return profile.idTagPattern.format(index: chargePointIndex) }
            return tags[Int(streams.connectors[connector].next() % UInt64(tags.count))]
        case .pattern:
            return profile.idTagPattern.format(index: chargePointIndex)
        case .pool(_, let size):
            return profile.idTagPattern.format(index: 1 + Int(streams.connectors[connector].next() % UInt64(max(1, size))))
        }
    }

    /// A draw from `connector`'s stream, as an interval (negative draws count as 0).
    mutating func draw(_ distribution: Distribution, _ connector: Int) -> Interval {
        Self.interval(seconds: distribution.sample(using: &streams.connectors[connector]))
    }

    static func interval(seconds: Double) -> Interval {
        Interval(microseconds: Int64(min(max(0, seconds), 1e12) * 1_000_000))
    }

    private mutating func drawEV(_ connector: Int) -> EV {
        let kw = max(0.1, behaviour.powerKW.sample(using: &streams.connectors[connector]))
        let battery = max(1, behaviour.batteryKWh.sample(using: &streams.connectors[connector])) * 1000
        let soc = min(100, max(0, behaviour.initialSoC.sample(using: &streams.connectors[connector])))
        let demand = behaviour.energyKWh.map { max(0, $0.sample(using: &streams.connectors[connector])) * 1000 }
        let ramp = max(0, behaviour.powerCurve.ramp.sample(using: &streams.connectors[connector]))
        return EV(fullW: min(kw * 1000, limitsW[connector]), batteryWh: battery, initialSoC: soc,
                  demandWh: demand, rampSeconds: ramp)
    }
}
