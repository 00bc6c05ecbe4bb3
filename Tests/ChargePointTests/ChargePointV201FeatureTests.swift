@testable import ChargePoint
import Foundation
import OCPP
import Testing

@Suite("OCPP 2.0.1 charging station: firmware, reservations, smart charging, security events")
struct V201FeatureTests {
    static let firmware = V201.Firmware(location: "https://127.0.0.1/fw.bin", retrieveDateTime: ScriptedCSMS201.start)

    @Test("UpdateFirmware: Downloading, Downloaded, Installing, InstallRebooting, reboot, Installed after the boot")
    func firmwareUpdate() throws {
        var csms = ScriptedCSMS201.booted()
        #expect(try csms.call(V201.UpdateFirmwareRequest(requestId: 5, firmware: Self.firmware)).status == .accepted)
        csms.advance(by: .seconds(30 + 60))
        #expect(csms.reboots.count == 1)
        csms.connect()
        let statuses = try csms.decoded(V201.FirmwareStatusNotificationRequest.self)
        #expect(statuses.map(\.status) == [.downloading, .downloaded, .installing, .installRebooting, .installed])
        #expect(statuses.allSatisfy { $0.requestId == 5 })
        #expect(try csms.decoded(V201.BootNotificationRequest.self).last?.reason == .firmwareUpdate)
        #expect(try csms.decoded(V201.SecurityEventNotificationRequest.self).map(\.type) == ["StartupOfTheDevice", "FirmwareUpdated"])
    }

