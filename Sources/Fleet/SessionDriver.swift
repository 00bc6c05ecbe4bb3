import ChargePoint
import FleetSpec
import OCPP

/// The simulated people at one charge point: they plug in, present a card, charge,
/// stop and leave, with durations drawn from the behaviour profile's distributions.
/// It feeds inputs to the engine and knows nothing of sockets; its randomness is its
/// own seeded stream, so a charge point's sessions do not depend on any other's.
struct SessionDriver: Sendable {
    enum Phase: Sendable, Equatable {
        /// Nobody here; the next EV arrives at `plugAt`.
        case idle(plugAt: Timestamp)
        /// Plugged in; the card is shown at `tagAt`.
        case plugged(tagAt: Timestamp)
        /// Card shown, or remote start accepted: waiting for the engine to confirm a transaction.
        case starting(idTag: String)
        /// Charging; the driver ends the session at `stopAt`.
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

    private var random: SplitMix64
    private let behaviour: BehaviourSpec
    private let chargePointIndex: Int
    private(set) var phases: [Phase]

    init(behaviour: BehaviourSpec, chargePointIndex: Int, connectors: Int, seed: UInt64) {
        self.behaviour = behaviour
        self.chargePointIndex = chargePointIndex
        self.random = SplitMix64.stream(seed: seed, index: UInt64(chargePointIndex))
        self.phases = Array(repeating: .stopped, count: connectors + 1)
    }

    /// Starts the first session cycle on every connector.
    mutating func begin(now: Timestamp) {
        for connector in 1..<phases.count {
            phases[connector] = .idle(plugAt: now + draw(behaviour.idleBetweenSessions))
        }
    }

    /// No new sessions; running ones are stopped by the engine.
    mutating func stop() {
        for connector in phases.indices { phases[connector] = .stopped }
    }

    var nextWakeup: Timestamp? {
        var earliest: Timestamp?
        for phase in phases {
            let due: Timestamp?
            switch phase {
            case .idle(let at), .plugged(let at), .leaving(let at), .arrivingForRemoteStart(let at),
                 .awaitingRemoteStart(let at): due = at
            case .charging(_, let at): due = at
            case .starting, .stopped: due = nil
            }
            if let due, earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    /// Performs every step that is due.
    mutating func tick<Engine: ChargePointEngine>(now: Timestamp, engine: inout Engine, into out: inout [EngineOutput]) {
        for connector in 1..<phases.count {
            switch phases[connector] {
            case .idle(let at) where at <= now:
                let appSession = behaviour.remoteStartShare > 0
                    && Distribution.uniform(lower: 0, upper: 1).sample(using: &random) < behaviour.remoteStartShare
                phases[connector] = appSession
                    ? .awaitingRemoteStart(giveUpAt: now + Self.remoteStartPatience)
                    : .plugged(tagAt: now + draw(behaviour.plugToAuthorize))
                engine.plugIn(connector: connector, ev: drawEV(), now: now, into: &out)
            case .awaitingRemoteStart(let at) where at <= now:
                // The app never started the session: the driver gives up and leaves.
                engine.unplug(connector: connector, now: now, into: &out)
                phases[connector] = .idle(plugAt: now + draw(behaviour.idleBetweenSessions))
            case .plugged(let at) where at <= now:
                let tag = idTag()
                phases[connector] = .starting(idTag: tag)
                engine.presentIdTag(tag, connector: connector, now: now, into: &out)
            case .charging(let tag, let at) where at <= now:
                if tag.isEmpty {
                    // A remote-started session has no card at hand: the driver ends it by unplugging.
                    engine.unplug(connector: connector, now: now, into: &out)
                    phases[connector] = .idle(plugAt: now + draw(behaviour.idleBetweenSessions))
                } else {
                    phases[connector] = .leaving(unplugAt: now + draw(behaviour.unplugDelay))
                    engine.presentIdTag(tag, connector: connector, now: now, into: &out)
                }
            case .leaving(let at) where at <= now:
                engine.unplug(connector: connector, now: now, into: &out)
                phases[connector] = .idle(plugAt: now + draw(behaviour.idleBetweenSessions))
            case .arrivingForRemoteStart(let at) where at <= now:
                phases[connector] = .starting(idTag: "")
                engine.plugIn(connector: connector, ev: drawEV(), now: now, into: &out)
            case .idle, .plugged, .charging, .leaving, .arrivingForRemoteStart, .awaitingRemoteStart, .starting, .stopped:
                break
            }
        }
    }

    /// How long a driver who started from an app waits for RemoteStartTransaction.
    static let remoteStartPatience = Interval.seconds(120)

    /// Reacts to what the engine reports.
    mutating func handle(_ event: EngineEvent, now: Timestamp) {
        switch event {
        case .transactionStarted(let connector, _):
            guard connector < phases.count else { return }
            switch phases[connector] {
            case .starting(let tag):
                phases[connector] = .charging(idTag: tag, stopAt: now + draw(behaviour.chargeDuration))
            case .awaitingRemoteStart:
                phases[connector] = .charging(idTag: "", stopAt: now + draw(behaviour.chargeDuration))
            case .idle, .plugged, .charging, .leaving, .arrivingForRemoteStart, .stopped:
                break
            }
        case .remoteStartAccepted(let connector):
            guard connector < phases.count else { return }
            switch phases[connector] {
            case .idle:
                phases[connector] = .arrivingForRemoteStart(plugAt: now + draw(behaviour.plugToAuthorize))
            case .plugged, .awaitingRemoteStart:
                phases[connector] = .starting(idTag: "")
            case .starting, .charging, .leaving, .arrivingForRemoteStart, .stopped:
                break
            }
        case .sessionEndedByCSMS(let connector), .authorizationFailed(let connector):
            guard connector < phases.count else { return }
            switch phases[connector] {
            case .plugged, .starting, .charging, .arrivingForRemoteStart, .awaitingRemoteStart:
                phases[connector] = .leaving(unplugAt: now + draw(behaviour.unplugDelay))
            case .idle, .leaving, .stopped:
                break
            }
        case .callSent, .callCompleted, .callErrored, .callTimedOut, .incoming, .bootAccepted,
             .transactionStopped, .transactionMessageDropped, .securityEventDropped:
            break
        }
    }

    private mutating func idTag() -> String {
        switch behaviour.idTags {
        case .list(let tags):
            guard !tags.isEmpty else { return formatPattern(BehaviourSpec.defaultIdTagPattern, index: chargePointIndex) }
            return tags[Int(random.next() % UInt64(tags.count))]
        case .pattern(let pattern):
            return formatPattern(pattern, index: chargePointIndex)
        }
    }

    private mutating func draw(_ distribution: Distribution) -> Interval {
        let seconds = max(0, distribution.sample(using: &random))
        return Interval(microseconds: Int64(seconds * 1_000_000))
    }

    private mutating func drawEV() -> EVProfile {
        let kw = max(0.1, behaviour.powerKW.sample(using: &random))
        let battery = Distribution.uniform(lower: 40_000, upper: 100_000).sample(using: &random)
        let soc = Distribution.uniform(lower: 10, upper: 60).sample(using: &random)
        return EVProfile(maxPowerW: kw * 1000, batteryWh: battery, initialSoC: soc)
    }
}
