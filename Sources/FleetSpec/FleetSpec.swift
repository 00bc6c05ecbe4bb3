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
    /// CS→CP operations the embedded CSMS sends (the `scenario` section); only with the embedded CSMS.
    public var scenario: ScenarioSpec?

    public init(
        csmsURL: String? = nil,
        run: RunSettings = RunSettings(),
        groups: [GroupSpec],
        behaviours: [String: BehaviourSpec],
        thresholds: [Threshold] = [],
        scenario: ScenarioSpec? = nil
    ) {
        self.scenario = scenario
        self.thresholds = thresholds
        self.csmsURL = csmsURL
        self.run = run
        self.groups = groups
        self.behaviours = behaviours
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
                    config: group.config
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
    /// Reconnect back-off: the n-th retry waits a uniformly random time in
    /// 0...min(reconnectMax, reconnectInitial × 2ⁿ) ("full jitter"), so a CSMS restart is not
    /// met by every charge point at once; > 0, and reconnectMax ≥ reconnectInitial.
    public var reconnectInitial: Duration
    public var reconnectMax: Duration

    public init(
        duration: Duration = .seconds(60),
        seed: UInt64 = 1,
        rampUp: Duration = .zero,
        callTimeout: Duration = .seconds(30),
        stopTimeout: Duration = .seconds(10),
        reconnectInitial: Duration = .milliseconds(500),
        reconnectMax: Duration = .seconds(30)
    ) {
        self.duration = duration
        self.seed = seed
        self.rampUp = rampUp
        self.callTimeout = callTimeout
        self.stopTimeout = stopTimeout
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
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
    /// Name of an entry of `FleetSpec.behaviours`.
    public var behaviour: String
    /// Configuration key overrides, in spec order.
    public var config: [ConfigOverride]
    /// How this group connects: the `csms` section's security settings with the group's own
    /// `csms` overrides applied, validated.
    public var security: ConnectionSecurity

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
        security: ConnectionSecurity = .unsecured
    ) {
        self.name = name
        self.count = count
        self.idPattern = idPattern
        self.vendor = vendor
        self.model = model
        self.firmwareVersion = firmwareVersion
        self.connectors = connectors
        self.behaviour = behaviour
        self.config = config
        self.security = security
    }

    public static let defaultVendor = "ocpp-fleet"
    public static let defaultModel = "ocpp-fleet-sim"
}

/// Where a simulated driver's idTags come from.
public enum IdTagSource: Sendable, Equatable {
    /// Drivers pick from this list.
    case list([String])
    /// Each charge point's driver uses `formatPattern(pattern, index: chargePointIndex)`.
    case pattern(String)
}

/// A simulated driver profile: how long things take, how much power is drawn, which tags are shown.
/// Duration distributions sample seconds; `powerKW` samples kilowatts.
public struct BehaviourSpec: Sendable, Equatable {
    public var idleBetweenSessions: Distribution
    public var plugToAuthorize: Distribution
    public var chargeDuration: Distribution
    public var unplugDelay: Distribution
    public var powerKW: Distribution
    public var idTags: IdTagSource
    /// Share (0...1) of sessions the driver starts from the app: it waits for RemoteStartTransaction.
    public var remoteStartShare: Double

    public init(
        idleBetweenSessions: Distribution = .uniform(lower: 30, upper: 120),
        plugToAuthorize: Distribution = .uniform(lower: 1, upper: 5),
        chargeDuration: Distribution = .uniform(lower: 60, upper: 300),
        unplugDelay: Distribution = .uniform(lower: 1, upper: 5),
        powerKW: Distribution = .constant(11),
        idTags: IdTagSource = .pattern(BehaviourSpec.defaultIdTagPattern),
        remoteStartShare: Double = 0
    ) {
        self.idleBetweenSessions = idleBetweenSessions
        self.plugToAuthorize = plugToAuthorize
        self.chargeDuration = chargeDuration
        self.unplugDelay = unplugDelay
        self.powerKW = powerKW
        self.idTags = idTags
        self.remoteStartShare = remoteStartShare
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

    public init(
        index: Int, id: String, group: Int, vendor: String, model: String, firmwareVersion: String?,
        connectors: Int, behaviour: String, config: [ConfigOverride]
    ) {
        self.index = index
        self.id = id
        self.group = group
        self.vendor = vendor
        self.model = model
        self.firmwareVersion = firmwareVersion
        self.connectors = connectors
        self.behaviour = behaviour
        self.config = config
    }
}
