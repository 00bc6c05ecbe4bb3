import OCPP
import Telemetry

/// A validated fleet spec: where the CSMS is, how long to run, which charge points to simulate
/// and how their simulated drivers behave. See `docs/fleet-spec.md` for the YAML format.
public struct FleetSpec: Sendable, Equatable {
    /// The CSMS WebSocket endpoint (`ws://` or `wss://`), without a trailing slash; the charge point
    /// id is appended as one more path segment. `nil` means: use the embedded CSMS. How each group
    /// connects (security profile, password, TLS) is ``GroupSpec/security``.
    public var csmsURL: String?
    public var run: RunSettings
    /// At least one group, in spec order.
    public var groups: [GroupSpec]
    /// Every behaviour a group names, keyed by name; includes the built-in `"default"` profile
    /// whenever a group names no behaviour and the spec defines no `default` of its own.
    public var behaviours: [String: BehaviourSpec]
    /// Pass/fail criteria the run is held to (docs/thresholds.md), in spec order.
    public var thresholds: [Threshold]
    /// How first connections spread over time; `run.rampUp` is `.linear(run.rampUp)`.
    public var ramp: RampSpec
    /// CS→CP operations the embedded CSMS sends (the `scenario` section); only with the embedded CSMS.
    public var scenario: ScenarioSpec?
    /// Local addresses the connections go out from (`csms.sourceAddresses`); empty: the kernel's choice.
    public var sourceAddresses = SourceAddresses([])

    public init(
        csmsURL: String? = nil,
        run: RunSettings = RunSettings(),
        groups: [GroupSpec],
        behaviours: [String: BehaviourSpec],
        thresholds: [Threshold] = [],
        ramp: RampSpec? = nil,
        scenario: ScenarioSpec? = nil
    ) {
        self.scenario = scenario
        self.thresholds = thresholds
        self.csmsURL = csmsURL
        self.run = run
        self.groups = groups
        self.behaviours = behaviours
        self.ramp = ramp ?? .linear(run.rampUp)
    }

    /// Total number of charge points the spec describes (the sum of the group counts).
    public var totalCount: Int { groups.reduce(0) { $0 + $1.count } }

    /// Expands groups into charge point plans; `chargePoints` overrides the total, split over groups
    /// in proportion to their counts (largest-remainder rounding, each group ≥ 0, total exact).
    ///
    /// Indices run from 1 across all groups in order, so group 2 continues after group 1, and the id
    /// is the group's `idPattern` formatted with that global index. With an override, ties in the
    /// remainders go to the earlier group (1/1/1 split over 10 gives 4/3/3); a negative override
    /// counts as 0. An override can produce ids the spec validation never saw (longer, or colliding
    /// between two groups with overlapping patterns).
    public func chargePoints(overrideTotal: Int? = nil) -> [ChargePointPlan] {
        let counts = overrideTotal.map { Self.split(total: max(0, $0), weights: groups.map(\.count)) }
            ?? groups.map(\.count)
        var plans: [ChargePointPlan] = []
        plans.reserveCapacity(counts.reduce(0, +))
        var index = 0
        for (groupIndex, group) in groups.enumerated() {
            for _ in 0..<counts[groupIndex] {
                index += 1
                plans.append(ChargePointPlan(
                    index: index,
                    id: formatPattern(group.idPattern, index: index),
                    group: groupIndex,
                    vendor: group.vendor,
                    model: group.model,
                    firmwareVersion: group.firmwareVersion,
                    connectors: group.connectors,
                    behaviour: group.behaviour,
                    config: group.config,
                    serialNumber: formatPattern(group.serialPattern, index: index),
                    connectorSpecs: group.connectorSpecs,
                    initialMeterWh: group.initialMeterWh,
                    startOffset: group.startOffset,
                    securityEvents: group.sendsSecurityEvents,
                    ocppVersion: group.ocppVersion
                ))
            }
        }
        return plans
    }

    /// Splits `total` in proportion to `weights` with largest-remainder (Hamilton) rounding; ties
    /// go to the lower index. All weights 0 (or no weights) puts everything in the first bucket.
    static func split(total: Int, weights: [Int]) -> [Int] {
        guard !weights.isEmpty else { return [] }
        let sum = weights.reduce(0) { $0 + max(0, $1) }
        guard sum > 0 else { return [total] + Array(repeating: 0, count: weights.count - 1) }
        var shares = weights.map { total * max(0, $0) / sum }
        let remainders = weights.map { total * max(0, $0) % sum }
        var left = total - shares.reduce(0, +)
        let order = remainders.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
        for bucket in order where left > 0 {
            shares[bucket] += 1
            left -= 1
        }
        return shares
    }
}

