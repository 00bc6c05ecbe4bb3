/// An OCPP-J RPC frame (OCPP-J 1.6 §4): `[2, id, action, payload]`,
/// `[3, id, payload]` or `[4, id, code, description, details]`. Version independent:
/// the 1.6 and 2.0.1 message sets share it.
public enum Frame: Sendable, Equatable {
    case call(id: String, action: String, payload: JSONValue)
    case callResult(id: String, payload: JSONValue)
    case callError(id: String, code: String, description: String, details: JSONValue)

    /// The longest unique id a peer may send (OCPP-J: maximum 36 characters).
    public static let maximumIDLength = 36

    public var id: String {
        switch self {
        case .call(let id, _, _), .callResult(let id, _), .callError(let id, _, _, _): id
        }
    }

    /// Why a text frame could not be read, and the id to answer with when one was found.
    public struct ParseFailure: Error, Sendable, Equatable {
        /// The unique id, if the frame got that far; a CALLERROR must echo it.
        public var id: String?
        /// Whether the frame was a CALL (only CALLs are answered with a CALLERROR).
        public var wasCall: Bool
        public var error: CallError
        /// The MessageTypeId when the first element was an integer (2, 3, 4 or an unknown one):
        /// tells a broken CALLRESULT from a broken CALLERROR or an unknown message type.
        public var messageTypeId: Int64? = nil

        public init(id: String? = nil, wasCall: Bool, error: CallError, messageTypeId: Int64? = nil) {
            self.id = id
            self.wasCall = wasCall
            self.error = error
            self.messageTypeId = messageTypeId
        }
    }

    /// Parses one WebSocket text message.
    public static func parse(_ bytes: [UInt8]) throws(ParseFailure) -> Frame {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw ParseFailure(id: nil, wasCall: false, error: CallError(.formationViolation, error.description))
        }
        return try parse(json)
    }

    public static func parse(_ text: String) throws(ParseFailure) -> Frame {
        try parse(Array(text.utf8))
    }

    public static func parse(_ json: JSONValue) throws(ParseFailure) -> Frame {
        guard case .array(let elements) = json else {
            throw ParseFailure(id: nil, wasCall: false, error: CallError(.formationViolation, "an OCPP-J message is a JSON array, got \(json.typeName)"))
        }
        var id: String?
        if elements.count > 1, case .string(let value) = elements[1] { id = value }
        guard let first = elements.first, case .integer(let type) = first else {
            throw ParseFailure(id: id, wasCall: false, error: CallError(.formationViolation, "the first element must be the integer MessageTypeId"))
        }
        let isCall = type == 2
        func failure(_ code: CallError.Code, _ text: String) -> ParseFailure {
            ParseFailure(id: id, wasCall: isCall, error: CallError(code, text), messageTypeId: type)
        }
        guard let uniqueID = id else { throw failure(.formationViolation, "the second element must be the UniqueId string") }
        guard !uniqueID.isEmpty, uniqueID.utf8.count <= maximumIDLength else {
            throw failure(.formationViolation, "UniqueId must be 1 to \(maximumIDLength) characters")
        }
        switch type {
        case 2:
            guard elements.count == 4 else { throw failure(.formationViolation, "a CALL has 4 elements, got \(elements.count)") }
            guard case .string(let action) = elements[2] else { throw failure(.formationViolation, "the Action must be a string") }
            guard case .object = elements[3] else { throw failure(.formationViolation, "the CALL payload must be a JSON object") }
            return .call(id: uniqueID, action: action, payload: elements[3])
        case 3:
            guard elements.count == 3 else { throw failure(.formationViolation, "a CALLRESULT has 3 elements, got \(elements.count)") }
            guard case .object = elements[2] else { throw failure(.formationViolation, "the CALLRESULT payload must be a JSON object") }
            return .callResult(id: uniqueID, payload: elements[2])
        case 4:
            guard elements.count == 5 else { throw failure(.formationViolation, "a CALLERROR has 5 elements, got \(elements.count)") }
            guard case .string(let code) = elements[2], case .string(let text) = elements[3] else {
                throw failure(.formationViolation, "CALLERROR code and description must be strings")
            }
            guard case .object = elements[4] else { throw failure(.formationViolation, "CALLERROR details must be a JSON object") }
            return .callError(id: uniqueID, code: code, description: text, details: elements[4])
        default:
            throw failure(.protocolError, "unknown MessageTypeId \(type)")
        }
    }

    /// Encodes a CALL whose payload was written by `JSONWriter`.
    public static func encodeCall(id: String, action: String, payload: [UInt8]) -> [UInt8] {
        var writer = JSONWriter(capacity: payload.count + id.utf8.count + action.utf8.count + 16)
        writer.beginArray()
        writer.integer(2)
        writer.string(id)
        writer.string(action)
        writer.raw(payload)
        writer.endArray()
        return writer.bytes
    }

    public static func encodeCallResult(id: String, payload: [UInt8]) -> [UInt8] {
        var writer = JSONWriter(capacity: payload.count + id.utf8.count + 12)
        writer.beginArray()
        writer.integer(3)
        writer.string(id)
        writer.raw(payload)
        writer.endArray()
        return writer.bytes
    }

    public static func encodeCallError(id: String, error: CallError, details: JSONValue = .object([])) -> [UInt8] {
        var writer = JSONWriter(capacity: 96)
        writer.beginArray()
        writer.integer(4)
        writer.string(id)
        writer.string(error.code.rawValue)
        writer.string(error.errorDescription)
        writer.value(details)
        writer.endArray()
        return writer.bytes
    }

    /// The encoded frame.
    public var encoded: [UInt8] {
        var writer = JSONWriter()
        writer.beginArray()
        switch self {
        case .call(let id, let action, let payload):
            writer.integer(2); writer.string(id); writer.string(action); writer.value(payload)
        case .callResult(let id, let payload):
            writer.integer(3); writer.string(id); writer.value(payload)
        case .callError(let id, let code, let description, let details):
            writer.integer(4); writer.string(id); writer.string(code); writer.string(description); writer.value(details)
        }
        writer.endArray()
        return writer.bytes
    }
}
