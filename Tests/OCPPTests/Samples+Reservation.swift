@testable import OCPP

extension Samples {
    /// Reservation samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let reservation: [Sample] = {
        var samples: [Sample] = [
            .request("rich", V.ReserveNowRequest(connectorId: 1, expiryDate: t1, idTag: "04A2B3C4D5E6F7",
                                                 parentIdTag: "PARENT-0001", reservationId: 17)),
            .response(to: V.ReserveNowRequest.self, "rich", V.ReserveNowResponse(status: .accepted)),
            .request("rich", V.CancelReservationRequest(reservationId: 17)),
            .response(to: V.CancelReservationRequest.self, "rich", V.CancelReservationResponse(status: .accepted)),
            .request("minimal", V.ReserveNowRequest(connectorId: 0, expiryDate: t0, idTag: "T", reservationId: 0)),
        ]
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.ReservationStatus.self) { .response(to: V.ReserveNowRequest.self, $0.rawValue, V.ReserveNowResponse(status: $0)) }
        each(V.CancelReservationStatus.self) { .response(to: V.CancelReservationRequest.self, $0.rawValue, V.CancelReservationResponse(status: $0)) }
        return samples
    }()
}
