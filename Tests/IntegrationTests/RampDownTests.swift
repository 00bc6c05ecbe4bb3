import CentralSystem
import Fleet
import FleetSpec
import Foundation
import Logging
import NIOPosix
import Synchronization
import Testing

/// The end of a run spreads the transactions' stops over `run.rampDown` in charge point order
/// instead of stopping every one in the same millisecond (a storm no real fleet makes, whose
/// queueing landed in the run's StopTransaction latencies), and still confirms every one.
@Suite("Ramp-down of the end-of-run stops", .timeLimit(.minutes(2)))
struct RampDownTests {
    /// Sessions start at once and outlast the run, so every connector has a transaction open at
    /// the end.
    static func spec(rampDown: String) -> String {
        """
        run:
          duration: 4s
          seed: 3
          rampUp: 0s
          callTimeout: 10s
          stopTimeout: 8s
          \(rampDown)
        groups:
          - name: rd
            count: 10
            idPattern: "RD-{index:02}"
            connectors: 1
            behaviour: long
        behaviours:
          long:
            idleBetweenSessions: {uniform: [100ms, 200ms]}
            plugToAuthorize: {uniform: [100ms, 200ms]}
            chargeDuration: {uniform: [10m, 11m]}
            unplugDelay: {uniform: [1s, 2s]}
        """
    }

    /// One run against the embedded CSMS with every frame traced: the outcome and when each
    /// charge point sent its StopTransaction.req (seconds since the epoch, by charge point id).
    func run(rampDown: String) async throws -> (FleetOutcome, [String: Double]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampdown-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("trace.jsonl").path

        let csmsGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = CentralSystemServer(configuration: CentralSystemConfiguration(), group: csmsGroup,
                                         logger: Logger(label: "csms"))
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let fleet = try FleetSpec.parse(yaml: Self.spec(rampDown: rampDown), file: "rampdown.yaml")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var configuration = FleetConfiguration(spec: fleet, plans: fleet.chargePoints(),
                                               endpoint: try CSMSEndpoint(url: "ws://127.0.0.1:\(port)/ocpp"),
                                               seed: fleet.run.seed)
        let trace = try FrameTrace(pattern: "*", path: path)
        configuration.trace = trace
        let runner = FleetRunner(configuration: configuration, group: group, logger: Logger(label: "rampdown"))
        // Until every charge point has its transaction open (about a second; up to 30 s on a loaded machine).
        let started = Mutex(0)
        try await runner.start { sample in started.withLock { $0 += sample.fleet.transactionsStarted } }
        let patience = ContinuousClock.now + .seconds(30)
        while started.withLock({ $0 }) < 10, ContinuousClock.now < patience {
            try await Task.sleep(for: .milliseconds(200))
        }
        let outcome = await runner.finish()
        try await group.shutdownGracefully()
        _ = trace.close()
        try await server.shutdown()
        try await csmsGroup.shutdownGracefully()

        var stops: [String: Double] = [:]
        let formatter = ISO8601DateFormatter()
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  row["dir"] as? String == "out", let frame = row["frame"] as? String,
                  frame.contains("\"StopTransaction\""), let id = row["cp"] as? String,
                  let text = row["time"] as? String else { continue }
            // "2026-11-26T20:06:12.947338Z": whole seconds, then the fraction.
            let parts = text.dropLast().split(separator: ".")
            guard parts.count == 2, let whole = formatter.date(from: parts[0] + "Z"),
                  let fraction = Double("0." + parts[1]) else { continue }
            stops[id] = whole.timeIntervalSince1970 + fraction
        }
        return (outcome, stops)
    }

    @Test("rampDown 3s: the stops follow charge point order over about 3 s, all confirmed")
    func spread() async throws {
        let (outcome, stops) = try await run(rampDown: "rampDown: 3s")
        #expect(outcome.telemetry.transactionsStarted == 10)
        #expect(outcome.telemetry.transactionsStopped == 10)
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
        #expect(stops.count == 10, "StopTransaction sent by \(stops.keys.sorted())")
        // Charge point k of 10 is due 3 s × (k − 1) / 10 after the end: RD-01 at once, RD-10 at 2.7 s.
        if let first = stops["RD-01"], let last = stops["RD-10"] {
            #expect(last - first >= 1.5, "the stops were not spread: \(last - first) s from the first to the last")
        }
        if let fifth = stops["RD-05"], let first = stops["RD-01"], let last = stops["RD-10"] {
            #expect(first < fifth && fifth < last)
        }
    }

    @Test("rampDown 0s: every transaction stopped and confirmed without a spread")
    func atOnce() async throws {
        let (outcome, stops) = try await run(rampDown: "rampDown: 0s")
        #expect(outcome.telemetry.transactionsStopped == 10)
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
        #expect(stops.count == 10)
    }
}
