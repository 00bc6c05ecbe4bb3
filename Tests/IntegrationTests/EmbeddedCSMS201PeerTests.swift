import CentralSystem
import Foundation
import Logging
import NIOPosix
import OCPP
import PeerSupport
import Testing

/// The embedded CSMS's 2.0.1 side against an independent station: `Tests/peer/station201.py`
/// on the PyPI `ocpp` library, which checks every payload both ways against the official 2.0.1
/// schemas, run by `Tests/peer/station201_session.py`.
@Suite("Embedded CSMS, OCPP 2.0.1, against the Python ocpp station")
struct EmbeddedCSMS201PeerTests {
    /// The scenario: boot-time operations, then a remote start and a remote stop of the open
    /// transaction. The station's own session (a dozen calls) is over well before the remote
    /// start 4 s after it connected (the station has one EVSE); the stop comes 2 s later.
    static let scenario = #"""
        {"seed":"1","callTimeoutMs":5000,"calls":[
         {"send":"GetVariables","ocppVersion":"2.0.1","when":"boot","payload":{"getVariableData":[{"component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}},
         {"send":"SetVariables","ocppVersion":"2.0.1","when":"boot","payload":{"setVariableData":[{"attributeValue":"90","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}},
         {"send":"GetBaseReport","ocppVersion":"2.0.1","when":"boot","payload":{"requestId":7,"reportBase":"FullInventory"}},
         {"send":"TriggerMessage","ocppVersion":"2.0.1","when":"boot","payload":{"requestedMessage":"Heartbeat"}},
         {"send":"UnlockConnector","ocppVersion":"2.0.1","when":"boot","payload":{"evseId":1,"connectorId":1}},
         {"send":"RequestStartTransaction","ocppVersion":"2.0.1","when":{"atMs":4000},"payload":{"evseId":1,"remoteStartId":5,"idToken":{"idToken":"APP","type":"Central"}}},
         {"send":"RequestStopTransaction","ocppVersion":"2.0.1","when":{"atMs":6000},"payload":{"transactionId":"{openTransaction}"}}
        ]}
        """#

    static let expectedResults: [V201.Action: String] = [
        .getVariables: "Result", .setVariables: "Result", .getBaseReport: "Accepted", .triggerMessage: "Accepted",
        .unlockConnector: "Unlocked", .requestStartTransaction: "Accepted", .requestStopTransaction: "Accepted",
    ]

    @Test("Every station message answered schema-valid, every CSMS operation answered as expected, no fault counted",
          .timeLimit(.minutes(2)))
    func session() async throws {
        let python: String
        switch PeerPython.locate() {
        case .found(let found):
            python = found
        case .missing(let note, let isFailure):
            if isFailure { Issue.record("2.0.1 station interop: \(note)") } else { PeerPython.announceSkip("2.0.1 station interop", note) }
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = CentralSystemConfiguration()
        configuration.scenario = try CentralSystemScenario(jsonText: Self.scenario)
        let server = CentralSystemServer(configuration: configuration, group: group, logger: Logger(label: "csms"))
        let port = try await server.start(host: "127.0.0.1", port: 0)

        let summaryPath = FileManager.default.temporaryDirectory.appendingPathComponent("station201-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: summaryPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PeerPython.path("Tests/peer/station201_session.py"), "--url", "ws://127.0.0.1:\(port)/ocpp",
                             "--id", "CS-PY", "--seconds", "9", "--summary", summaryPath]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
        let stats = server.stats
        try await server.shutdown()
        try await group.shutdownGracefully()
        #expect(process.terminationStatus == 0)

        let data = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(summary["sessionDone"] as? Bool == true)
        #expect((summary["errors"] as? [String])?.isEmpty == true, "the station refused: \(summary["errors"] ?? "?")")
        let responses = summary["responses"] as? [String: String] ?? [:]
        #expect(responses["Authorize"] == "Accepted")
        #expect(responses["Authorize BLOCKED-PY"] == "Blocked")
        #expect(responses["DataTransfer"] == "Accepted")
        #expect(responses["DataTransfer acme"] == "UnknownVendorId")
        #expect(responses["SignCertificate"] == "Accepted")
        for action in ["Heartbeat", "MeterValues", "NotifyEvent", "SecurityEventNotification", "FirmwareStatusNotification",
                       "LogStatusNotification", "NotifyCustomerInformation", "NotifyReport"] {
            #expect(responses[action] == "ok", "\(action): \(responses[action] ?? "no answer")")
        }

        for (action, status) in Self.expectedResults {
            #expect(stats.callsSent[.v201(action)]?.results == [status: 1],
                    "\(action): \(String(describing: stats.callsSent[.v201(action)]))")
        }
        #expect(stats.violations.total == 0, "\(stats.violations)")
        #expect(stats.callErrorsSent.isEmpty, "\(stats.callErrorsSent)")
        #expect(stats.transactionEvents.started == 2, "the station's own transaction and the remote start")
        #expect(stats.transactionEvents.ended == 2)
        #expect(stats.openTransactions == 0)
        #expect(stats.connectionsByVersion == [.v201: 1])
    }
}
