extension V16 {
    /// RemoteStartTransaction.req (OCPP 1.6 §6.33): the CSMS asks to start charging for an idTag.
    public struct RemoteStartTransactionRequest: OCPPRequest {
        public typealias Response = RemoteStartTransactionResponse
        public static let action = Action.remoteStartTransaction.rawValue

        /// Absent: the charge point chooses the connector.
        public var connectorId: Int?
        public var idTag: String                       // IdToken, CiString20
        /// Must be a TxProfile (OCPP 1.6 §5.11).
        public var chargingProfile: ChargingProfile?

        public init(connectorId: Int? = nil, idTag: String, chargingProfile: ChargingProfile? = nil) {
            self.connectorId = connectorId
            self.idTag = idTag
            self.chargingProfile = chargingProfile
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "idTag", "chargingProfile"])
            connectorId = try r.optionalInteger("connectorId")
            idTag = try r.string("idTag", maxLength: 20)
            chargingProfile = try r.optionalObject("chargingProfile", ChargingProfile.init(reader:), known: ChargingProfile.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("idTag", idTag)
                w.field("chargingProfile", chargingProfile)
            }
        }
    }

    /// RemoteStartTransaction.conf (OCPP 1.6 §6.34).
    public typealias RemoteStartTransactionResponse = StatusPayload<RemoteStartStopStatus>
}
