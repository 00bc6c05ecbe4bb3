/// OCPP 2.0.1 message set. The payload types in `Generated/` come from the official JSON
/// schemas (`scripts/generate-v201.py`); framing and JSON are shared with 1.6, the CALLERROR
/// vocabulary is this version's own (`RPCErrorCode`).
public enum V201 {
    /// The WebSocket subprotocol of an OCPP 2.0.1 charging station (OCPP-J 2.0.1 §3.1.2).
    public static let subprotocol = "ocpp2.0.1"

    /// The CALLERROR codes of OCPP-J 2.0.1 (part 4 §4.3). 1.6's "FormationViolation" and
    /// "OccurenceConstraintViolation" are spelled FormatViolation and OccurrenceConstraintViolation
    /// here, and two codes are new: MessageTypeNotSupported and RpcFrameworkError.
    public enum RPCErrorCode: String, Sendable, CaseIterable {
        case formatViolation = "FormatViolation"
        case genericError = "GenericError"
        case internalError = "InternalError"
        /// A MessageTypeId this implementation does not support.
        case messageTypeNotSupported = "MessageTypeNotSupported"
        case notImplemented = "NotImplemented"
        case notSupported = "NotSupported"
        case occurrenceConstraintViolation = "OccurrenceConstraintViolation"
        case propertyConstraintViolation = "PropertyConstraintViolation"
        case protocolError = "ProtocolError"
        /// The content is not a valid RPC request (e.g. the MessageId could not be read).
        case rpcFrameworkError = "RpcFrameworkError"
        case securityError = "SecurityError"
        case typeConstraintViolation = "TypeConstraintViolation"

        /// The 2.0.1 spelling of a violation the shared decoders report in 1.6 terms.
        public init(_ code: CallError.Code) {
            switch code {
            case .notImplemented: self = .notImplemented
            case .notSupported: self = .notSupported
            case .internalError: self = .internalError
            case .protocolError: self = .protocolError
            case .securityError: self = .securityError
            case .formationViolation: self = .formatViolation
            case .propertyConstraintViolation: self = .propertyConstraintViolation
            case .occurenceConstraintViolation: self = .occurrenceConstraintViolation
            case .typeConstraintViolation: self = .typeConstraintViolation
            case .genericError: self = .genericError
            }
        }

        /// The code for a frame that did not parse (`Frame.parse` checks only the RPC envelope):
        /// an unknown MessageTypeId is MessageTypeNotSupported, anything else (not JSON, not an
        /// array, no MessageId, wrong element count or types) RpcFrameworkError.
        public init(_ failure: Frame.ParseFailure) {
            switch failure.messageTypeId {
            case nil, 2?, 3?, 4?: self = .rpcFrameworkError
            case _?: self = .messageTypeNotSupported
            }
        }
    }
}

extension Frame {
    /// Encodes a 2.0.1 CALLERROR (`errorDescription` at most 255 characters, as the 1.6 one).
    public static func encodeCallError(id: String, code: V201.RPCErrorCode, description: String,
                                       details: JSONValue = .object([])) -> [UInt8] {
        var writer = JSONWriter(capacity: 96)
        writer.beginArray()
        writer.integer(4)
        writer.string(id)
        writer.string(code.rawValue)
        writer.string(String(description.prefix(255)))
        writer.value(details)
        writer.endArray()
        return writer.bytes
    }
}
