import Foundation
import PeerSupport
import Testing

extension EndToEndTests {
    /// Issue 10 as it is tried: the built `ocpp-fleet` runs `fleets/smoke.yaml` as OCPP 2.0.1
    /// (`--ocpp-version 2.0.1`: its 1.6 config keys become device-model variables) against the
    /// independent, schema-validating 2.0.1 CSMS (`Tests/peer/csms201.py --exercise`), which
    /// answers every charge point and probes the first ones to boot with every CSMS-initiated
    /// operation in scope while their drivers run sessions. Fewer charge points and a shorter run
    /// than the spec's 100 for 60 s, so it fits beside the other end-to-end runs; the probe steps
    /// that wait for a busy station to fall idle (firmware install, resets) are left out, as in
    /// `V201FleetTests`.
    @Suite("Issue 10's trial: fleets/smoke.yaml as OCPP 2.0.1 against the probing 2.0.1 peer", .serialized,
           .timeLimit(.minutes(5)))
    struct V201TrialTests {
        static let waitForIdle = ["UpdateFirmware", "UpdateFirmwareWait", "ResetOnIdle", "ResetOnIdleWait",
                                  "ResetImmediate", "ResetImmediateWait"]

        @Test("20 charge points of smoke.yaml as 2.0.1: zero schema violations, every transaction ended once, no probe mismatch")
        func trial() async throws {
            guard let python = PeerPython.forTest("2.0.1 trial", fail: { Issue.record("\($0)") }) else { return }
            let peer = try PythonCSMS.start(python: python, script: "Tests/peer/csms201.py", arguments: [
                "--exercise", "--exercise-max", "3", "--exercise-skip", Self.waitForIdle.joined(separator: ","),
            ])
            let child: Child
            do {
                child = try Child(["run", "fleets/smoke.yaml", "--ocpp-version", "2.0.1",
                                   "--csms", "ws://127.0.0.1:\(peer.port)/ocpp", "--charge-points", "20",
                                   "--duration", "45s", "--format", "json"])
            } catch {
                _ = try? peer.stop()
                throw error
            }
            let (code, stdout) = child.finish()
            let summary = try peer.stop()
            let stderr = child.stderrLines.joined(separator: "\n")
            #expect(code == 0, "stderr: \(stderr)")
            #expect(!stderr.contains("refused"), "every config key of smoke.yaml applies as a 2.0.1 variable: \(stderr)")

            #expect(summary["violationCount"] as? Int == 0, "violations: \(summary["violations"] ?? "?")")
            #expect((summary["csmsErrors"] as? [Any])?.isEmpty == true, "peer errors: \(summary["csmsErrors"] ?? "?")")
            #expect(summary["exerciseMismatchCount"] as? Int == 0, "mismatches: \(summary["exerciseMismatches"] ?? "?")")
            #expect(((summary["exercised"] as? [String: Any])?.count ?? 0) > 10, "the peer probed: \(summary["exercised"] ?? "?")")
            let transactions = try #require(summary["transactions"] as? [String: Any])
            let started = try #require(transactions["started"] as? Int)
            #expect(started > 20)
            #expect(transactions["ended"] as? Int == started, "every transaction the peer saw start also ended")
            // Ended exactly once: none left open, and a second Ended (or any event after it) for an
            // id would be one of the peer's violations; an identical replay after a lost answer
            // is counted apart (duplicateEvents), not as a second end.
            #expect((transactions["open"] as? [Any])?.isEmpty == true, "left open: \(transactions["open"] ?? "?")")

            // The fleet's own report agrees with the peer.
            let report = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
            let counted = try #require(report["transactions"] as? [String: Any])
            #expect(counted["started"] as? Int == started)
            #expect(counted["stopped"] as? Int == started)
        }
    }
}
