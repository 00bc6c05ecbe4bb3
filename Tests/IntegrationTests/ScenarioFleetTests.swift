import CentralSystem
import Fleet
import FleetSpec
import Logging
import NIOPosix
import OCPP
import Telemetry
import Testing

/// A short fleet against the embedded CSMS playing a scenario: both directions over real
/// sockets, and the fleet's `incoming` counts agree with what the CSMS says it sent.
@Suite("Fleet run with an embedded-CSMS scenario", .timeLimit(.minutes(2)))
struct ScenarioFleetTests {
    static let spec = """
        run:
          duration: 12s
          seed: 11
          rampUp: 1s
          callTimeout: 10s
          stopTimeout: 10s
        groups:
          - name: scenario
            count: 10
            idPattern: "SCN-{index:02}"
            connectors: 2
            behaviour: app
        behaviours:
          app:
            idleBetweenSessions: {uniform: [500ms, 2s]}
            plugToAuthorize: {uniform: [500ms, 1s]}
            chargeDuration: {uniform: [3s, 5s]}
            unplugDelay: {uniform: [500ms, 1s]}
            remoteStartShare: 0.5
        scenario:
          remoteStart: {after: 2s}
          calls:
            - send: SetChargingProfile
              when: boot
              payload:
                connectorId: 0
                csChargingProfiles:
                  chargingProfileId: 1
                  stackLevel: 0
                  chargingProfilePurpose: TxDefaultProfile
                  chargingProfileKind: Relative
                  chargingSchedule: {chargingRateUnit: A, chargingSchedulePeriod: [{startPeriod: 0, limit: 16}]}
            - send: TriggerMessage
              when: {every: 3s}
              payload: {requestedMessage: Heartbeat}
        """

    @Test("SetChargingProfile at boot, TriggerMessage periodically, RemoteStart for app sessions; counts agree")
    func scenarioRun() async throws {
        let fleet = try FleetSpec.parse(yaml: Self.spec, file: "scenario.yaml")
        let scenarioSpec = try #require(fleet.scenario)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = CentralSystemConfiguration()
        configuration.heartbeatInterval = 30
        // The same JSON that `run` hands to `serve --scenario`.
        configuration.scenario = try CentralSystemScenario(
            jsonText: scenarioSpec.jsonText(seed: fleet.run.seed, callTimeout: .seconds(10)))
        let server = CentralSystemServer(configuration: configuration, group: group, logger: Logger(label: "csms"))
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let (outcome, _) = try await runFleet(spec: Self.spec, file: "scenario.yaml", seconds: 12,
                                              against: "ws://127.0.0.1:\(port)/ocpp")
        let stats = server.stats
        try await server.shutdown()
        try await group.shutdownGracefully()

        let incoming = outcome.telemetry.incoming
        #expect(stats.callsSent[.v16(.setChargingProfile)]?.results["Accepted"] == 10, "\(stats.callsSent)")
        #expect((stats.callsSent[.v16(.triggerMessage)]?.sent ?? 0) >= 20)
        #expect((stats.callsSent[.v16(.remoteStartTransaction)]?.results["Accepted"] ?? 0) > 0, "\(stats.callsSent)")
        for (action, sent) in stats.callsSent {
            let received = incoming[action.name]
            #expect(sent.timeouts == 0 && sent.invalidResults == 0 && sent.callErrors.isEmpty, "\(action): \(sent)")
            // At most one CALL per connection can be on the wire when the run ends.
            #expect(sent.answered <= received?.answered ?? 0, "\(action): \(sent) vs \(String(describing: received))")
            #expect((received?.received ?? 0) <= sent.sent)
            #expect(sent.sent - sent.answered <= 10, "\(action): \(sent)")
        }
        #expect(outcome.openTransactions == 0)
        #expect(stats.violations.total == 0)
        #expect(stats.callErrorsSent.isEmpty, "\(stats.callErrorsSent)")
    }
}