/// How long and how fast a run goes. Durations are Swift `Duration`s.
public struct RunSettings: Sendable, Equatable {
    /// How long the load phase lasts; > 0.
    public var duration: Duration
    /// The fleet seed; each charge point's generator is `SplitMix64.stream(seed:index:)`.
    public var seed: UInt64
    /// Connects are spread evenly over this time; `.zero` connects as fast as possible.
    public var rampUp: Duration
    /// How long a CALL may wait for its CALLRESULT; > 0.
    public var callTimeout: Duration
    /// Bounded wait at the end of the run for StopTransaction answers; may be zero.
    public var stopTimeout: Duration
    /// The end-of-run stops (StopTransaction, 2.0.1 TransactionEvent Ended) spread evenly over this
    /// time in charge point order, as the ramp spreads the first connections; nil: the ramp's span,
    /// at most half of `stopTimeout` (``rampDown(_:rampSpan:stopTimeout:)``). At most `stopTimeout`.
    public var rampDown: Duration?
    /// Reconnect back-off: the n-th retry waits a uniformly random time in
    /// 0...min(reconnectMax, reconnectInitial × 2ⁿ) ("full jitter"), so a CSMS restart is not
    /// met by every charge point at once; > 0, and reconnectMax ≥ reconnectInitial.
    public var reconnectInitial: Duration
    public var reconnectMax: Duration
    /// Simulated seconds per wall-clock second: 60 runs one simulated hour a minute. OCPP
    /// intervals, behaviour times and message timestamps follow simulated time; `duration`,
    /// the ramp, timeouts and reconnect back-off stay wall-clock time. 1 (real time) … 3600.
    public var timeScale: Double
    /// The largest WebSocket message a charge point accepts from the CSMS, in bytes (a frame,
    /// or a fragmented message once reassembled); a larger one closes the connection with
    /// status 1009 (message too big), and the charge point reconnects.
    public var maxFrameSize: Int
    /// How late a charge point's timer may fire so that timers of the same slot fire in one
    /// wake-up of the loop: the width of the timing wheel's slots (with a time scale s, this
    /// much simulated time). More slack costs less CPU per call and adds up to that much lateness
    /// to the scheduled sends (`responseFromIntended`) and, because a slot's sends leave as one
    /// burst, some of the burst's own time to the measured latencies (docs/performance.md, "Timer
    /// slack"). 1 ms … 1 s.
    public var timerSlack: Duration

    public static let maxTimeScale = 3600.0
    public static let defaultTimerSlack = Duration.milliseconds(20)
    public static let timerSlackRange = Duration.milliseconds(1) ... Duration.seconds(1)
    public static let defaultMaxFrameSize = 1 << 20
    public static let maxFrameSizeRange = 1024 ... (64 << 20)

    public init(
        duration: Duration = .seconds(60),
        seed: UInt64 = 1,
        rampUp: Duration = .zero,
        callTimeout: Duration = .seconds(30),
        stopTimeout: Duration = .seconds(10),
        rampDown: Duration? = nil,
        reconnectInitial: Duration = .milliseconds(500),
        reconnectMax: Duration = .seconds(30),
        timeScale: Double = 1,
        maxFrameSize: Int = RunSettings.defaultMaxFrameSize,
        timerSlack: Duration = RunSettings.defaultTimerSlack
    ) {
        self.timerSlack = timerSlack
        self.timeScale = timeScale
        self.maxFrameSize = maxFrameSize
        self.duration = duration
        self.seed = seed
        self.rampUp = rampUp
        self.callTimeout = callTimeout
        self.stopTimeout = stopTimeout
        self.rampDown = rampDown
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
    }

    /// The spread of the end-of-run stops: `rampDown` when given, else the ramp's span (when the
    /// last charge point started), at most half of `stopTimeout` so the last stops still have
    /// half the wait for their answers.
    ///
    /// Why: stopping every transaction in the same millisecond is a storm no real fleet makes;
    /// its queueing landed in the run's StopTransaction latencies (p50 20-30 ms against 0.2 ms in
    /// the steady state, 1,000 charge points against `serve`) and failed the 50,000 trial's p99.
    public static func rampDown(_ rampDown: Duration?, rampSpan: Duration, stopTimeout: Duration) -> Duration {
        rampDown ?? min(rampSpan, stopTimeout / 2)
    }
}

