import Fleet
import Foundation
import PeerSupport
import Telemetry
import Testing

/// A CSMS that misbehaves on purpose (`Tests/peer/csms.py --hostile`, on the PyPI `ocpp`
/// package): it throws malformed and hostile frames at the charge points and checks every
/// answer, and every silence, against OCPP-J 1.6; last it sends a frame larger than a
/// charge point accepts, which must close that connection, after which the charge point
/// comes back. The run must end normally with every transaction closed.
@Suite("A hostile CSMS", .timeLimit(.minutes(3)))
struct HostileCSMSTests {
    static let spec = """
        run:
          duration: 25s
          seed: 11
          rampUp: 1s
          callTimeout: 10s
          stopTimeout: 10s
        groups:
          - name: hostile
            count: 5
            idPattern: "HOSTILE-{index:02}"
            connectors: 2
            behaviour: brisk
        behaviours:
          brisk:
            idleBetweenSessions: {uniform: [1s, 3s]}
            plugToAuthorize: {uniform: [500ms, 1s]}
            chargeDuration: {uniform: [3s, 6s]}
            unplugDelay: {uniform: [500ms, 1s]}
            powerKW: {uniform: [7, 22]}
        """

    @Test("Malformed and hostile frames get the right CALLERROR or none, and the fleet runs on")
    func hostileFrames() async throws {
        guard let (outcome, summary) = try await runFleetAgainstPythonPeer(
            "hostile CSMS", arguments: ["--hostile", "--hostile-oversized", "--exercise-max", "3", "--heartbeat-interval", "5"], spec: Self.spec, file: "hostile.yaml", seconds: 25) else { return }
        let hostile = summary["hostile"] as? [String: Any]
        #expect(hostile?["done"] as? Int == 3, "three charge points took the whole sequence: \(hostile ?? [:])")
        #expect(hostile?["reconnectedAfterOversized"] as? Int == 3, "each came back after the oversized frame")
        #expect(summary["exerciseMismatchCount"] as? Int == 0, "mismatches: \(summary["exerciseMismatches"] ?? "?")")
        #expect(summary["violationCount"] as? Int == 0, "violations: \(summary["violations"] ?? "?")")
        #expect(summary["csmsErrors"] as? [Any] == nil || (summary["csmsErrors"] as? [Any])?.isEmpty == true)

        // The charge points counted what they answered with CALLERRORs, and still did their work.
        let telemetry = outcome.telemetry
        #expect(telemetry.incoming["SelfDestruct"]?.callErrors == 3)
        #expect(telemetry.bootAccepted >= 5)
        #expect(telemetry.transactionsStarted > 0)
        #expect(telemetry.transactionsStarted == telemetry.transactionsStopped)

        // The backend's own protocol faults, counted by kind (three charge points took the sequence).
        let faults = telemetry.backendFaults
        #expect(faults["unknownMessageType"] == 3, "faults: \(faults)")
        #expect(faults["unmatchedResult"] == 3, "faults: \(faults)")
        #expect(faults["unmatchedError"] == 3, "faults: \(faults)")
        #expect(faults["binaryFrame"] == 3, "faults: \(faults)")
        #expect(faults["unknownAction"] == 3, "faults: \(faults)")
        // wrong-type, missing-field, bad-enum, extra-field, payload-not-object.
        #expect(faults["invalidCall"] == 15, "faults: \(faults)")
        #expect(faults["malformedFrame"] == 3, "not-json: \(faults)")
        // The broken Heartbeat.conf the peer sent each charge point is an invalid result there.
        #expect(faults["invalidResult"] == hostile?["badResultsSent"] as? Int, "faults: \(faults), peer: \(hostile ?? [:])")
        // A late answer needs a CALL that timed out first (a loaded machine may make one).
        let timeouts = telemetry.actions.values.reduce(0) { $0 + $1.timeouts }
        #expect((faults["lateAnswer"] ?? 0) <= timeouts, "faults: \(faults), timeouts: \(timeouts)")
        for (kind, samples) in telemetry.backendFaultSamples {
            #expect(!samples.isEmpty && samples.count <= TelemetrySnapshot.Limits.faultSamples, "\(kind)")
            #expect(samples.allSatisfy { $0.utf8.count <= 200 + 3 }, "\(kind): \(samples)")
        }
        #expect(telemetry.backendFaultSamples["unknownMessageType"]?.first == #"[7,"unknown-type-id",{}]"#)
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
    }
}
