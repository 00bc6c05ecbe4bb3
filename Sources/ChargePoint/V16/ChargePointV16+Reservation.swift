import OCPP

/// One reservation made by ReserveNow.req (OCPP 1.6 §5.13).
struct Reservation: Sendable, Equatable {
    var id: Int
    /// 0: any connector, as long as one stays free for it.
    var connector: Int
    var expiry: Timestamp
    var idTag: String
    var parentIdTag: String?
    /// An idTag let through on the strength of its parentIdTag (looked up or asked with
    /// Authorize.req): its transaction ends this reservation.
    var claimedBy: String?

    /// Whether `idTag` may use this reservation: true, false, or nil when it would depend
    /// on a parentIdTag not known yet.
    func admits(_ idTag: String, parent: String?, parentKnown: Bool) -> Bool? {
        if IdToken.equal(self.idTag, idTag) || claimedBy.map({ IdToken.equal($0, idTag) }) == true { return true }
        guard let parentIdTag else { return false }
        guard parentKnown else { return nil }
        return parent.map { IdToken.equal($0, parentIdTag) } ?? false
    }
}

/// State of the Reservation feature profile of one charge point; empty unless reserved.
struct ReservationState: Sendable {
    var active: [Reservation] = []
}

/// What a reservation says about an idTag starting on a connector.
enum ReservationGate: Equatable {
    /// It may start; the reservation (by index) it uses, if any.
    case allowed(Int?)
    /// Only its parentIdTag can tell: ask the CSMS (Authorize.req, OCPP 1.6 §5.13).
    case needsParent
    case refused
}

