import OCPP

/// What the embedded CSMS sends on its own: remote starts for drivers waiting at a
/// connector, and CS→CP CALLs at boot, periodically or once at a point of the run, each to a
/// deterministic share of the charge points. `ocpp-fleet run` builds it from the fleet spec's
/// `scenario` section and hands it to `serve --scenario FILE` as JSON (`init(jsonText:)`).
public struct CentralSystemScenario: Sendable, Equatable {
    /// RemoteStartTransaction for a connector that stayed Preparing for `after` with neither
    /// Authorize nor StartTransaction: the app user waiting at the charger.
    public struct RemoteStart: Sendable, Equatable {
        public var after: Duration
        public var idTag: String

        public init(after: Duration, idTag: String = "APP-USER") {
            self.after = after
            self.idTag = idTag
        }
    }

    /// When a call is sent to a selected charge point.
    public enum When: Sendable, Equatable {
        /// After each accepted BootNotification.
        case boot
        /// Every interval, the first one interval after the accepted boot.
        case every(Duration)
        /// Once per charge point, this long after the CSMS started (or at its boot, if later).
        case at(Duration)
    }

    public struct Call: Sendable, Equatable {
        /// The action and, with it, the OCPP version of the charge points that get the call.
        public var action: VersionedAction
        public var when: When
        /// The fraction of charge points that get it, chosen from the seed and the id.
        public var share: Double
        /// The request, with placeholders (`ScenarioPlaceholders`) still in its strings.
        public var payload: JSONValue

        public init(action: VersionedAction, when: When, share: Double = 1, payload: JSONValue) {
            self.action = action
            self.when = when
            self.share = share
            self.payload = payload
        }
    }

    public var seed: UInt64
    public var remoteStart: RemoteStart?
    public var calls: [Call]
    /// How long a CALL waits for its CALLRESULT or CALLERROR before it counts as timed out.
    public var callTimeout: Duration

    public init(seed: UInt64 = 0, remoteStart: RemoteStart? = nil, calls: [Call] = [],
                callTimeout: Duration = .seconds(30)) {
        self.seed = seed
        self.remoteStart = remoteStart
        self.calls = calls
        self.callTimeout = callTimeout
    }

    /// Whether the charge point `id` is among the `share` that get call number `index`:
    /// the same seed, id and index always give the same answer.
    public func selects(_ id: String, call index: Int) -> Bool {
        let share = calls[index].share
        if share >= 1 { return true }
        if share <= 0 { return false }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        var mixed = seed ^ hash ^ (UInt64(index + 1) &* 0x9e37_79b9_7f4a_7c15)
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        mixed ^= mixed >> 31
        return Double(mixed >> 11) / Double(1 << 53) < share
    }
}

// MARK: - JSON transport

extension CentralSystemScenario {
    /// Why a scenario file could not be read.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads the JSON that `FleetSpec.ScenarioSpec.jsonText` writes:
    /// `{"seed":"42","callTimeoutMs":30000,"remoteStart":{"afterMs":10000,"idTag":"APP"},
    /// "calls":[{"send":"TriggerMessage","ocppVersion":"2.0.1","when":{"everyMs":120000},"share":0.1,"payload":{…}}]}`;
    /// `when` is `"boot"`, `{"everyMs":N}` or `{"atMs":N}`; `ocppVersion` is `"1.6"` (the
    /// default) or `"2.0.1"`.
    public init(jsonText: String) throws(Invalid) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(Array(jsonText.utf8))
        } catch {
            throw Invalid(description: "not JSON: \(error)")
        }
        func milliseconds(_ value: JSONValue?, _ name: String) throws(Invalid) -> Duration {
            guard case .integer(let ms) = value, ms >= 0 else { throw Invalid(description: "\(name) must be an integer ≥ 0") }
            return .milliseconds(ms)
        }
        guard case .object = json else { throw Invalid(description: "a scenario is a JSON object") }
        self.init()
        if case .string(let text) = json["seed"] {
            guard let seed = UInt64(text) else { throw Invalid(description: "seed must be an unsigned integer") }
            self.seed = seed
        }
        if let timeout = json["callTimeoutMs"] { callTimeout = try milliseconds(timeout, "callTimeoutMs") }
        if let remote = json["remoteStart"], remote != .null {
            guard case .string(let idTag) = remote["idTag"] else { throw Invalid(description: "remoteStart.idTag must be a string") }
            remoteStart = RemoteStart(after: try milliseconds(remote["afterMs"], "remoteStart.afterMs"), idTag: idTag)
        }
        if let list = json["calls"] {
            guard case .array(let items) = list else { throw Invalid(description: "calls must be a list") }
            for (index, item) in items.enumerated() {
                var version = OCPPVersion.v16
                if let named = item["ocppVersion"] {
                    guard case .string(let text) = named, let known = OCPPVersion(rawValue: text) else {
                        throw Invalid(description: "calls[\(index)].ocppVersion must be \"1.6\" or \"2.0.1\"")
                    }
                    version = known
                }
                guard case .string(let name) = item["send"], let action = VersionedAction(name, version: version),
                      action.initiatedByCentralSystem else {
                    throw Invalid(description: "calls[\(index)].send must be an OCPP \(version.rawValue) action a central system sends")
                }
                let when: When
                switch item["when"] {
                case .string("boot")?: when = .boot
                case let value? where value["everyMs"] != nil:
                    let every = try milliseconds(value["everyMs"], "calls[\(index)].when.everyMs")
                    guard every > .zero else { throw Invalid(description: "calls[\(index)].when.everyMs must be > 0") }
                    when = .every(every)
                case let value? where value["atMs"] != nil:
                    when = .at(try milliseconds(value["atMs"], "calls[\(index)].when.atMs"))
                default:
                    throw Invalid(description: "calls[\(index)].when must be \"boot\", {\"everyMs\":N} or {\"atMs\":N}")
                }
                let share: Double
                switch item["share"] {
                case .integer(let value)?: share = Double(value)
                case .number(let value)?: share = value
                case nil: share = 1
                default: throw Invalid(description: "calls[\(index)].share must be a number")
                }
                guard let payload = item["payload"], case .object = payload else {
                    throw Invalid(description: "calls[\(index)].payload must be an object")
                }
                calls.append(Call(action: action, when: when, share: share, payload: payload))
            }
        }
    }
}
