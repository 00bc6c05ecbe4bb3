/// The OCPP-J versions this project speaks, named by their WebSocket subprotocol (OCPP-J 1.6
/// §3.1.2, OCPP-J 2.0.1 §3.1.2). Framing and JSON are shared; the message sets and the CALLERROR
/// vocabulary are per version.
public enum OCPPVersion: String, Sendable, CaseIterable, Comparable {
    case v16 = "1.6"
    case v201 = "2.0.1"

    /// The subprotocol a charge point of this version offers (`ocpp1.6`, `ocpp2.0.1`).
    public var subprotocol: String {
        switch self {
        case .v16: V16.subprotocol
        case .v201: V201.subprotocol
        }
    }

    /// The version whose subprotocol this is, ASCII case-insensitively.
    public init?(subprotocol: some StringProtocol) {
        guard let version = Self.allCases.first(where: { $0.subprotocol == subprotocol.lowercased() }) else { return nil }
        self = version
    }

    public static func < (lhs: OCPPVersion, rhs: OCPPVersion) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// An action of one of the OCPP versions: what the embedded CSMS counts per action and what a
/// scenario sends, for charge points of either version. Two versions may share a name
/// (`BootNotification`, `TriggerMessage`); the version tells them apart.
public enum VersionedAction: Hashable, Sendable {
    case v16(V16.Action)
    case v201(V201.Action)

    /// The action `name` of `version`, if that version defines it (names are case-sensitive).
    public init?(_ name: String, version: OCPPVersion) {
        switch version {
        case .v16:
            guard let action = V16.Action(rawValue: name) else { return nil }
            self = .v16(action)
        case .v201:
            guard let action = V201.Action(rawValue: name) else { return nil }
            self = .v201(action)
        }
    }

    /// The action name on the wire.
    public var name: String {
        switch self {
        case .v16(let action): action.rawValue
        case .v201(let action): action.rawValue
        }
    }

    public var version: OCPPVersion {
        switch self {
        case .v16: .v16
        case .v201: .v201
        }
    }

    /// Whether a charge point sends this action as a CALL (DataTransfer: both sides do).
    public var initiatedByChargePoint: Bool {
        switch self {
        case .v16(let action): action.initiatedByChargePoint
        case .v201(let action): action.initiatedByChargingStation
        }
    }

    /// Whether a central system sends this action as a CALL (DataTransfer: both sides do).
    public var initiatedByCentralSystem: Bool {
        switch self {
        case .v16(.dataTransfer), .v201(.dataTransfer): true
        case .v16, .v201: !initiatedByChargePoint
        }
    }

    /// The typed request and response, when the `OCPP` module models the action.
    public var payloadTypes: (request: any OCPPPayload.Type, response: any OCPPPayload.Type)? {
        switch self {
        case .v16(let action): action.payloadTypes
        case .v201(let action): action.payloadTypes
        }
    }
}

extension VersionedAction: Comparable {
    /// By version, then by name: the order of reports.
    public static func < (lhs: VersionedAction, rhs: VersionedAction) -> Bool {
        (lhs.version, lhs.name) < (rhs.version, rhs.name)
    }
}
