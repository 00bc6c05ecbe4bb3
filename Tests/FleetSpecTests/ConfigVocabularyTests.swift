import Foundation
import OCPP
import Testing

@testable import FleetSpec

/// A group's `config` read for its OCPP version: 1.6 keys for 1.6, device-model variables (and
/// the 1.6 keys that have a 2.0.1 counterpart) for 2.0.1; a key meaningless to the version is an
/// error at the key.
@Suite("Configuration overrides per OCPP version")
struct ConfigVocabularyTests {
    static func spec(version: String, _ config: String) -> String {
        """
        csms: {ocppVersion: "\(version)"}
        groups:
          - count: 1
            idPattern: "CP-{index}"
            config:
        \(config)
        """
    }

    @Test("A 2.0.1 group's 1.6 keys become the variables that replaced them; its own variables and a read-only one at its value stay")
    func v201Mapping() throws {
        let spec = try FleetSpec.parse(yaml: Self.spec(version: "2.0.1", """
                  HeartbeatInterval: 30
                  meterValueSampleInterval: 10
                  TransactionMessageAttempts: 5
                  CpoName: ocpp-fleet
                  OCPPCommCtrlr.WebSocketPingInterval: 20
                  TxCtrlr.TxStartPoint: Authorized
                  StopTransactionOnEVSideDisconnect: true
            """), file: "v.yaml")
        #expect(spec.groups[0].config == [
            ConfigOverride(key: "OCPPCommCtrlr.HeartbeatInterval", value: "30"),
            ConfigOverride(key: "SampledDataCtrlr.TxUpdatedInterval", value: "10"),
            ConfigOverride(key: "OCPPCommCtrlr.MessageAttempts[TransactionEvent]", value: "5"),
            ConfigOverride(key: "SecurityCtrlr.OrganizationName", value: "ocpp-fleet"),
            ConfigOverride(key: "OCPPCommCtrlr.WebSocketPingInterval", value: "20"),
            ConfigOverride(key: "TxCtrlr.TxStartPoint", value: "Authorized"),
            ConfigOverride(key: "TxCtrlr.StopTxOnEVSideDisconnect", value: "true"),
        ])
        #expect(spec.chargePoints()[0].config == spec.groups[0].config)
    }

    @Test("A 1.6 group keeps its keys, spelled as the key table spells them")
    func v16Keys() throws {
        let spec = try FleetSpec.parse(yaml: Self.spec(version: "1.6", """
                  heartbeatinterval: 30
                  WebSocketPingInterval: 20
            """), file: "v.yaml")
        #expect(spec.groups[0].config == [ConfigOverride(key: "HeartbeatInterval", value: "30"),
                                          ConfigOverride(key: "WebSocketPingInterval", value: "20")])
    }

    @Test("fleets/smoke.yaml read with --ocpp-version 2.0.1: every key a 2.0.1 variable")
    func smokeAsV201() throws {
        let path = fleetsFolder().appendingPathComponent("smoke.yaml").path
        let spec = try FleetSpec.load(path: path, ocppVersion: .v201)
        #expect(spec.groups.allSatisfy { $0.ocppVersion == .v201 })
        #expect(spec.groups[0].config.map(\.key) == ["OCPPCommCtrlr.HeartbeatInterval", "SampledDataCtrlr.TxUpdatedInterval",
                                                     "SecurityCtrlr.OrganizationName"])
        #expect(try FleetSpec.load(path: path).groups[0].config.map(\.key) == ["HeartbeatInterval", "MeterValueSampleInterval",
                                                                             "CpoName"])
    }

    @Test("A key meaningless to the group's version is an error at the key, with the file, line and field",
          arguments: [
            ("1.6", "OCPPCommCtrlr.HeartbeatInterval: 30",
             "v.yaml:6:7: groups[0].config.OCPPCommCtrlr.HeartbeatInterval: is an OCPP 2.0.1 device-model variable, but this group speaks OCPP 1.6 (its 1.6 key is HeartbeatInterval)"),
            ("1.6", "HeartbeatIntervall: 30",
             "v.yaml:6:7: groups[0].config.HeartbeatIntervall: is not an OCPP 1.6 configuration key this charge point has (OCPP 1.6 §9, security whitepaper)"),
            ("1.6", "NumberOfConnectors: 4",
             "v.yaml:6:7: groups[0].config.NumberOfConnectors: is read-only in OCPP 1.6: the charge point's own value, not a setting"),
            ("2.0.1", "BlinkRepeat: 3",
             "v.yaml:6:7: groups[0].config.BlinkRepeat: is an OCPP 1.6 key with no counterpart in this charge point's 2.0.1 device model; this group speaks OCPP 2.0.1"),
            ("2.0.1", "OCPPCommCtrlr.HeartbeatIntervall: 30",
             "v.yaml:6:7: groups[0].config.OCPPCommCtrlr.HeartbeatIntervall: is neither a variable of this charge point's 2.0.1 device model (Component.Variable or Component.Variable[Instance], e.g. OCPPCommCtrlr.HeartbeatInterval) nor a 1.6 key with a 2.0.1 counterpart"),
            ("2.0.1", "StopTransactionOnEVSideDisconnect: false",
             "v.yaml:6:7: groups[0].config.StopTransactionOnEVSideDisconnect: becomes TxCtrlr.StopTxOnEVSideDisconnect, which is read-only in this charge point's 2.0.1 device model (always true)"),
            ("2.0.1", "SecurityCtrlr.SecurityProfile: 2",
             "v.yaml:6:7: groups[0].config.SecurityCtrlr.SecurityProfile: is read-only in this charge point's 2.0.1 device model (always 0)"),
          ])
    func meaningless(version: String, line: String, expected: String) {
        #expect(Self.errors(Self.spec(version: version, "      " + line)) == [expected])
    }

    @Test("--ocpp-version 2.0.1 judges a 1.6 spec's keys as 2.0.1 and says the override made them so")
    func overrideJudges() {
        let yaml = Self.spec(version: "1.6", "      HeartbeatInterval: 30\n      BlinkRepeat: 3")
        #expect(Self.errors(yaml) == [])
        #expect(Self.errors(yaml, ocppVersion: .v201) == [
            "v.yaml:7:7: groups[0].config.BlinkRepeat: is an OCPP 1.6 key with no counterpart in this charge point's 2.0.1 device model; this group speaks OCPP 2.0.1 (--ocpp-version 2.0.1)",
        ])
    }

    static func errors(_ yaml: String, ocppVersion: OCPPVersion? = nil) -> [String] {
        do {
            _ = try FleetSpec.parse(yaml: yaml, file: "v.yaml", ocppVersion: ocppVersion)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }
}
