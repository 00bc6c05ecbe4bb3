import ChargePoint
import FleetSpec
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import OCPP
import Synchronization
import Telemetry

/// Connections open right now across all loops, and the most at once: exact, since
/// connects and disconnects are rare next to messages.
final class ConnectionGauge: Sendable {
    private let current = Atomic<Int>(0)
    private let peakValue = Atomic<Int>(0)

    func connected() {
        let now = current.add(1, ordering: .relaxed).newValue
        var seen = peakValue.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peakValue.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    func disconnected() { current.subtract(1, ordering: .relaxed) }
    var now: Int { current.load(ordering: .relaxed) }
    var peak: Int { peakValue.load(ordering: .relaxed) }
}

/// State shared by the charge points of one event loop (never across loops).
final class LoopShared {
    let telemetry: LoopTelemetry
    let clock: FleetClock
    let endpoint: CSMSEndpoint
    /// The CSMS host resolved once at start; nil if that failed (each connect then resolves).
    var address: SocketAddress?
    /// `FleetConfiguration.sourceAddresses`, resolved once at start.
    var sources: [SocketAddress] = []
    let gauge: ConnectionGauge
    let logger: Logger
    var backoff = ReconnectBackoff(initial: .milliseconds(500), max: .seconds(30))
    /// The largest WebSocket message a charge point accepts (`run.maxFrameSize`).
    var maxFrameSize = RunSettings.defaultMaxFrameSize
    var chargePoints: [SimulatedChargePoint] = []
    /// Each group's security, by `ChargePointPlan.group`.
    var transports: [GroupTransport] = []
    let failureLog: ConnectionFailureLog
    /// When the lag probe should run next; how late it actually runs is the loop's lag.
    var lagProbeDue: NIODeadline?
    var lagProbe: RepeatedTask?
    /// The charge points' timers (one NIO task per loop instead of one per charge point).
    let timers: TimerWheel
    /// Connection attempts in flight on this loop, and the charge points waiting to start one.
    var connectSlots = ConnectSlots<SimulatedChargePoint>()

    init(clock: FleetClock, endpoint: CSMSEndpoint, gauge: ConnectionGauge, failureLog: ConnectionFailureLog,
         logger: Logger, groups: Int, timerSlack: Duration) {
        self.telemetry = LoopTelemetry(groups: groups)
        self.clock = clock
        self.timers = TimerWheel(tickNanos: TimerWheel.tickNanos(forTimeScale: clock.scale, slack: timerSlack))
        self.endpoint = endpoint
        self.gauge = gauge
        self.failureLog = failureLog
        self.logger = logger
    }
}

/// Which (group, failure kind) pairs have been logged: the first connection failure of each
/// kind in a group is logged once, every later one only counted, so a CSMS refusing a whole
/// fleet is one clear line per group, not one per charge point per retry. A lock, taken only
/// on failed connection attempts.
final class ConnectionFailureLog: Sendable {
    private let seen = Mutex<Set<String>>([])

