extension V16 {
    /// The availability a ChangeAvailability.req asks for (OCPP 1.6 §7.4).
    public enum AvailabilityType: String, OCPPEnum {
        case inoperative = "Inoperative"
        case operative = "Operative"
    }

    /// The answer to ChangeAvailability.req (OCPP 1.6 §7.3); Scheduled means after the
    /// running transaction ends.
    public enum AvailabilityStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        case scheduled = "Scheduled"
    }

    /// ChangeAvailability.req (OCPP 1.6 §6.7): connector 0 means the whole charge point.
    public struct ChangeAvailabilityRequest: OCPPRequest {
        public typealias Response = ChangeAvailabilityResponse
        public static let action = Action.changeAvailability.rawValue

        public var connectorId: Int
        public var type: AvailabilityType

        public init(connectorId: Int, type: AvailabilityType) {
            self.connectorId = connectorId
            self.type = type
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "type"])
            connectorId = try r.integer("connectorId")
            type = try r.enumeration("type")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("type", type)
            }
        }
    }

    /// ChangeAvailability.conf (OCPP 1.6 §6.8).
    public typealias ChangeAvailabilityResponse = StatusPayload<AvailabilityStatus>
}
