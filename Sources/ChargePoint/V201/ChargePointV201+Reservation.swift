import OCPP

/// A reservation of one EVSE for one IdToken until `expiry` (H01).
struct ReservationV201: Sendable, Equatable {
    var id: Int
    var evse: Int
    var idToken: String
    var groupIdToken: String?
    var expiry: Timestamp
}

/// Functional block H: ReserveNow for a given EVSE, CancelReservation, the Reserved status, the
/// reservation's use by its IdToken (reservationId in TransactionEvent Started) and its expiry
/// (ReservationStatusUpdate Expired). A reservation without evseId is Rejected
/// (ReservationCtrlr.NonEvseSpecific false).
extension ChargePointV201 {
    mutating func reserveNow(_ request: V201.ReserveNowRequest, now: Timestamp, into out: inout [EngineOutput]) -> V201.ReserveNowResponse {
        guard deviceModel.bool(.reservationEnabled) else { return V201.ReserveNowResponse(status: .rejected) }
        guard let evse = request.evseId, let index = evseIndex(evse) else {
            return V201.ReserveNowResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "NoEvseSpecified"))
        }
        if let type = request.connectorType, type != .cType2 { return V201.ReserveNowResponse(status: .rejected) }
        let existing = reservations.firstIndex { $0.id == request.id }
        if evses[index].faulted { return V201.ReserveNowResponse(status: .faulted) }
        if evses[index].inoperative { return V201.ReserveNowResponse(status: .unavailable) }
        let takenByOther = reservations.contains { $0.evse == evse && $0.id != request.id }
        if evses[index].plugged || evses[index].transaction != nil || evses[index].authorizedToken != nil || takenByOther {
            return V201.ReserveNowResponse(status: .occupied)
        }
        let reservation = ReservationV201(id: request.id, evse: evse, idToken: request.idToken.idToken,
                                          groupIdToken: request.groupIdToken?.idToken, expiry: request.expiryDateTime)
        if let existing {
            let moved = reservations[existing].evse
            reservations[existing] = reservation  // H01.FR.02: the same id replaces the reservation
            if moved != evse { reportStatus(moved - 1, now: now, into: &out) }
        } else {
            reservations.append(reservation)
        }
        reportStatus(index, now: now, into: &out)
        return V201.ReserveNowResponse(status: .accepted)
    }

    mutating func cancelReservation(_ request: V201.CancelReservationRequest, now: Timestamp,
                                    into out: inout [EngineOutput]) -> V201.CancelReservationResponse {
        guard let position = reservations.firstIndex(where: { $0.id == request.reservationId }) else {
            return V201.CancelReservationResponse(status: .rejected)
        }
        let removed = reservations.remove(at: position)
        reportStatus(removed.evse - 1, now: now, into: &out)
        return V201.CancelReservationResponse(status: .accepted)
    }

    func reservation(on index: Int) -> ReservationV201? { reservations.first { $0.evse == index + 1 } }

    /// Whether `idTag` may use the EVSE: it is not reserved, or reserved for this token (or its group).
    func mayUse(_ index: Int, idTag: String, group: String? = nil) -> Bool {
        guard let reservation = reservation(on: index) else { return true }
        if IdToken.equal(reservation.idToken, idTag) { return true }
        if let group, let reserved = reservation.groupIdToken { return IdToken.equal(reserved, group) }
        return false
    }

    /// The reservation the transaction starting on the EVSE ends (H01.FR.20); removed from the list.
    mutating func consumeReservation(_ index: Int) -> Int? {
        guard let position = reservations.firstIndex(where: { $0.evse == index + 1 }) else { return nil }
        return reservations.remove(at: position).id
    }

    var reservationWakeup: Timestamp? { reservations.map(\.expiry).min() }

    mutating func reservationsTick(now: Timestamp, into out: inout [EngineOutput]) {
        while let position = reservations.firstIndex(where: { $0.expiry <= now }) {
            let expired = reservations.remove(at: position)
            enqueue(.other(.reservationStatusUpdate, payload: V201.ReservationStatusUpdateRequest(
                reservationId: expired.id, reservationUpdateStatus: .expired).encoded), into: &out)
            reportStatus(expired.evse - 1, now: now, into: &out)
        }
    }
}