    /// True the first time `kind` is seen for `group`.
    func isFirst(group: Int, kind: String) -> Bool {
        seen.withLock { $0.insert("\(group)\u{0}\(kind)").inserted }
    }
}

/// Why a run could not start: TLS files that cannot be read, a security profile that does not
/// fit the CSMS URL. Said once, before any charge point connects.
public struct FleetSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

@available(*, unavailable)
extension LoopShared: Sendable {}

/// What a fleet run needs, resolved from the spec and the command line.
public struct FleetConfiguration: Sendable {
    /// The charge points this process runs: the whole fleet, or one shard's slice of it.
    public var plans: [ChargePointPlan]
    /// Charge points in the whole fleet (`plans.count` unless `plans` is one shard's slice).
    /// The ramp is the whole fleet's: each charge point starts at the offset its index has in
    /// it, so it starts at the same moment whichever shard runs it, and shards started
    /// together ramp like the fleet run in one process.
    public var fleetSize: Int
    public var behaviours: [String: BehaviourSpec]
    public var endpoint: CSMSEndpoint
    public var seed: UInt64
    public var rampUp: Duration
    /// How first connections spread over time (`.linear(rampUp)` unless given); each plan's
    /// `startOffset` is added.
    public var ramp: RampSpec
    public var callTimeout: Duration
    public var stopTimeout: Duration
    /// `run.rampDown`: the spread of the end-of-run stops; nil: the default of
    /// `RunSettings.rampDown(_:rampSpan:stopTimeout:)`.
    public var rampDown: Duration?
    public var reconnectInitial: Duration
    public var reconnectMax: Duration
    /// Simulated seconds per wall-clock second (`run.timeScale`); 1 is real time.
    public var timeScale: Double
    /// The largest WebSocket message a charge point accepts (`run.maxFrameSize`).
    public var maxFrameSize = RunSettings.defaultMaxFrameSize
    /// How late a timer may fire to share a wake-up (`run.timerSlack`): the timing wheel's slot.
    public var timerSlack = RunSettings.defaultTimerSlack
    /// Each group's name and security, indexed by `ChargePointPlan.group`; a plan whose group
    /// is missing connects with security profile 0.
    public var groups: [GroupConnection]
    /// `--trace`: the frames of the charge points whose id matches its pattern go to its file.
    public var trace: FrameTrace?
    /// Local addresses the connections go out from, round-robin by plan index
    /// (`csms.sourceAddresses`, `--source-addresses`); empty: the kernel's choice.
    public var sourceAddresses = SourceAddresses([])

    /// How one group connects.
    public struct GroupConnection: Sendable, Equatable {
        public var name: String
        public var security: ConnectionSecurity
        public init(name: String, security: ConnectionSecurity) {
            self.name = name
            self.security = security
        }
    }

    /// Names of the spec's groups, by index (`ChargePointPlan.group`): the `group` label of live
    /// metrics; a group the configuration does not name is `group-<n>`.
    public var groupNames: [String] {
        let count = max(groups.count, (plans.map(\.group).max() ?? 0) + 1)
        return (0..<count).map { $0 < groups.count ? groups[$0].name : "group-\($0 + 1)" }
    }

    public init(plans: [ChargePointPlan], behaviours: [String: BehaviourSpec], endpoint: CSMSEndpoint, seed: UInt64,
                rampUp: Duration, callTimeout: Duration, stopTimeout: Duration,
                reconnectInitial: Duration = .milliseconds(500), reconnectMax: Duration = .seconds(30),
                groups: [GroupConnection] = [], ramp: RampSpec? = nil, timeScale: Double = 1) {
        self.timeScale = timeScale
        self.plans = plans
        self.fleetSize = plans.count
        self.ramp = ramp ?? .linear(rampUp)
        self.behaviours = behaviours
        self.endpoint = endpoint
        self.seed = seed
        self.rampUp = rampUp
        self.callTimeout = callTimeout
        self.stopTimeout = stopTimeout
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
        self.groups = groups
    }
}

extension FleetConfiguration {
    /// A spec's run settings, with the plans, endpoint and seed the caller resolved (the
    /// command line may override size, backend and seed).
    public init(spec: FleetSpec, plans: [ChargePointPlan], endpoint: CSMSEndpoint, seed: UInt64) {
        self.init(plans: plans, behaviours: spec.behaviours, endpoint: endpoint, seed: seed,
                  rampUp: spec.run.rampUp, callTimeout: spec.run.callTimeout, stopTimeout: spec.run.stopTimeout,
                  reconnectInitial: spec.run.reconnectInitial, reconnectMax: spec.run.reconnectMax,
                  groups: spec.groups.map { GroupConnection(name: $0.name, security: $0.security) }, ramp: spec.ramp,
                  timeScale: spec.run.timeScale)
        maxFrameSize = spec.run.maxFrameSize
        sourceAddresses = spec.sourceAddresses
        rampDown = spec.run.rampDown
        timerSlack = spec.run.timerSlack
    }

