/// A CALLERROR: the OCPP-J error codes (OCPP-J 1.6 §4.2.3) and the violation that
/// produced one. Spelling follows the specification ("Occurence" included).
public struct CallError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The requested action is not known by the receiver.
        case notImplemented = "NotImplemented"
        /// The requested action is recognized but not supported by the receiver.
        case notSupported = "NotSupported"
        /// An internal error occurred; the receiver could not process the action.
        case internalError = "InternalError"
        /// The payload for the action is incomplete, or the frame is not an OCPP-J message.
        case protocolError = "ProtocolError"
        /// A security issue prevented the receiver from completing the action.
        case securityError = "SecurityError"
        /// The payload is syntactically incorrect or does not conform to the PDU structure.
        case formationViolation = "FormationViolation"
        /// A field holds a value outside its allowed set.
        case propertyConstraintViolation = "PropertyConstraintViolation"
        /// A field violates its occurrence constraints (missing, or too few elements).
        case occurenceConstraintViolation = "OccurenceConstraintViolation"
        /// A field violates its data type (wrong JSON type, string too long).
        case typeConstraintViolation = "TypeConstraintViolation"
        /// Any other error.
        case genericError = "GenericError"
    }

    public var code: Code
    public var errorDescription: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        // OCPP-J gives the description no limit; we keep answers short and single-line.
        self.errorDescription = String(description.prefix(255))
    }

    public var description: String { "\(code.rawValue): \(errorDescription)" }
}
