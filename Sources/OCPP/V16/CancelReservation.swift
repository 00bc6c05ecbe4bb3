extension V16 {
    /// The answer to CancelReservation.req (OCPP 1.6 §7.5).
    public enum CancelReservationStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// CancelReservation.req (OCPP 1.6 §6.5): ends a reservation by its id.
    public struct CancelReservationRequest: OCPPRequest {
        public typealias Response = CancelReservationResponse
        public static let action = Action.cancelReservation.rawValue

        public var reservationId: Int

        public init(reservationId: Int) {
            self.reservationId = reservationId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["reservationId"])
            reservationId = try r.integer("reservationId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("reservationId", reservationId)
            }
        }
    }

    /// CancelReservation.conf (OCPP 1.6 §6.6).
    public typealias CancelReservationResponse = StatusPayload<CancelReservationStatus>
}
