import CentralSystem
import Fleet
import FleetSpec
import Foundation
import Logging
import NIOPosix
import PeerSupport
import Telemetry
import Testing

/// Whole runs over real sockets on loopback: 20 charge points for about 20 s against the
/// embedded CSMS and against an independent CSMS written on the PyPI `ocpp` package,
/// which validates every message against the official OCPP 1.6 JSON schemas.
@Suite("Fleet runs against real CSMS peers", .timeLimit(.minutes(3)))
struct FleetInteropTests {
    static let chargePoints = 20
    static let runSeconds = 20

    /// Short sessions so that every connector completes some within the run.
    static let spec = """
        run:
          duration: 20s
          seed: 7
          rampUp: 2s
          callTimeout: 10s
          stopTimeout: 10s
        groups:
          - name: interop
            count: 20
            idPattern: "INTEROP-{index:03}"
            connectors: 2
            behaviour: brisk
            config:
              MeterValueSampleInterval: 2
              MeterValuesSampledData: "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
        behaviours:
          brisk:
            idleBetweenSessions: {uniform: [1s, 4s]}
            plugToAuthorize: {uniform: [500ms, 1s]}
            chargeDuration: {uniform: [4s, 8s]}
            unplugDelay: {uniform: [500ms, 1s]}
            powerKW: {uniform: [7, 22]}
        """

    func runFleet(against url: String) async throws -> FleetOutcome {
        try await IntegrationTests.runFleet(spec: Self.spec, file: "interop.yaml", seconds: Self.runSeconds, against: url).0
    }

    /// What every run must show, whatever the CSMS.
    func expectHealthy(_ outcome: FleetOutcome) {
        let telemetry = outcome.telemetry
        #expect(outcome.peakConnected == Self.chargePoints)
        #expect(telemetry.bootAccepted == Self.chargePoints)
        #expect(telemetry.transactionsStarted >= Self.chargePoints, "every charge point should complete sessions")
        #expect(telemetry.transactionsStarted == telemetry.transactionsStopped)
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
        for (action, stats) in telemetry.actions {
            #expect(stats.callErrors == 0, "\(action) got CALLERRORs: \(stats.callErrorsByCode)")
            #expect(stats.timeouts == 0, "\(action) timed out")
            #expect(stats.sent == stats.completed, "\(action): every CALL answered")
        }
        for action in ["BootNotification", "StatusNotification", "Authorize", "StartTransaction", "MeterValues",
                       "StopTransaction"] {
            #expect((telemetry.actions[action]?.completed ?? 0) > 0, "no \(action) completed")
        }
    }

    @Test("20 charge points against the embedded CSMS: all boot, sessions run, no transaction left open")
    func embeddedCSMS() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = CentralSystemConfiguration()
        configuration.heartbeatInterval = 5
        let server = CentralSystemServer(configuration: configuration, group: group, logger: Logger(label: "csms"))
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let outcome = try await runFleet(against: "ws://127.0.0.1:\(port)/steve/websocket/CentralSystemService")
        let stats = server.stats
        try await server.shutdown()
        try await group.shutdownGracefully()

        expectHealthy(outcome)
        #expect((outcome.telemetry.actions["Heartbeat"]?.completed ?? 0) > 0)
        #expect(stats.openTransactions == 0, "open on the CSMS: \(stats.openTransactionIds)")
        #expect(stats.transactionsStarted == outcome.telemetry.transactionsStarted)
        #expect(stats.violations.total == 0)
        #expect(stats.callErrorsSent.isEmpty, "the CSMS rejected messages: \(stats.callErrorsSent)")
    }

    @Test("20 charge points against the Python ocpp CSMS: zero schema violations, no transaction left open")
    func pythonCSMS() async throws {
        let python: String
        switch PeerPython.locate() {
        case .found(let found):
            python = found
        case .missing(let note, let isFailure):
            if isFailure { Issue.record("Python CSMS interop: \(note)") } else { PeerPython.announceSkip("Python CSMS interop", note) }
            return
        }
        let peer = try PythonCSMS.start(python: python, arguments: ["--exercise", "--heartbeat-interval", "5"])
        let outcome: FleetOutcome
        do {
            outcome = try await runFleet(against: "ws://127.0.0.1:\(peer.port)/ocpp")
        } catch {
            _ = try? peer.stop()
            throw error
        }
        let summary = try peer.stop()

        expectHealthy(outcome)
        #expect(summary["violationCount"] as? Int == 0, "violations: \(summary["violations"] ?? "?")")
        #expect(summary["bootAccepted"] as? Int == Self.chargePoints)
        let transactions = summary["transactions"] as? [String: Any]
        #expect((transactions?["open"] as? [Any])?.isEmpty == true, "open on the CSMS: \(transactions?["open"] ?? "?")")
        #expect(transactions?["started"] as? Int == outcome.telemetry.transactionsStarted)
        #expect(summary["callErrorCount"] as? Int == 0, "our CALLERRORs: \(summary["callErrorsFromChargePoints"] ?? "?")")
        #expect(summary["exerciseMismatchCount"] as? Int == 0, "mismatches: \(summary["exerciseMismatches"] ?? "?")")
        #expect(((summary["exercised"] as? [String: Any])?.count ?? 0) > 0, "the peer exercised CSMS-initiated calls")
        #expect((outcome.telemetry.incoming["GetConfiguration"]?.answered ?? 0) > 0)
    }
}

/// `Tests/peer/csms.py` as a child process on an ephemeral loopback port.
struct PythonCSMS {
    let process: Process
    let port: Int
    let summaryPath: String

    /// The 1.6 peer unless `script` names another (`Tests/peer/csms201.py` for OCPP 2.0.1).
    static func start(python: String, script: String = "Tests/peer/csms.py", arguments: [String]) throws -> PythonCSMS {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port").path
        let summary = directory.appendingPathComponent("summary.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PeerPython.path(script), "--host", "127.0.0.1", "--port", "0",
                             "--port-file", portFile, "--summary", summary, "--log-level", "warning"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return PythonCSMS(process: process, port: port, summaryPath: summary)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw PeerError(message: "the Python CSMS did not start (exit \(process.isRunning ? "running" : "\(process.terminationStatus)"))")
    }

    /// SIGTERM: the peer writes its summary and exits.
    func stop() throws -> [String: Any] {
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw PeerError(message: "the Python CSMS did not exit within 15 s of SIGTERM")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PeerError(message: "the peer's summary is not a JSON object")
        }
        return object
    }

    struct PeerError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
