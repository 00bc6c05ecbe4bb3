import CentralSystem
import Fleet
import Foundation
import Logging
import NIOPosix
import Telemetry
import Testing

/// A fleet at time scale 60 against the embedded CSMS: a 30 s HeartbeatInterval falls due every
/// half second of wall-clock time, sessions and meter values follow simulated time, and the
/// report says how much simulated time the run covered.
@Suite("Time scale", .timeLimit(.minutes(2)))
struct TimeScaleTests {
    static let spec = """
        run:
          duration: 6s
          seed: 3
          timeScale: 60
          callTimeout: 10s
        groups:
          - name: fast
            count: 4
            idPattern: "FAST-{index:02}"
            connectors: 1
            behaviour: hourly
            config:
              HeartbeatInterval: 30
              MeterValueSampleInterval: 60
              WebSocketPingInterval: 60
        behaviours:
          hourly:
            arrival: {uniform: [2m, 4m]}
            plugToAuthorize: 30s
            chargeDuration: {uniform: [20m, 40m]}
            unplugDelay: 1m
            powerKW: 11
        """

    @Test("Six wall-clock seconds at time scale 60 are six simulated minutes of OCPP traffic")
    func scaledRun() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = CentralSystemConfiguration()
        configuration.heartbeatInterval = 30  // the boot answer's interval, in the charge points' simulated time
        let server = CentralSystemServer(configuration: configuration, group: group, logger: Logger(label: "csms"))
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let started = ContinuousClock.now
        let (outcome, _) = try await runFleet(spec: Self.spec, file: "timescale.yaml", seconds: 6,
                                              against: "ws://127.0.0.1:\(port)/ocpp")
        // The load phase is 6 s; on a loaded machine the start and the end take longer, and
        // timers keep firing meanwhile: the upper bounds below allow for the time it really took.
        let elapsed = (ContinuousClock.now - started).components
        let wallSeconds = Int(elapsed.seconds) + 1
        let stats = server.stats
        try await server.shutdown()
        try await group.shutdownGracefully()
        let telemetry = outcome.telemetry
        // 6 s × 60 = 360 simulated seconds: about 12 heartbeats of 30 s each per charge point
        // (fewer while a CALL of a session holds the slot), never one per wall-clock 30 s.
        let heartbeats = telemetry.actions["Heartbeat"]?.sent ?? 0
        #expect(heartbeats >= 4 * 6, "heartbeats: \(heartbeats)")
        #expect(heartbeats <= 4 * (wallSeconds * 60 / 30 + 1), "heartbeats: \(heartbeats) in \(wallSeconds) s")
        // Sessions of 20-40 simulated minutes started within the first simulated minutes.
        #expect(telemetry.transactionsStarted >= 4)
        #expect((telemetry.actions["MeterValues"]?.sent ?? 0) >= 4)
        #expect(outcome.openTransactions == 0)
        // WebSocketPingInterval 60 is a ping a wall-clock second per connection: about 5 each
        // in 6 s (the first a second after connecting), answered by the CSMS.
        let pings = stats.pingsReceived
        #expect(pings >= 4 * 4, "pings: \(pings)")
        #expect(pings <= 4 * (wallSeconds + 1), "pings: \(pings) in \(wallSeconds) s")
    }
}
