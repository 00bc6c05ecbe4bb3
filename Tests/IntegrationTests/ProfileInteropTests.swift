import Fleet
import Foundation
import PeerSupport
import Telemetry
import Testing

/// Issue 4's acceptance run: the smoke fleet (5 charge points; 65 s on a quiet machine, 85 s here
/// where the other integration suites run beside it) against the Python
/// `ocpp` CSMS, which a few seconds in sends three of the charge points every CS→CP
/// operation of OCPP 1.6 and its security extension, one after another
/// (`Tests/peer/csms.py --exercise --exercise-profiles`, steps in `Tests/peer/profiles.py`),
/// checks each answer against the status a correct charge point gives in its state, and
/// waits for the notifications they cause. Every message both ways is schema-validated.
@Suite("Every OCPP 1.6 operation against the Python ocpp CSMS", .timeLimit(.minutes(4)))
struct ProfileInteropTests {
    static let exercised = 3

    /// CS→CP operations of every profile and of the security extension.
    static let centralSystemOperations = [
        "CancelReservation", "CertificateSigned", "ChangeAvailability", "ChangeConfiguration", "ClearCache",
        "ClearChargingProfile", "DataTransfer", "DeleteCertificate", "ExtendedTriggerMessage",
        "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics", "GetInstalledCertificateIds",
        "GetLocalListVersion", "GetLog", "InstallCertificate", "RemoteStartTransaction",
        "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile",
        "SignedUpdateFirmware", "TriggerMessage", "UnlockConnector", "UpdateFirmware",
    ]

    /// CP→CS operations the exercise must provoke beyond Core's.
    static let chargePointNotifications = [
        "DiagnosticsStatusNotification", "FirmwareStatusNotification", "LogStatusNotification",
        "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification",
    ]

    @Test("Three charge points get every CS→CP operation: right statuses, zero schema violations, every notification arrives")
    func everyOperation() async throws {
        let spec = try String(contentsOfFile: PeerPython.path("fleets/smoke.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "count: 100", with: "count: 5")
        guard let (outcome, summary) = try await runFleetAgainstPythonPeer(
            "profile interop",
            arguments: ["--exercise", "--exercise-profiles", "--exercise-max", "\(Self.exercised)", "--heartbeat-interval", "30"],
            spec: spec, file: "smoke.yaml", seconds: 85) else { return }

        #expect(summary["violationCount"] as? Int == 0, "violations: \(summary["violations"] ?? "?")")
        #expect(summary["exerciseMismatchCount"] as? Int == 0, "mismatches: \(summary["exerciseMismatches"] ?? "?")")
        #expect(summary["callErrorCount"] as? Int == 0, "our CALLERRORs: \(summary["callErrorsFromChargePoints"] ?? "?")")
        #expect(summary["profilesDone"] as? Int == Self.exercised, "every exercised charge point finished the sequence")
        let exercised = summary["exercised"] as? [String: Int] ?? [:]
        for operation in Self.centralSystemOperations {
            #expect((exercised[operation] ?? 0) >= Self.exercised, "\(operation) sent to each exercised charge point")
        }
        let received = summary["actions"] as? [String: Int] ?? [:]
        for operation in Self.chargePointNotifications {
            #expect((received[operation] ?? 0) > 0, "\(operation) received")
        }
        let notifications = summary["notifications"] as? [String: Int] ?? [:]
        #expect((notifications["FirmwareStatusNotification:Installed"] ?? 0) >= Self.exercised)
        #expect((notifications["DiagnosticsStatusNotification:Uploaded"] ?? 0)
                + (notifications["DiagnosticsStatusNotification:UploadFailed"] ?? 0) >= Self.exercised)
        #expect((notifications["LogStatusNotification:Uploaded"] ?? 0) >= Self.exercised)
        // SignedUpdateFirmware: the garbage signer refused and reported (L01.FR.02), the verified one installed.
        #expect((notifications["SecurityEventNotification:InvalidFirmwareSigningCertificate"] ?? 0) >= Self.exercised)
        #expect((notifications["SignedFirmwareStatusNotification:Installed"] ?? 0) >= Self.exercised)

        // The fleet's own report shows the incoming side, every call answered.
        let incoming = outcome.telemetry.incoming
        for operation in Self.centralSystemOperations {
            #expect((incoming[operation]?.received ?? 0) >= Self.exercised, "\(operation) in the report's incoming section")
        }
        #expect(outcome.telemetry.transactionsStarted == outcome.telemetry.transactionsStopped)
        #expect(outcome.openTransactions == 0)
    }
}