extension ChargePointV16 {
    mutating func reservationCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .reserveNow:
            let request = try V16.ReserveNowRequest(json: payload)
            return V16.ReserveNowResponse(status: reserveNow(request, now: now, into: &out)).encoded
        case .cancelReservation:
            let request = try V16.CancelReservationRequest(json: payload)
            guard let index = reservations.active.firstIndex(where: { $0.id == request.reservationId }) else {
                return V16.CancelReservationResponse(status: .rejected).encoded
            }
            reservations.active.remove(at: index)
            refreshConnectorStatuses(now: now, into: &out)
            return V16.CancelReservationResponse(status: .accepted).encoded
        default:
            throw CallError(.notSupported, "\(action.rawValue) is not part of Reservation")
        }
    }

    /// ReserveNow.req (OCPP 1.6 §5.13): the same reservationId replaces its reservation, if
    /// the new one can be made; otherwise the old one stays.
    private mutating func reserveNow(_ request: V16.ReserveNowRequest, now: Timestamp,
                                     into out: inout [EngineOutput]) -> V16.ReservationStatus {
        guard request.connectorId >= 0, request.connectorId < connectors.count,
              request.connectorId > 0 || Configuration.reserveConnectorZeroSupported,
              request.expiryDate > now, pendingReset == nil, !stopping else { return .rejected }
        let replaced = reservations.active.firstIndex(where: { $0.id == request.reservationId })
            .map { reservations.active.remove(at: $0) }
        let status = reservability(of: request.connectorId)
        if status == .accepted {
            reservations.active.append(Reservation(id: request.reservationId, connector: request.connectorId,
                                                   expiry: request.expiryDate, idTag: request.idTag,
                                                   parentIdTag: request.parentIdTag))
        } else if let replaced {
            reservations.active.append(replaced)
        }
        refreshConnectorStatuses(now: now, into: &out)
        return status
    }

    /// Whether a new reservation fits on `connector` (0: the charge point as a whole).
    private func reservability(of connector: Int) -> V16.ReservationStatus {
        let all = 1..<connectors.count
        if connector == 0 {
            if connectors[0].fault != nil { return .faulted }
            if connectors[0].inoperative { return .unavailable }
            if freeConnectorCount(excluding: nil) > connectorZeroDemand { return .accepted }
            if all.allSatisfy({ connectors[$0].fault != nil }) { return .faulted }
            if all.allSatisfy({ connectors[$0].fault != nil || connectors[$0].inoperative }) { return .unavailable }
            return .occupied
        }
        if connectors[0].fault != nil || connectors[connector].fault != nil { return .faulted }
        if connectors[0].inoperative || connectors[connector].inoperative { return .unavailable }
        // Occupied: in use, or reserved already, or needed by the reservations for any connector.
        guard isFreeForReservation(connector), freeConnectorCount(excluding: connector) >= connectorZeroDemand else {
            return .occupied
        }
        return .accepted
    }

    /// Idle and operative, with no reservation of its own: a connector a new user could take.
    func isFreeForReservation(_ index: Int) -> Bool {
        let c = connectors[index]
        return isOperative(index) && c.transaction == nil && !c.plugged && c.authorizingTag == nil
            && c.authorizedTag == nil && !c.finishing && !reservations.active.contains { $0.connector == index }
    }

    func freeConnectorCount(excluding excluded: Int?) -> Int {
        (1..<connectors.count).count(where: { $0 != excluded && isFreeForReservation($0) })
    }

    /// Reservations for any connector (connector 0) still waiting for their holder: one whose
    /// holder is already waiting on a connector for the cable does not also need a free one.
    var connectorZeroDemand: Int {
        reservations.active.count(where: { reservation in
            reservation.connector == 0 && !(reservation.claimedBy.map { holder in
                connectors.contains { $0.authorizedTag.map { IdToken.equal($0, holder) } == true }
            } ?? false)
        })
    }

    /// Whether `index` shows Reserved: reserved itself, or one of the last free connectors
    /// that the reservations for any connector need (OCPP 1.6 §5.13).
    func isReserved(_ index: Int) -> Bool {
        guard !reservations.active.isEmpty else { return false }
        if reservations.active.contains(where: { $0.connector == index }) { return true }
        let demand = connectorZeroDemand
        return demand > 0 && isFreeForReservation(index) && freeConnectorCount(excluding: nil) <= demand
    }

    /// Whether `idTag` may start on `connector` as far as reservations go (OCPP 1.6 §5.13:
    /// only the reserved idTag or its group on a reserved connector; one connector stays
    /// free for each reservation for any connector).
    func reservationGate(_ connector: Int, idTag: String, parent: String?, parentKnown: Bool) -> ReservationGate {
        guard !reservations.active.isEmpty else { return .allowed(nil) }
        if let own = reservations.active.firstIndex(where: { $0.connector == connector }) {
            switch reservations.active[own].admits(idTag, parent: parent, parentKnown: parentKnown) {
            case true?: return .allowed(own)
            case false?: return .refused
            case nil: return .needsParent
            }
        }
        var undecided = false
        for (index, reservation) in reservations.active.enumerated() where reservation.connector == 0 {
            switch reservation.admits(idTag, parent: parent, parentKnown: parentKnown) {
            case true?: return .allowed(index)
            case false?: break
            case nil: undecided = true
            }
        }
        if freeConnectorCount(excluding: connector) >= connectorZeroDemand { return .allowed(nil) }
        return undecided ? .needsParent : .refused
    }

    /// The reservation a transaction of `idTag` starting on `connector` ends, removed; its id
    /// goes into StartTransaction.req (OCPP 1.6 §4.8).
    mutating func consumeReservation(_ connector: Int, idTag: String, now: Timestamp,
                                     into out: inout [EngineOutput]) -> Int? {
        guard !reservations.active.isEmpty else { return nil }
        func uses(_ reservation: Reservation) -> Bool {
            reservation.admits(idTag, parent: nil, parentKnown: false) == true
        }
        let index = reservations.active.firstIndex { $0.connector == connector && uses($0) }
            ?? reservations.active.firstIndex { $0.connector == 0 && uses($0) }
        guard let index else { return nil }
        let id = reservations.active.remove(at: index).id
        refreshConnectorStatuses(now: now, into: &out)
        return id
    }

    /// A connector (or with 0 the charge point) became Faulted or Unavailable: its
    /// reservations end (OCPP 1.6 §5.13). With reservations for any connector, the other
    /// connectors' Reserved status may change with this one's.
    mutating func reservationsAfterStatusChange(_ index: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard !reservations.active.isEmpty else { return }
        let status = connectors[index].status
        if status == .faulted || status == .unavailable {
            reservations.active.removeAll { index == 0 || $0.connector == index }
        }
        if index > 0 { refreshConnectorStatuses(now: now, into: &out) }
    }

    mutating func refreshConnectorStatuses(now: Timestamp, into out: inout [EngineOutput]) {
        for index in 1..<connectors.count { refreshStatus(index, now: now, into: &out) }
    }

    var reservationWakeup: Timestamp? { reservations.active.lazy.map(\.expiry).min() }

    /// Expired reservations end and their connectors become Available again (OCPP 1.6 §5.13).
    mutating func reservationTick(now: Timestamp, into out: inout [EngineOutput]) {
        guard reservations.active.contains(where: { $0.expiry <= now }) else { return }
        reservations.active.removeAll { $0.expiry <= now }
        refreshConnectorStatuses(now: now, into: &out)
    }
}