    /// How long the end-of-run stops are spread over: `rampDown`, or the whole fleet's ramp span
    /// (at most half of `stopTimeout`). The same for every shard of a fleet.
    public var effectiveRampDown: Duration {
        RunSettings.rampDown(rampDown, rampSpan: ramp.span(count: fleetSize, seed: seed), stopTimeout: stopTimeout)
    }
}

/// How the end of a run went.
public struct FleetOutcome: Sendable {
    public var telemetry: TelemetrySnapshot
    public var peakConnected: Int
    /// Transactions still open, or transaction messages unconfirmed, when the wait ended.
    public var openTransactions: Int
    public var unconfirmedTransactionMessages: Int
    /// The most common reason a connection failed, if any did.
    public var connectFailures: [String: Int]
    /// Second by second, from the start to the end of `finish()`.
    public var timeSeries: TimeSeries
    /// Each group's connection figures, by the spec's group index.
    public var groups: [GroupTally]
}

/// Runs a fleet: charge points spread round-robin over the loops of one
/// `MultiThreadedEventLoopGroup`, each confined to its loop for life.
public final class FleetRunner: Sendable {
    private let configuration: FleetConfiguration
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let clock: FleetClock
    private let gauge = ConnectionGauge()
    private let failureLog = ConnectionFailureLog()
    let loops: [LoopSlot]
    let sampler: FleetSampler

    public init(configuration: FleetConfiguration, group: MultiThreadedEventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.clock = FleetClock(scale: configuration.timeScale)
        let groupCount = max(configuration.groupNames.count, (configuration.plans.map(\.group).max() ?? 0) + 1)
        var loops: [LoopSlot] = []
        let failureLog = self.failureLog
        for loop in group.makeIterator() {
            let shared = LoopShared(clock: clock, endpoint: configuration.endpoint, gauge: gauge, failureLog: failureLog,
                                    logger: logger, groups: groupCount, timerSlack: configuration.timerSlack)
            shared.maxFrameSize = configuration.maxFrameSize
            loops.append(LoopSlot(loop: loop, box: NIOLoopBoundBox.makeBoxSendingValue(shared, eventLoop: loop)))
        }
        self.loops = loops
        var names = configuration.groupNames
        while names.count < groupCount { names.append("group-\(names.count + 1)") }
        self.sampler = FleetSampler(loops: loops, clock: clock, gauge: gauge, groupNames: names)
    }

    public var connectedNow: Int { gauge.now }
    public var peakConnected: Int { gauge.peak }

    private var engineSettings: EngineSettings {
        // The timeout is a network matter, in wall-clock time: the engine counts it in simulated time.
        EngineSettings(callTimeout: clock.simulated(Interval(microseconds: Self.micros(configuration.callTimeout))))
    }

    static func micros(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }

    /// Each group's transport, and every charge point's TLS context, checked against the URL:
    /// all TLS files are read here, before anyone connects.
    private func prepareTransports() throws(FleetSetupError) -> (groups: [GroupTransport], contexts: [NIOSSLContext?]) {
        let endpoint = configuration.endpoint
        let groupCount = (configuration.plans.map(\.group).max() ?? -1) + 1
        var transports: [GroupTransport] = []
        for index in 0..<max(groupCount, configuration.groups.count) {
            let group = index < configuration.groups.count
                ? configuration.groups[index]
                : FleetConfiguration.GroupConnection(name: "group-\(index + 1)", security: .unsecured)
            let profile = group.security.profile
            if profile.usesTLS != endpoint.secure {
                throw FleetSetupError(description: "group '\(group.name)' uses security profile \(profile), "
                    + "which needs a \(profile.usesTLS ? "wss://" : "ws://") URL, but the CSMS is \(endpoint) "
                    + "(set csms.securityProfile in the fleet spec)")
            }
            transports.append(try GroupTransport(name: group.name, security: group.security))
        }
        var contexts: [NIOSSLContext?] = []
        contexts.reserveCapacity(configuration.plans.count)
        for plan in configuration.plans {
            contexts.append(try transports[plan.group].context(forChargePoint: plan.id, index: plan.index))
        }
        return (transports, contexts)
    }