/// One OCPP configuration key override a charge point starts with (values are strings on the wire).
public struct ConfigOverride: Sendable, Equatable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A group of identical charge points.
public struct GroupSpec: Sendable, Equatable {
    /// Unique among groups; `"group-<n>"` (n from 1) when the spec gives none.
    public var name: String
    /// Charge points in this group; ≥ 1.
    public var count: Int
    /// Charge point id pattern with one or more `{index}` / `{index:0N}` placeholders.
    public var idPattern: String
    /// BootNotification `chargePointVendor` (CiString20).
    public var vendor: String
    /// BootNotification `chargePointModel` (CiString20).
    public var model: String
    /// BootNotification `firmwareVersion` (CiString50), sent only when set.
    public var firmwareVersion: String?
    /// Connectors per charge point, 1...16.
    public var connectors: Int
    /// Name of an entry of `FleetSpec.behaviours`; a behaviour written inline in the group is
    /// there under its path (`groups[1].behaviour`).
    public var behaviour: String
    /// Configuration key overrides, in spec order.
    public var config: [ConfigOverride]
    /// How this group connects: the `csms` section's security settings with the group's own
    /// `csms` overrides applied, validated.
    public var security: ConnectionSecurity
    /// BootNotification `chargePointSerialNumber` pattern (CiString25), formatted with the index.
    public var serialPattern: String
    /// One entry per connector (`connectors` of them), in connector order from 1.
    public var connectorSpecs: [ConnectorSpec]
    /// Energy register of every connector at power-on, in Wh, drawn once per charge point.
    public var initialMeterWh: Distribution
    /// Added to the ramp's start time of each of this group's charge points.
    public var startOffset: Duration
    /// Whether the charge points send SecurityEventNotification (security whitepaper); nil:
    /// when the group uses security profile 1 or higher (a CSMS that asks for a profile speaks
    /// the security extension; a plain 1.6 CSMS would answer the event with a CALLERROR).
    public var securityEvents: Bool?
    /// The OCPP version this group's charge points speak: the group's `csms.ocppVersion`, else the
    /// top-level `csms.ocppVersion`, else 1.6.
    public var ocppVersion: OCPPVersion = .v16

    /// `securityEvents`, with its default resolved.
    public var sendsSecurityEvents: Bool { securityEvents ?? (security.profile.rawValue >= 1) }

    public init(
        name: String,
        count: Int,
        idPattern: String,
        vendor: String = GroupSpec.defaultVendor,
        model: String = GroupSpec.defaultModel,
        firmwareVersion: String? = nil,
        connectors: Int = 1,
        behaviour: String = BehaviourSpec.defaultName,
        config: [ConfigOverride] = [],
        security: ConnectionSecurity = .unsecured,
        serialPattern: String = GroupSpec.defaultSerialPattern,
        connectorSpecs: [ConnectorSpec]? = nil,
        initialMeterWh: Distribution = .constant(0),
        startOffset: Duration = .zero
    ) {
        self.name = name
        self.count = count
        self.idPattern = idPattern
        self.vendor = vendor
        self.model = model
        self.firmwareVersion = firmwareVersion
        self.connectors = connectorSpecs?.count ?? connectors
        self.behaviour = behaviour
        self.config = config
        self.security = security
        self.serialPattern = serialPattern
        self.connectorSpecs = connectorSpecs ?? Array(repeating: .standardAC, count: connectors)
        self.initialMeterWh = initialMeterWh
        self.startOffset = startOffset
    }

    public static let defaultVendor = "ocpp-fleet"
    public static let defaultModel = "ocpp-fleet-sim"
    public static let defaultSerialPattern = "SIM-{index}"
}

/// Where a simulated driver's idTags come from.
public enum IdTagSource: Sendable, Equatable {
    /// Drivers pick from this list.
    case list([String])
    /// Each charge point's driver uses `formatPattern(pattern, index: chargePointIndex)`.
    case pattern(String)
    /// A fleet-wide pool of `size` drivers: each session formats `pattern` with an index drawn
    /// uniformly from 1...size, so one driver's card turns up at many charge points.
    case pool(pattern: String, size: Int)
}

/// A simulated driver profile: how long things take, how much power is drawn, which tags are shown,
/// and what goes wrong. Duration distributions sample seconds, `powerKW` kilowatts, `energyKWh` and
/// `batteryKWh` kilowatt-hours, `initialSoC` percent.
public struct BehaviourSpec: Sendable, Equatable {
    /// EV inter-arrival per connector: from the connector becoming free (the last EV unplugged)
    /// to the next EV plugging in. YAML `arrival`, or its older name `idleBetweenSessions`.
    public var arrival: Distribution
    public var plugToAuthorize: Distribution
    /// From the transaction's start to the driver ending it, unless `energyKWh` is delivered first.
    public var chargeDuration: Distribution
    public var unplugDelay: Distribution
    /// The EV's maximum power; the connector's rating caps it.
    public var powerKW: Distribution
    /// Energy the driver wants; the session ends once it is delivered. nil: no such limit.
    public var energyKWh: Distribution?
    public var batteryKWh: Distribution
    /// State of charge (%) on arrival.
    public var initialSoC: Distribution
    public var powerCurve: PowerCurve
    public var idTags: IdTagSource
    /// Share (0...1) of sessions the driver starts from the app: it waits for RemoteStartTransaction.
    public var remoteStartShare: Double
    /// Share (0...1) of sessions with a card the CSMS refuses (`RefusedTag.invalid`).
    public var invalidShare: Double
    /// Share (0...1) of sessions with a card no CSMS knows (`RefusedTag.unknown`).
    public var unknownShare: Double
    public var faults: FaultProfile?
    public var outages: OutageProfile?
    public var reboots: RebootProfile?
    public var dataTransfer: DataTransferProfile?
    public var fileTransfer: FileTransferProfile

