extension V16 {
    /// The kind of reboot a Reset.req asks for (OCPP 1.6 §7.42).
    public enum ResetType: String, OCPPEnum {
        case hard = "Hard"
        case soft = "Soft"
    }

    /// The answer to Reset.req (OCPP 1.6 §7.41).
    public enum ResetStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// Reset.req (OCPP 1.6 §6.39): a soft reset stops transactions first, a hard one need not.
    public struct ResetRequest: OCPPRequest {
        public typealias Response = ResetResponse
        public static let action = Action.reset.rawValue

        public var type: ResetType

        public init(type: ResetType) {
            self.type = type
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["type"])
            type = try r.enumeration("type")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("type", type)
            }
        }
    }

    /// Reset.conf (OCPP 1.6 §6.40).
    public typealias ResetResponse = StatusPayload<ResetStatus>
}
