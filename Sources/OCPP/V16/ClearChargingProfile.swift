extension V16 {
    /// The answer to ClearChargingProfile.req (OCPP 1.6 §7.7): Unknown when no profile matched.
    public enum ClearChargingProfileStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case unknown = "Unknown"
    }

    /// ClearChargingProfile.req (OCPP 1.6 §6.9): removes the profile with `id`, or every
    /// profile matching all the criteria given (none given: every profile).
    public struct ClearChargingProfileRequest: OCPPRequest {
        public typealias Response = ClearChargingProfileResponse
        public static let action = Action.clearChargingProfile.rawValue

        public var id: Int?
        /// 0: the profiles installed for the charge point as a whole.
        public var connectorId: Int?
        public var chargingProfilePurpose: ChargingProfilePurposeType?
        public var stackLevel: Int?

        public init(id: Int? = nil, connectorId: Int? = nil, chargingProfilePurpose: ChargingProfilePurposeType? = nil,
                    stackLevel: Int? = nil) {
            self.id = id
            self.connectorId = connectorId
            self.chargingProfilePurpose = chargingProfilePurpose
            self.stackLevel = stackLevel
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["id", "connectorId", "chargingProfilePurpose", "stackLevel"])
            id = try r.optionalInteger("id")
            connectorId = try r.optionalInteger("connectorId")
            chargingProfilePurpose = try r.optionalEnumeration("chargingProfilePurpose")
            stackLevel = try r.optionalInteger("stackLevel")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("id", id)
                w.field("connectorId", connectorId)
                w.field("chargingProfilePurpose", chargingProfilePurpose)
                w.field("stackLevel", stackLevel)
            }
        }
    }

    /// ClearChargingProfile.conf (OCPP 1.6 §6.10).
    public typealias ClearChargingProfileResponse = StatusPayload<ClearChargingProfileStatus>
}
