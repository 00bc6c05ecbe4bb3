extension V16 {
    /// The answer to ReserveNow.req (OCPP 1.6 §7.40).
    public enum ReservationStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case faulted = "Faulted"
        case occupied = "Occupied"
        case rejected = "Rejected"
        case unavailable = "Unavailable"
    }

    /// ReserveNow.req (OCPP 1.6 §6.37): reserve a connector (0: any connector) for an idTag
    /// until `expiryDate`.
    public struct ReserveNowRequest: OCPPRequest {
        public typealias Response = ReserveNowResponse
        public static let action = Action.reserveNow.rawValue

        public var connectorId: Int
        public var expiryDate: Timestamp
        public var idTag: String                       // IdToken, CiString20
        /// Any idTag of this group may use the reservation.
        public var parentIdTag: String?                // IdToken, CiString20
        public var reservationId: Int

        public init(connectorId: Int, expiryDate: Timestamp, idTag: String, parentIdTag: String? = nil, reservationId: Int) {
            self.connectorId = connectorId
            self.expiryDate = expiryDate
            self.idTag = idTag
            self.parentIdTag = parentIdTag
            self.reservationId = reservationId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "expiryDate", "idTag", "parentIdTag", "reservationId"])
            connectorId = try r.integer("connectorId")
            expiryDate = try r.timestamp("expiryDate")
            idTag = try r.string("idTag", maxLength: 20)
            parentIdTag = try r.optionalString("parentIdTag", maxLength: 20)
            reservationId = try r.integer("reservationId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("expiryDate", expiryDate)
                w.field("idTag", idTag)
                w.field("parentIdTag", parentIdTag)
                w.field("reservationId", reservationId)
            }
        }
    }

    /// ReserveNow.conf (OCPP 1.6 §6.38).
    public typealias ReserveNowResponse = StatusPayload<ReservationStatus>
}