    /// Creates every charge point on its loop and schedules its first connection,
    /// at its ramp offset in the whole fleet (`RampSpec.startOffsets`, deterministic for the
    /// seed) plus its group's start offset; from then on, once a second, every loop's telemetry is
    /// flushed into the run's time series and `onSample` (if any) gets the fleet's second.
    /// Throws ``FleetSetupError`` when TLS material cannot be loaded or a group's security
    /// profile does not fit the URL.
    public func start(onSample: (@Sendable (FleetSample) -> Void)? = nil) async throws {
        let (transports, contexts) = try prepareTransports()
        let sources = try configuration.sourceAddresses.addresses.map { text throws(FleetSetupError) -> SocketAddress in
            do {
                return try SocketAddress(ipAddress: text, port: 0)
            } catch {
                throw FleetSetupError(description: "source address \(text): \(error)")
            }
        }
        sampler.begin(onSample: onSample)
        let plans = configuration.plans
        let count = plans.count
        let startOffsets = configuration.ramp.startOffsets(of: plans, fleetSize: configuration.fleetSize,
                                                           seed: configuration.seed)
        let settings = engineSettings
        let endpoint = configuration.endpoint
        let address = try? SocketAddress.makeAddressResolvingHost(endpoint.host, port: endpoint.port)
        let backoff = ReconnectBackoff(initial: Interval(microseconds: Self.micros(configuration.reconnectInitial)),
                                       max: Interval(microseconds: Self.micros(configuration.reconnectMax)))
        var starts: [EventLoopFuture<Void>] = []
        for (loopIndex, slot) in loops.enumerated() {
            let box = slot.box
            let mine = stride(from: loopIndex, to: count, by: loops.count).map {
                (plans[$0], contexts[$0], Self.micros(startOffsets[$0]))
            }
            let behaviours = configuration.behaviours.mapValues(SharedBehaviour.init)
            let fallback = SharedBehaviour(.default)
            let seed = configuration.seed
            let trace = configuration.trace
            starts.append(slot.loop.submit {
                let shared = box.value
                shared.address = address
                shared.sources = sources
                shared.backoff = backoff
                shared.transports = transports
                let isolated = slot.loop.assumeIsolated()
                for (plan, tlsContext, offset) in mine {
                    let behaviour = behaviours[plan.behaviour] ?? fallback
                    let chargePoint = SimulatedChargePoint(plan: plan, behaviour: behaviour, settings: settings,
                                                           seed: seed, tlsContext: tlsContext, loop: slot.loop, shared: shared,
                                                           trace: trace.flatMap { $0.matches(plan.id) ? $0 : nil })
                    shared.chargePoints.append(chargePoint)
                    isolated.scheduleTask(in: .microseconds(offset)) { chargePoint.start() }
                }
            })
        }
        for start in starts { try await start.get() }
        for slot in loops { startLagProbe(slot) }
    }

    static let lagProbeInterval = TimeAmount.milliseconds(100)


    /// Samples how late each loop runs a timer: the generator's own saturation, reported so
    /// that nobody blames the backend for the client's queueing.
    private func startLagProbe(_ slot: LoopSlot) {
        let box = slot.box
        slot.loop.execute {
            let shared = box.value
            shared.lagProbeDue = .now() + Self.lagProbeInterval
            shared.lagProbe = slot.loop.scheduleRepeatedTask(initialDelay: Self.lagProbeInterval,
                                                             delay: Self.lagProbeInterval) { _ in
                let shared = box.value
                let now = NIODeadline.now()
                if let due = shared.lagProbeDue {
                    shared.telemetry.eventLoopLagSampled(micros: max(0, (now - due).nanoseconds / 1000))
                }
                shared.lagProbeDue = now + Self.lagProbeInterval
            }
        }
    }

    /// What happens to running transactions at the end of a run.
    public enum OnExit: String, Sendable, CaseIterable {
        /// Stop each with reason Local and wait (bounded) for the CSMS to confirm.
        case stopTransactions = "stop-transactions"
        /// Leave them running on the CSMS: just close the connections.
        case leave
    }

    private let hurried = Atomic<Bool>(false)

    /// Cuts `finish` short (a second SIGINT): no more waiting for confirmations or close
    /// handshakes; the outcome is taken as it stands.
    public func hurry() { hurried.store(true, ordering: .relaxed) }

