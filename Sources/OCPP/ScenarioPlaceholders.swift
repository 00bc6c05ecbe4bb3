/// Placeholders in scenario payloads, filled in when a CALL is sent. A string value that is
/// exactly one of them is replaced:
/// - `{now}`, `{now+30s}`, `{now-1h}`: the CSMS's current time, shifted (units ms, s, m, h, d),
///   as an RFC 3339 timestamp string;
/// - `{openTransaction}`: the id of a transaction open on the connection (an integer in OCPP 1.6,
///   a string in 2.0.1); a call that needs it when none is open is skipped.
public enum ScenarioPlaceholders {
    /// The offset in microseconds of `{now±N<unit>}`, or nil for any other string.
    public static func nowOffset(_ text: String) -> Int64? {
        guard text.hasPrefix("{now"), text.hasSuffix("}") else { return nil }
        let inner = text.dropFirst(4).dropLast()
        if inner.isEmpty { return 0 }
        guard let sign = inner.first, sign == "+" || sign == "-" else { return nil }
        let body = inner.dropFirst()
        let digits = body.prefix(while: \.isNumber)
        guard !digits.isEmpty, digits.count <= 12, let amount = Int64(digits) else { return nil }
        let scale: Int64
        switch body.dropFirst(digits.count) {
        case "ms": scale = 1_000
        case "s": scale = 1_000_000
        case "m": scale = 60_000_000
        case "h": scale = 3_600_000_000
        case "d": scale = 86_400_000_000
        default: return nil
        }
        return (sign == "-" ? -1 : 1) * amount * scale
    }

    public static let openTransaction = "{openTransaction}"

    /// Whether the payload refers to `{openTransaction}`.
    public static func needsOpenTransaction(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text == openTransaction
        case .array(let items): items.contains(where: needsOpenTransaction)
        case .object(let members): members.contains { needsOpenTransaction($0.value) }
        case .null, .bool, .integer, .number: false
        }
    }

    /// The payload with its placeholders filled in; `{openTransaction}` becomes `openTransaction`
    /// as given (an integer for OCPP 1.6, a string for 2.0.1).
    public static func fill(_ value: JSONValue, now: Timestamp, openTransaction: JSONValue?) -> JSONValue {
        switch value {
        case .string(let text):
            if text == Self.openTransaction, let openTransaction { return openTransaction }
            if let offset = nowOffset(text) { return .string(Timestamp(microseconds: now.microseconds + offset).iso8601) }
            return value
        case .array(let items):
            return .array(items.map { fill($0, now: now, openTransaction: openTransaction) })
        case .object(let members):
            return .object(members.map { (key: $0.key, value: fill($0.value, now: now, openTransaction: openTransaction)) })
        case .null, .bool, .integer, .number:
            return value
        }
    }
}