    @Test("A signed firmware is verified; installation waits for the transaction to end; a later retrieve time is DownloadScheduled")
    func firmwareSignedAndScheduled() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG", on: 1)
        var firmware = Self.firmware
        firmware.retrieveDateTime = csms.now + .seconds(100)
        firmware.signature = "c2lnbmF0dXJl"
        firmware.signingCertificate = "-----BEGIN CERTIFICATE-----"
        #expect(try csms.call(V201.UpdateFirmwareRequest(requestId: 6, firmware: firmware)).status == .accepted)
        csms.advance(by: .seconds(300))
        #expect(try csms.decoded(V201.FirmwareStatusNotificationRequest.self).map(\.status)
                == [.downloadScheduled, .downloading, .downloaded, .signatureVerified])
        csms.unplug(1)
        csms.advance(by: .seconds(80))
        #expect(try csms.decoded(V201.FirmwareStatusNotificationRequest.self).last?.status == .installRebooting)
    }

    @Test("ReserveNow marks the EVSE Reserved; another card is refused, the reserved one starts with the reservationId")
    func reservation() throws {
        var csms = ScriptedCSMS201.booted()
        let request = V201.ReserveNowRequest(id: 41, expiryDateTime: csms.now + .seconds(600),
                                             idToken: V201.IdToken(idToken: "MINE", type: .iso14443), evseId: 1)
        #expect(try csms.call(request).status == .accepted)
        #expect(csms.engine.connectorStatus(evse: 1) == .reserved)
        #expect(try csms.decoded(V201.StatusNotificationRequest.self).last?.connectorStatus == .reserved)
        var other = request
        other.id = 42
        #expect(try csms.call(other).status == .occupied)
        csms.plugIn(1)
        csms.present("THEIRS", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.present("MINE", on: 1)
        let started = try #require(try csms.decoded(V201.TransactionEventRequest.self).first)
        #expect(started.reservationId == 41)
        #expect(csms.engine.reservations.isEmpty)
    }

    @Test("A reservation expires with ReservationStatusUpdate Expired; CancelReservation frees the EVSE")
    func reservationExpiryAndCancel() throws {
        var csms = ScriptedCSMS201.booted()
        _ = try csms.call(V201.ReserveNowRequest(id: 1, expiryDateTime: csms.now + .seconds(60),
                                                 idToken: V201.IdToken(idToken: "A", type: .iso14443), evseId: 1))
        _ = try csms.call(V201.ReserveNowRequest(id: 2, expiryDateTime: csms.now + .seconds(600),
                                                 idToken: V201.IdToken(idToken: "B", type: .iso14443), evseId: 2))
        csms.advance(by: .seconds(60))
        #expect(try csms.decoded(V201.ReservationStatusUpdateRequest.self).map(\.reservationId) == [1])
        #expect(csms.engine.connectorStatus(evse: 1) == .available)
        #expect(try csms.call(V201.CancelReservationRequest(reservationId: 2)).status == .accepted)
        #expect(try csms.call(V201.CancelReservationRequest(reservationId: 2)).status == .rejected)
        #expect(csms.engine.connectorStatus(evse: 2) == .available)
        #expect(try csms.call(V201.ReserveNowRequest(id: 3, expiryDateTime: csms.now + .seconds(60),
                                                     idToken: V201.IdToken(idToken: "C", type: .iso14443))).status == .rejected)
    }

    static func profile(id: Int, purpose: V201.ChargingProfilePurposeEnum, limitW: Double, transactionId: String? = nil,
                        stackLevel: Int = 0) -> V201.ChargingProfile {
        V201.ChargingProfile(id: id, stackLevel: stackLevel, chargingProfilePurpose: purpose, chargingProfileKind: .absolute,
                             chargingSchedule: [V201.ChargingSchedule(
                                 id: id, startSchedule: ScriptedCSMS201.start, chargingRateUnit: .w,
                                 chargingSchedulePeriod: [V201.ChargingSchedulePeriod(startPeriod: 0, limit: limitW)])],
                             transactionId: transactionId)
    }

    @Test("A TxDefaultProfile caps the EV's power; a station maximum is shared; the composite schedule reports it")
    func limitsCapPower() throws {
        var csms = ScriptedCSMS201.booted()
        csms.plugIn(1)
        csms.present("TAG", on: 1)
        #expect(csms.engine.evses[0].meter.powerW == 11_000)
        let set = try csms.call(V201.SetChargingProfileRequest(evseId: 0, chargingProfile: Self.profile(id: 1, purpose: .txDefaultProfile, limitW: 7_000)))
        #expect(set.status == .accepted)
        #expect(csms.engine.evses[0].meter.powerW == 7_000)
        _ = try csms.call(V201.SetChargingProfileRequest(evseId: 0, chargingProfile: Self.profile(id: 2, purpose: .chargingStationMaxProfile, limitW: 10_000)))
        csms.plugIn(2)
        csms.present("TAG2", on: 2)
        #expect(csms.engine.evses[0].meter.powerW == 5_000 && csms.engine.evses[1].meter.powerW == 5_000)
        let composite = try csms.call(V201.GetCompositeScheduleRequest(duration: 3600, chargingRateUnit: .w, evseId: 1))
        #expect(composite.status == .accepted && composite.schedule?.chargingSchedulePeriod.first?.limit == 7_000)
        #expect(try csms.call(V201.ClearChargingProfileRequest(chargingProfileId: 2)).status == .accepted)
        #expect(csms.engine.evses[0].meter.powerW == 7_000 && csms.engine.evses[1].meter.powerW == 7_000)
        #expect(try csms.call(V201.ClearChargingProfileRequest(chargingProfileId: 2)).status == .unknown)
    }

    @Test("SetChargingProfile refuses what K01 forbids: a TxProfile without its transaction, a max profile on an EVSE")
    func profileRules() throws {
        var csms = ScriptedCSMS201.booted()
        #expect(try csms.call(V201.SetChargingProfileRequest(evseId: 1, chargingProfile: Self.profile(id: 1, purpose: .txProfile, limitW: 1000, transactionId: "x"))).status == .rejected)
        #expect(try csms.call(V201.SetChargingProfileRequest(evseId: 1, chargingProfile: Self.profile(id: 2, purpose: .chargingStationMaxProfile, limitW: 1000))).status == .rejected)
        #expect(try csms.call(V201.SetChargingProfileRequest(evseId: 0, chargingProfile: Self.profile(id: 3, purpose: .chargingStationExternalConstraints, limitW: 1000))).status == .rejected)
        csms.plugIn(1)
        csms.present("TAG", on: 1)
        let id = try #require(csms.engine.transactionId(evse: 1))
        #expect(try csms.call(V201.SetChargingProfileRequest(evseId: 1, chargingProfile: Self.profile(id: 4, purpose: .txProfile, limitW: 3000, transactionId: id))).status == .accepted)
        #expect(csms.engine.evses[0].meter.powerW == 3000)
        csms.unplug(1)
        #expect(csms.engine.smartCharging.isEmpty, "a TxProfile ends with its transaction")
    }

    @Test("GetChargingProfiles reports the matching profiles per EVSE, NoProfiles when none match")
    func getChargingProfiles() throws {
        var csms = ScriptedCSMS201.booted()
        #expect(try csms.call(V201.GetChargingProfilesRequest(requestId: 1, chargingProfile: V201.ChargingProfileCriterion())).status == .noProfiles)
        _ = try csms.call(V201.SetChargingProfileRequest(evseId: 0, chargingProfile: Self.profile(id: 1, purpose: .txDefaultProfile, limitW: 7_000)))
        _ = try csms.call(V201.SetChargingProfileRequest(evseId: 2, chargingProfile: Self.profile(id: 2, purpose: .txDefaultProfile, limitW: 5_000, stackLevel: 1)))
        #expect(try csms.call(V201.GetChargingProfilesRequest(requestId: 8, chargingProfile: V201.ChargingProfileCriterion(chargingProfilePurpose: .txDefaultProfile))).status == .accepted)
        csms.advance(by: .seconds(1))
        let reports = try csms.decoded(V201.ReportChargingProfilesRequest.self)
        #expect(reports.map(\.evseId) == [0, 2])
        #expect(reports.map(\.tbc) == [true, nil])
        #expect(reports.allSatisfy { $0.requestId == 8 })
    }
}

