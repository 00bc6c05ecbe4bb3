extension V16 {
    /// The answer to SetChargingProfile.req (OCPP 1.6 §7.11).
    public enum ChargingProfileStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        case notSupported = "NotSupported"
    }

    /// SetChargingProfile.req (OCPP 1.6 §6.43): installs a charging profile on a connector;
    /// connector 0 means the charge point as a whole.
    public struct SetChargingProfileRequest: OCPPRequest {
        public typealias Response = SetChargingProfileResponse
        public static let action = Action.setChargingProfile.rawValue

        public var connectorId: Int
        public var csChargingProfiles: ChargingProfile

        public init(connectorId: Int, csChargingProfiles: ChargingProfile) {
            self.connectorId = connectorId
            self.csChargingProfiles = csChargingProfiles
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "csChargingProfiles"])
            connectorId = try r.integer("connectorId")
            csChargingProfiles = try r.object("csChargingProfiles", ChargingProfile.init(reader:), known: ChargingProfile.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("csChargingProfiles", csChargingProfiles)
            }
        }
    }

    /// SetChargingProfile.conf (OCPP 1.6 §6.44).
    public typealias SetChargingProfileResponse = StatusPayload<ChargingProfileStatus>
}