    public init(
        arrival: Distribution = .uniform(lower: 30, upper: 120),
        plugToAuthorize: Distribution = .uniform(lower: 1, upper: 5),
        chargeDuration: Distribution = .uniform(lower: 60, upper: 300),
        unplugDelay: Distribution = .uniform(lower: 1, upper: 5),
        powerKW: Distribution = .constant(11),
        energyKWh: Distribution? = nil,
        batteryKWh: Distribution = .uniform(lower: 40, upper: 100),
        initialSoC: Distribution = .uniform(lower: 10, upper: 60),
        powerCurve: PowerCurve = .flat,
        idTags: IdTagSource = .pattern(BehaviourSpec.defaultIdTagPattern),
        remoteStartShare: Double = 0,
        invalidShare: Double = 0,
        unknownShare: Double = 0,
        faults: FaultProfile? = nil,
        outages: OutageProfile? = nil,
        reboots: RebootProfile? = nil,
        dataTransfer: DataTransferProfile? = nil,
        fileTransfer: FileTransferProfile = .default
    ) {
        self.arrival = arrival
        self.plugToAuthorize = plugToAuthorize
        self.chargeDuration = chargeDuration
        self.unplugDelay = unplugDelay
        self.powerKW = powerKW
        self.energyKWh = energyKWh
        self.batteryKWh = batteryKWh
        self.initialSoC = initialSoC
        self.powerCurve = powerCurve
        self.idTags = idTags
        self.remoteStartShare = remoteStartShare
        self.invalidShare = invalidShare
        self.unknownShare = unknownShare
        self.faults = faults
        self.outages = outages
        self.reboots = reboots
        self.dataTransfer = dataTransfer
        self.fileTransfer = fileTransfer
    }

    /// The older name of `arrival`, kept for specs and code written before it.
    public var idleBetweenSessions: Distribution {
        get { arrival }
        set { arrival = newValue }
    }

    /// The profile every missing key falls back to, and the one a group without `behaviour` gets.
    public static let `default` = BehaviourSpec()
    /// The name of the built-in profile.
    public static let defaultName = "default"
    public static let defaultIdTagPattern = "TAG-{index:05}"
}

/// One charge point to simulate, expanded from its group.
public struct ChargePointPlan: Sendable, Equatable {
    /// Global index, from 1, across all groups in order; also seeds this charge point's stream.
    public var index: Int
    public var id: String
    /// Index into `FleetSpec.groups` (from 0).
    public var group: Int
    public var vendor: String
    public var model: String
    public var firmwareVersion: String?
    public var connectors: Int
    public var behaviour: String
    public var config: [ConfigOverride]
    /// BootNotification `chargePointSerialNumber`.
    public var serialNumber: String
    /// One per connector, from connector 1.
    public var connectorSpecs: [ConnectorSpec]
    public var initialMeterWh: Distribution
    /// The group's start offset, added to the ramp's.
    public var startOffset: Duration
    /// Sends SecurityEventNotification (the group's `securityEvents`, resolved).
    public var securityEvents: Bool
    /// Which engine simulates this charge point (the group's version).
    public var ocppVersion: OCPPVersion

    public init(
        index: Int, id: String, group: Int, vendor: String, model: String, firmwareVersion: String?,
        connectors: Int, behaviour: String, config: [ConfigOverride],
        serialNumber: String? = nil, connectorSpecs: [ConnectorSpec]? = nil,
        initialMeterWh: Distribution = .constant(0), startOffset: Duration = .zero, securityEvents: Bool = false,
        ocppVersion: OCPPVersion = .v16
    ) {
        self.ocppVersion = ocppVersion
        self.index = index
        self.id = id
        self.group = group
        self.vendor = vendor
        self.model = model
        self.firmwareVersion = firmwareVersion
        self.connectors = connectors
        self.behaviour = behaviour
        self.config = config
        self.serialNumber = serialNumber ?? formatPattern(GroupSpec.defaultSerialPattern, index: index)
        self.connectorSpecs = connectorSpecs ?? Array(repeating: .standardAC, count: connectors)
        self.initialMeterWh = initialMeterWh
        self.startOffset = startOffset
        self.securityEvents = securityEvents
    }
}
