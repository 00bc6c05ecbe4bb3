import Fleet
import Foundation
import PeerSupport
import Telemetry
import Testing

/// A backend that is slow (every answer 200 ms late) and then, for 12 s, silent: its
/// connections stay open but no CALL is answered (`Tests/peer/csms.py --answer-delay
/// --silent-from --silent-for`). The charge points time out, count every timeout, retry
/// transaction messages within TransactionMessageAttempts, and when the backend answers
/// again every transaction started is stopped exactly once.
@Suite("A slow, then silent backend", .timeLimit(.minutes(3)))
struct SilentBackendTests {
    static let spec = """
        run:
          duration: 35s
          seed: 5
          rampUp: 1s
          callTimeout: 3s
          stopTimeout: 20s
        groups:
          - name: silent
            count: 10
            idPattern: "SILENT-{index:02}"
            connectors: 2
            behaviour: brisk
            config:
              MeterValueSampleInterval: 2
              TransactionMessageAttempts: 10
              TransactionMessageRetryInterval: 2
        behaviours:
          brisk:
            idleBetweenSessions: {uniform: [1s, 3s]}
            plugToAuthorize: {uniform: [500ms, 1s]}
            chargeDuration: {uniform: [3s, 6s]}
            unplugDelay: {uniform: [500ms, 1s]}
            powerKW: {uniform: [7, 22]}
        """

    @Test("Every unanswered CALL is a counted timeout; nothing is lost or doubled once the backend answers again")
    func silentWindow() async throws {
        guard let (outcome, summary) = try await runFleetAgainstPythonPeer(
            "silent backend", arguments: ["--silent-from", "8", "--silent-for", "12", "--answer-delay", "0.2", "--heartbeat-interval", "4"], spec: Self.spec, file: "silent.yaml", seconds: 35) else { return }
        let silenced = (summary["silenced"] as? [String: Int]) ?? [:]
        let telemetry = outcome.telemetry
        let timeouts = telemetry.actions.values.reduce(0) { $0 + $1.timeouts }
        #expect(silenced.values.reduce(0, +) > 10, "the silent window caught calls: \(silenced)")
        // Each CALL left unanswered timed out at its charge point, and was counted there.
        for (action, count) in silenced {
            #expect(telemetry.actions[action]?.timeouts == count, "\(action): \(count) silenced")
        }
        #expect(timeouts == silenced.values.reduce(0, +))
        #expect(summary["violationCount"] as? Int == 0, "violations: \(summary["violations"] ?? "?")")
        let transactions = summary["transactions"] as? [String: Any]
        #expect((transactions?["open"] as? [Any])?.isEmpty == true, "open on the CSMS: \(transactions?["open"] ?? "?")")
        #expect(transactions?["started"] as? Int == telemetry.transactionsStarted)
        #expect(transactions?["stopped"] as? Int == telemetry.transactionsStarted)
        #expect(transactions?["duplicateStarts"] as? Int == 0)
        #expect(transactions?["duplicateStops"] as? Int == 0)
        #expect(telemetry.transactionsStarted > 10)
        #expect(telemetry.transactionsStarted == telemetry.transactionsStopped)
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
    }
}
