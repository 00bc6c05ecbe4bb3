@testable import ChargePoint
import OCPP
import Testing

extension ScriptedCSMS {
    mutating func reserve(_ connector: Int, _ idTag: String, id: Int, for duration: Interval = .seconds(3600),
                          parent: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> V16.ReservationStatus {
        try call(V16.ReserveNowRequest(connectorId: connector, expiryDate: now + duration, idTag: idTag,
                                       parentIdTag: parent, reservationId: id), sourceLocation: sourceLocation).status
    }

    mutating func cancelReservation(_ id: Int) throws -> V16.CancelReservationStatus {
        try call(V16.CancelReservationRequest(reservationId: id)).status
    }
}

@Suite("Reservation (OCPP 1.6 §3.11, §5.1, §5.13)")
struct ReservationTests {
    @Test("A reserved connector shows Reserved, refuses other cards, and the reserved card's StartTransaction carries the reservationId")
    func reserveAndUse() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(1, "HOLDER", id: 7) == .accepted)
        #expect(csms.engine.status(ofConnector: 1) == .reserved)
        #expect(try csms.statuses(1) == [.available, .reserved])
        #expect(try csms.statuses(2) == [.available])

        csms.plugIn(1)
        csms.present("INTRUDER", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        #expect(csms.calls(.authorize).isEmpty)
        csms.present("holder", on: 1)
        let start = try #require(try csms.decoded(V16.StartTransactionRequest.self).first)
        #expect(start.reservationId == 7)
        #expect(start.connectorId == 1)
        // The reservation is used up.
        #expect(try csms.cancelReservation(7) == .rejected)
        #expect(try csms.statuses(1) == [.available, .reserved, .preparing, .charging])
        csms.present("holder", on: 1)
        csms.unplug(1)
        #expect(csms.engine.status(ofConnector: 1) == .available)
        // A later session carries no reservationId.
        csms.plugIn(1)
        csms.present("HOLDER", on: 1)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.reservationId) == [7, nil])
    }

    @Test("A reservation expires at its expiryDate: the connector is Available again and the card no longer has a claim")
    func expires() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 86_400)
        let reservedAt = csms.now
        #expect(try csms.reserve(2, "HOLDER", id: 1, for: .seconds(900)) == .accepted)
        csms.advance(by: .seconds(899))
        #expect(csms.engine.status(ofConnector: 2) == .reserved)
        csms.advance(by: .seconds(1))
        #expect(csms.engine.status(ofConnector: 2) == .available)
        let last = try #require(try csms.decoded(V16.StatusNotificationRequest.self).last)
        #expect(last.connectorId == 2 && last.status == .available && last.timestamp == reservedAt + .seconds(900))
        #expect(try csms.cancelReservation(1) == .rejected)
        csms.plugIn(2)
        csms.present("SOMEONE", on: 2)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.reservationId) == [nil])
    }

    enum Obstacle: String, CaseIterable, Sendable {
        case plugged, charging, finishing, reserved, faulted, chargePointFaulted, unavailable, chargePointUnavailable
    }

    @Test("ReserveNow on a connector in use, reserved, Faulted or Unavailable is refused with the matching status",
          arguments: Obstacle.allCases)
    func refused(obstacle: Obstacle) throws {
        var csms = ScriptedCSMS.booted()
        let expected: V16.ReservationStatus
        switch obstacle {
        case .plugged:
            csms.plugIn(1)
            expected = .occupied
        case .charging:
            csms.plugIn(1)
            csms.present("TAG", on: 1)
            expected = .occupied
        case .finishing:
            csms.plugIn(1)
            csms.present("TAG", on: 1)
            csms.present("TAG", on: 1)
            expected = .occupied
        case .reserved:
            #expect(try csms.reserve(1, "FIRST", id: 1) == .accepted)
            expected = .occupied
        case .faulted:
            csms.fault(.groundFailure, on: 1)
            expected = .faulted
        case .chargePointFaulted:
            csms.fault(.internalError, on: 0)
            expected = .faulted
        case .unavailable:
            #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)).status == .accepted)
            expected = .unavailable
        case .chargePointUnavailable:
            #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 0, type: .inoperative)).status == .accepted)
            expected = .unavailable
        }
        let before = csms.engine.status(ofConnector: 1)
        #expect(try csms.reserve(1, "LATE", id: 99) == expected)
        #expect(csms.engine.status(ofConnector: 1) == before)
        #expect(try csms.cancelReservation(99) == .rejected)
    }

    @Test("ReserveNow for an unknown connector or an expiryDate not in the future is Rejected", arguments: [
        (3, 3600), (-1, 3600), (1, 0), (1, -60),
    ])
    func rejected(connector: Int, seconds: Int) throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(connector, "TAG", id: 1, for: .seconds(seconds)) == .rejected)
        #expect(try csms.statuses(1) == [.available])
    }

    @Test("A reservation on connector 0 keeps one connector free for its card: the last free one shows Reserved and refuses others")
    func connectorZero() throws {
        #expect(Configuration.reserveConnectorZeroSupported)
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(0, "HOLDER", id: 3) == .accepted)
        // Two free connectors for one reservation: nothing to hold back yet.
        #expect(csms.engine.status(ofConnector: 1) == .available)
        #expect(csms.engine.status(ofConnector: 2) == .available)

        csms.plugIn(1)
        #expect(csms.engine.status(ofConnector: 2) == .reserved)
        csms.present("FIRST", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))

        // A second reservation for any connector cannot be kept now.
        #expect(try csms.reserve(0, "OTHER", id: 4) == .occupied)

        csms.plugIn(2)
        csms.present("SECOND", on: 2)
        #expect(!csms.engine.hasTransaction(connector: 2))
        #expect(csms.events.contains(.authorizationFailed(connector: 2)))
        csms.present("HOLDER", on: 2)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.reservationId) == [nil, 3])
        #expect(try csms.statuses(2) == [.available, .reserved, .preparing, .charging])
        #expect(csms.engine.reservations.active.isEmpty)
    }

    @Test("A reservation on connector 0 is used by its card on any connector")
    func connectorZeroAnyConnector() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(0, "HOLDER", id: 5) == .accepted)
        csms.present("HOLDER", on: 2)  // the card first, then the cable
        csms.advance(by: .seconds(10))
        csms.plugIn(2)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.reservationId) == [5])
        #expect(csms.engine.reservations.active.isEmpty)
    }

    @Test("ReserveNow on connector 0 with every connector taken is Occupied, Faulted or Unavailable as they are",
          arguments: [V16.ReservationStatus.occupied, .faulted, .unavailable])
    func connectorZeroNothingFree(expected: V16.ReservationStatus) throws {
        var csms = ScriptedCSMS.booted()
        for connector in 1...2 {
            switch expected {
            case .faulted: csms.fault(.highTemperature, on: connector)
            case .unavailable:
                _ = try csms.call(V16.ChangeAvailabilityRequest(connectorId: connector, type: .inoperative))
            case .occupied, .accepted, .rejected: csms.plugIn(connector)
            }
        }
        #expect(try csms.reserve(0, "HOLDER", id: 1) == expected)
        #expect(csms.engine.reservations.active.isEmpty)
    }

    @Test("The same reservationId replaces the reservation; CancelReservation ends it")
    func replaceAndCancel() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(1, "HOLDER", id: 11) == .accepted)
        #expect(try csms.reserve(2, "HOLDER", id: 11) == .accepted)
        #expect(csms.engine.status(ofConnector: 1) == .available)
        #expect(csms.engine.status(ofConnector: 2) == .reserved)
        #expect(csms.engine.reservations.active.count == 1)
        // A replacement that cannot be made leaves the reservation as it was.
        csms.fault(.groundFailure, on: 1)
        #expect(try csms.reserve(1, "HOLDER", id: 11) == .faulted)
        #expect(csms.engine.status(ofConnector: 2) == .reserved)
        #expect(try csms.cancelReservation(12) == .rejected)
        #expect(try csms.cancelReservation(11) == .accepted)
        #expect(csms.engine.status(ofConnector: 2) == .available)
        #expect(try csms.statuses(2) == [.available, .reserved, .available])
    }

    @Test("A reservation ends when its connector becomes Faulted or Unavailable")
    func endedByFaultOrAvailability() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(1, "HOLDER", id: 1) == .accepted)
        csms.fault(.groundFailure, on: 1)
        csms.fault(nil, on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .available)
        #expect(try csms.statuses(1) == [.available, .reserved, .faulted, .available])

        #expect(try csms.reserve(1, "HOLDER", id: 2) == .accepted)
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 0, type: .inoperative)).status == .accepted)
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 0, type: .operative)).status == .accepted)
        #expect(csms.engine.status(ofConnector: 1) == .available)
        #expect(try csms.cancelReservation(2) == .rejected)
    }

    @Test("A card of the reservation's group (parentIdTag) may use it: the CSMS is asked when the parent is not known locally")
    func parentReservation() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalPreAuthorize", "true")])
        csms.script["Authorize"] = [
            .conf(V16.AuthorizeResponse(idTagInfo: V16.IdTagInfo(parentIdTag: "NEIGHBOURS", status: .accepted))),
            .conf(V16.AuthorizeResponse(idTagInfo: V16.IdTagInfo(parentIdTag: "FAMILY", status: .accepted))),
        ]
        #expect(try csms.reserve(1, "MOTHER", id: 21, parent: "FAMILY") == .accepted)
        csms.plugIn(1)
        csms.present("STRANGER", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.present("SON", on: 1)
        #expect(try csms.decoded(V16.AuthorizeRequest.self).map(\.idTag) == ["STRANGER", "SON"])
        let start = try #require(try csms.decoded(V16.StartTransactionRequest.self).first)
        #expect(start.idTag == "SON")
        #expect(start.reservationId == 21)
    }

    @Test("A card of the group known from the local list uses the reservation without Authorize")
    func parentReservationFromList() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalPreAuthorize", "true")])
        #expect(try csms.sendLocalList(1, .full, [("SON", V16.IdTagInfo(parentIdTag: "FAMILY", status: .accepted)),
                                                  ("LODGER", V16.IdTagInfo(status: .accepted))]) == .accepted)
        #expect(try csms.reserve(1, "MOTHER", id: 22, parent: "FAMILY") == .accepted)
        csms.plugIn(1)
        csms.present("LODGER", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.present("SON", on: 1)
        #expect(csms.calls(.authorize).isEmpty)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.reservationId) == [22])
    }

    @Test("RemoteStartTransaction on a reserved connector is Rejected for another idTag and Accepted for the reserved one")
    func remoteStart() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(1, "HOLDER", id: 31) == .accepted)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "OTHER")).status == .rejected)
        // Without a connector the charge point picks one the reservation does not hold.
        #expect(try csms.call(V16.RemoteStartTransactionRequest(idTag: "OTHER")).status == .accepted)
        #expect(csms.events.contains(.remoteStartAccepted(connector: 2)))
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "HOLDER")).status == .accepted)
        csms.plugIn(1)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.reservationId) == [31])
    }

    @Test("A reservation survives a reboot and still expires")
    func survivesReboot() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.reserve(1, "HOLDER", id: 41, for: .seconds(600)) == .accepted)
        #expect(try csms.call(V16.ResetRequest(type: .hard)).status == .accepted)
        csms.advance(by: .seconds(5))
        #expect(csms.engine.isAccepted)
        #expect(csms.engine.status(ofConnector: 1) == .reserved)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.status(ofConnector: 1) == .available)
    }
}
