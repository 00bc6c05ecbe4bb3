import OCPP
import Testing

@testable import FleetSpec

@Suite("Fleet spec: the scenario section")
struct ScenarioSpecTests {
    static let groups = """
        groups:
          - count: 2
            idPattern: "CP-{index}"
        """

    static func parse(_ scenario: String, csms: String = "") throws -> FleetSpec {
        try FleetSpec.parse(yaml: csms + groups + "\n" + scenario, file: "s.yaml", environment: [:])
    }

    static func errors(_ scenario: String, csms: String = "") -> [String] {
        do throws(SpecErrors) {
            _ = try FleetSpec.parse(yaml: csms + groups + "\n" + scenario, file: "s.yaml", environment: [:])
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test("A full scenario reads into typed calls, payloads kept with their placeholders")
    func full() throws {
        let spec = try Self.parse("""
            scenario:
              remoteStart: {after: 10s, idTag: APP-7}
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
                      chargingSchedule:
                        chargingRateUnit: A
                        chargingSchedulePeriod: [{startPeriod: 0, limit: 16.5}]
                - send: TriggerMessage
                  when: {every: 2m}
                  share: 0.1
                  payload: {requestedMessage: MeterValues}
                - send: UpdateFirmware
                  when: {at: 1m}
                  share: 0.2
                  payload: {location: "https://fw.example/sim-2.0.bin", retrieveDate: "{now+30s}"}
                - send: RemoteStopTransaction
                  when: {every: 3m}
                  share: 0.05
                  payload: {transactionId: "{openTransaction}"}
            """)
        let scenario = try #require(spec.scenario)
        #expect(scenario.remoteStart == .init(after: .seconds(10), idTag: "APP-7"))
        // TriggerMessage of MeterValues is valid in both versions: it goes to charge points of both.
        #expect(scenario.calls.map(\.action) == [.v16(.setChargingProfile), .v16(.triggerMessage), .v201(.triggerMessage),
                                                 .v16(.updateFirmware), .v16(.remoteStopTransaction)])
        #expect(scenario.calls.map(\.when) == [.boot, .every(.seconds(120)), .every(.seconds(120)), .at(.seconds(60)),
                                               .every(.seconds(180))])
        #expect(scenario.calls.map(\.share) == [1, 0.1, 0.1, 0.2, 0.05])
        #expect(scenario.calls[0].payload["connectorId"] == .integer(0))
        #expect(scenario.calls[3].payload["retrieveDate"] == .string("{now+30s}"))
        #expect(scenario.calls[4].payload["transactionId"] == .string("{openTransaction}"))
        let json = scenario.jsonText(seed: 9, callTimeout: .seconds(30))
        #expect(json.contains(#""seed":"9""#))
        #expect(json.contains(#""send":"TriggerMessage","ocppVersion":"2.0.1","when":{"everyMs":120000}"#))
        #expect(json.contains(#""remoteStart":{"afterMs":10000,"idTag":"APP-7"}"#))
    }

    @Test("Errors point at the line and column, and name the broken constraint")
    func errors() {
        let found = Self.errors("""
            scenario:
              remoteStart: {after: soon}
              calls:
                - send: TrigerMessage
                  when: boot
                - send: Heartbeat
                  when: boot
                - send: TriggerMessage
                  when: {every: 0s}
                - send: Reset
                  when: boot
                  share: 2
                  payload: {type: Hard}
                - send: Reset
                  when: boot
                  payload: {type: Gentle}
                - send: UpdateFirmware
                  when: {at: 1m}
                  payload: {location: x, retrieveDate: "{now+1y}"}
                - send: ChangeAvailability
                  when: hourly
            """)
        #expect(found == [
            "s.yaml:5:24: scenario.remoteStart.after: \(SpecReader.durationHint), got 'soon'",
            "s.yaml:7:13: scenario.calls[0].send: unknown action 'TrigerMessage'; did you mean 'TriggerMessage'?",
            "s.yaml:9:13: scenario.calls[1].send: Heartbeat is sent by a charge point, not by a central system",
            "s.yaml:12:21: scenario.calls[2].when.every: must be > 0, got 0s",
            "s.yaml:15:14: scenario.calls[3].share: must be between 0 and 1, got 2.0",
            "s.yaml:19:16: scenario.calls[4].payload: is not a valid Reset request of any OCPP version: 1.6: PropertyConstraintViolation: 'type' has no value 'Gentle'; 2.0.1: PropertyConstraintViolation: 'type' has no value 'Gentle'",
            "s.yaml:22:44: scenario.calls[5].payload.retrieveDate: unknown placeholder '{now+1y}'; use {now}, {now+30s}, {now-1h} or {openTransaction}",
            "s.yaml:24:13: scenario.calls[6].when: must be 'boot', {every: <duration>} or {at: <duration>}, got 'hourly'",
        ])
    }

    @Test("2.0.1 calls: picked by their action or by ocppVersion, and checked against that version's schema")
    func ocpp201() throws {
        let spec = try Self.parse("""
            scenario:
              calls:
                - send: RequestStopTransaction
                  when: {every: 5m}
                  payload: {transactionId: "{openTransaction}"}
                - send: GetVariables
                  when: boot
                  payload:
                    getVariableData:
                      - component: {name: OCPPCommCtrlr}
                        variable: {name: HeartbeatInterval}
                - send: Reset
                  ocppVersion: "2.0.1"
                  when: {at: 1m}
                  payload: {type: OnIdle}
                - send: TriggerMessage
                  ocppVersion: "1.6"
                  when: boot
                  payload: {requestedMessage: Heartbeat}
            """)
        let scenario = try #require(spec.scenario)
        #expect(scenario.calls.map(\.action) == [.v201(.requestStopTransaction), .v201(.getVariables), .v201(.reset),
                                                 .v16(.triggerMessage)])
        let found = Self.errors("""
            scenario:
              calls:
                - send: RequestStopTransaction
                  when: boot
                  payload: {transactionId: 7}
                - send: Reset
                  ocppVersion: "2.0.1"
                  when: boot
                  payload: {type: Soft}
                - send: RemoteStartTransaction
                  ocppVersion: "2.0.1"
                  when: boot
                - send: Reset
                  ocppVersion: "2.1"
                  when: boot
            """)
        #expect(found == [
            "s.yaml:8:16: scenario.calls[0].payload: is not a valid RequestStopTransaction request of OCPP 2.0.1: TypeConstraintViolation: 'transactionId' must be a string, got integer",
            "s.yaml:12:16: scenario.calls[1].payload: is not a valid Reset request of OCPP 2.0.1: PropertyConstraintViolation: 'type' has no value 'Soft'",
            "s.yaml:13:13: scenario.calls[2].send: unknown action 'RemoteStartTransaction'; did you mean 'RequestStartTransaction'?",
            "s.yaml:17:20: scenario.calls[3].ocppVersion: must be one of \"1.6\", \"2.0.1\", got '2.1'",
        ])
    }

    @Test("A scenario with an external CSMS is refused: only the embedded CSMS plays it")
    func externalCSMS() {
        let found = Self.errors("""
            scenario:
              remoteStart: {after: 10s}
            """, csms: "csms:\n  url: ws://csms.example/ocpp\n")
        #expect(found == ["s.yaml:7:3: scenario: is played by the embedded CSMS only; remove csms.url to use it (an external CSMS sends its own CALLs)"])
    }
}