@Suite("OCPP 2.0.1 charging station: certificates (A02)")
struct V201CertificateTests {
    static func csms() -> ScriptedCSMS201 {
        var csms = ScriptedCSMS201(settings: EngineSettings(certificateServices: testCertificateServices))
        csms.connect()
        return csms
    }

    @Test("TriggerMessage(SignChargingStationCertificate): a CSR for CN = identity, O = OrganizationName; the signed chain is installed")
    func signAndInstall() throws {
        let pki = try TestPKI()
        var csms = Self.csms()
        #expect(try csms.call(V201.TriggerMessageRequest(requestedMessage: .signChargingStationCertificate)).status == .accepted)
        let request = try #require(try csms.decoded(V201.SignCertificateRequest.self).last)
        #expect(request.certificateType == .chargingStationCertificate && request.csr.contains("CERTIFICATE REQUEST"))
        let now = Date(timeIntervalSince1970: TimeInterval(csms.now.microseconds / 1_000_000))
        let chain = try pki.root.issue(csrPEM: request.csr, serial: 42, notBefore: now, notAfter: now + 365 * TestPKI.day)
        #expect(try csms.call(V201.CertificateSignedRequest(certificateChain: chain)).status == .accepted)
        #expect(csms.engine.clientCertificatePEM != nil && csms.engine.clientPrivateKeyPEM?.contains("PRIVATE KEY") == true)
    }

    @Test("A chain for another key is Rejected with a SecurityEventNotification InvalidChargingStationCertificate")
    func wrongKey() throws {
        let pki = try TestPKI()
        var csms = Self.csms()
        _ = try csms.call(V201.TriggerMessageRequest(requestedMessage: .signChargingStationCertificate))
        let now = Date(timeIntervalSince1970: TimeInterval(csms.now.microseconds / 1_000_000))
        let stranger = try pki.root.leaf(commonName: "CS-201", serial: 7, notBefore: now, notAfter: now + TestPKI.day)
        #expect(try csms.call(V201.CertificateSignedRequest(certificateChain: stranger)).status == .rejected)
        #expect(try csms.decoded(V201.SecurityEventNotificationRequest.self).last?.type == "InvalidChargingStationCertificate")
        #expect(csms.engine.clientCertificatePEM == nil)
    }

    @Test("Without certificate services the trigger is Rejected")
    func noServices() throws {
        var csms = ScriptedCSMS201.booted()
        #expect(try csms.call(V201.TriggerMessageRequest(requestedMessage: .signChargingStationCertificate)).status == .rejected)
    }
}