    /// Ends the run: no new sessions, every transaction stopped (reason Local) unless
    /// `onExit` is `.leave`, a bounded wait for their answers, then a normal close of
    /// every WebSocket.
    public func finish(onExit: OnExit = .stopTransactions) async -> FleetOutcome {
        for slot in loops {
            let box = slot.box
            try? await slot.loop.submit { box.value.lagProbe?.cancel() }.get()
        }
        let stopTransactions = onExit == .stopTransactions
        await finishChargePoints(stopTransactions: stopTransactions)
        let deadline = ContinuousClock.now + configuration.stopTimeout
        while stopTransactions, ContinuousClock.now < deadline, !hurried.load(ordering: .relaxed) {
            let pending = await totals()
            if pending.messages == 0 && pending.open == 0 { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let remaining = await totals()
        await forEachChargePoint { $0.close() }
        // Give the close handshakes a moment (bounded by the handler's own grace).
        let closeDeadline = ContinuousClock.now + .seconds(3)
        while gauge.now > 0, ContinuousClock.now < closeDeadline, !hurried.load(ordering: .relaxed) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let (timeSeries, groups) = await sampler.end()
        var snapshot = TelemetrySnapshot()
        var failures: [String: Int] = [:]
        for slot in loops {
            let box = slot.box
            let collected = try? await slot.loop.submit { () -> (TelemetrySnapshot, [String: Int]) in
                var reasons: [String: Int] = [:]
                for chargePoint in box.value.chargePoints {
                    if let failure = chargePoint.failure { reasons[failure.description, default: 0] += 1 }
                }
                return (box.value.telemetry.snapshot(), reasons)
            }.get()
            if let (part, reasons) = collected {
                snapshot.merge(part)
                failures.merge(reasons, uniquingKeysWith: +)
            }
        }
        return FleetOutcome(telemetry: snapshot, peakConnected: gauge.peak, openTransactions: remaining.open,
                            unconfirmedTransactionMessages: remaining.messages, connectFailures: failures,
                            timeSeries: timeSeries, groups: groups)
    }

    /// Every charge point starts no new session from now; with `stopTransactions`, charge point k
    /// of the fleet's n (by plan index, whichever shard runs it) stops its transactions
    /// `effectiveRampDown × (k − 1) / n` later, as the ramp spread their first connections.
    private func finishChargePoints(stopTransactions: Bool) async {
        let plans = configuration.plans
        let spread = stopTransactions ? Self.micros(configuration.effectiveRampDown) : 0
        let fleetSize = Int64(max(1, configuration.fleetSize))
        for (loopIndex, slot) in loops.enumerated() {
            let box = slot.box
            // A loop's charge points are its stride of the plans, in order (`start`).
            let delays = stride(from: loopIndex, to: plans.count, by: loops.count).map {
                spread * Int64(max(0, plans[$0].index - 1)) / fleetSize
            }
            try? await slot.loop.submit {
                for (position, chargePoint) in box.value.chargePoints.enumerated() {
                    chargePoint.finish(stopTransactions: stopTransactions,
                                       after: position < delays.count ? delays[position] : 0)
                }
            }.get()
        }
    }

    private func totals() async -> (open: Int, messages: Int) {
        var open = 0
        var messages = 0
        for slot in loops {
            let box = slot.box
            let part = try? await slot.loop.submit { () -> (Int, Int) in
                box.value.chargePoints.reduce((0, 0)) { ($0.0 + $1.openTransactions, $0.1 + $1.pendingTransactionMessages) }
            }.get()
            open += part?.0 ?? 0
            messages += part?.1 ?? 0
        }
        return (open, messages)
    }

    private func forEachChargePoint(_ body: @escaping @Sendable (SimulatedChargePointHandle) -> Void) async {
        for slot in loops {
            let box = slot.box
            try? await slot.loop.submit {
                for chargePoint in box.value.chargePoints { body(SimulatedChargePointHandle(chargePoint)) }
            }.get()
        }
    }
}

struct LoopSlot: Sendable {
    let loop: any EventLoop
    let box: NIOLoopBoundBox<LoopShared>
}

/// Lets a `@Sendable` closure act on a charge point while running on its loop.
struct SimulatedChargePointHandle {
    fileprivate let chargePoint: SimulatedChargePoint
    fileprivate init(_ chargePoint: SimulatedChargePoint) { self.chargePoint = chargePoint }
    func close() { chargePoint.close() }
}
