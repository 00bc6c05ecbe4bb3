import OCPP

/// The `scenario` section: CS→CP operations the embedded CSMS sends on its own, so a run
/// exercises both directions. See `docs/fleet-spec.md#scenario`.
public struct ScenarioSpec: Sendable, Equatable {
    /// RemoteStartTransaction for a connector Preparing for `after` with neither Authorize nor
    /// StartTransaction (the app sessions of `remoteStartShare`).
    public struct RemoteStart: Sendable, Equatable {
        public var after: Duration
        public var idTag: String

        public init(after: Duration, idTag: String = ScenarioSpec.defaultIdTag) {
            self.after = after
            self.idTag = idTag
        }
    }

    public enum When: Sendable, Equatable {
        /// After each accepted boot.
        case boot
        /// Periodically, the first time one interval after the boot.
        case every(Duration)
        /// Once per charge point, this long after the CSMS started.
        case at(Duration)
    }

    public struct Call: Sendable, Equatable {
        /// The action and the OCPP version of the charge points that get it.
        public var action: VersionedAction
        public var when: When
        public var share: Double
        /// The request, placeholders (`{now}`, `{now+30s}`, `{openTransaction}`) unfilled.
        public var payload: JSONValue

        public init(action: VersionedAction, when: When, share: Double = 1, payload: JSONValue) {
            self.action = action
            self.when = when
            self.share = share
            self.payload = payload
        }
    }

    public static let defaultIdTag = "APP-USER"

    public var remoteStart: RemoteStart?
    public var calls: [Call]

    public init(remoteStart: RemoteStart? = nil, calls: [Call] = []) {
        self.remoteStart = remoteStart
        self.calls = calls
    }

    /// The scenario as the JSON `ocpp-fleet serve --scenario FILE` reads
    /// (`CentralSystemScenario(jsonText:)`), with the run's seed (which picks the charge
    /// points of each call's share) and the call timeout.
    public func jsonText(seed: UInt64, callTimeout: Duration) -> String {
        func ms(_ duration: Duration) -> JSONValue {
            .integer(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        var members: [(key: String, value: JSONValue)] = [
            (key: "seed", value: .string(String(seed))),
            (key: "callTimeoutMs", value: ms(callTimeout)),
        ]
        if let remoteStart {
            members.append((key: "remoteStart", value: .object([
                (key: "afterMs", value: ms(remoteStart.after)), (key: "idTag", value: .string(remoteStart.idTag)),
            ])))
        }
        members.append((key: "calls", value: .array(calls.map { call in
            let when: JSONValue = switch call.when {
            case .boot: .string("boot")
            case .every(let interval): .object([(key: "everyMs", value: ms(interval))])
            case .at(let offset): .object([(key: "atMs", value: ms(offset))])
            }
            return .object([
                (key: "send", value: .string(call.action.name)),
                (key: "ocppVersion", value: .string(call.action.version.rawValue)), (key: "when", value: when),
                (key: "share", value: .number(call.share)), (key: "payload", value: call.payload),
            ])
        })))
        return JSONValue.object(members).text
    }
}
