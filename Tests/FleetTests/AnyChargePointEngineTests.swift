import ChargePoint
@testable import Fleet
import FleetSpec
import OCPP
import Testing

@Suite("AnyChargePointEngine: the plan's OCPP version picks the engine")
struct AnyChargePointEngineTests {
    static func plan(_ version: OCPPVersion, config: [ConfigOverride] = []) -> ChargePointPlan {
        ChargePointPlan(index: 1, id: "CP-1", group: 0, vendor: "v", model: "m", firmwareVersion: nil,
                        connectors: 3, behaviour: "b", config: config, ocppVersion: version)
    }

    @Test("a 1.6 plan runs ChargePointV16 and offers ocpp1.6; its 1.6 keys apply")
    func v16() {
        let (engine, refused) = ChargePointSetup.engine(
            plan: Self.plan(.v16, config: [ConfigOverride(key: "HeartbeatInterval", value: "120"),
                                           ConfigOverride(key: "OCPPCommCtrlr.HeartbeatInterval", value: "120")]),
            settings: EngineSettings(), seed: 1)
        guard case .v16(let inner) = engine else { Issue.record("not a 1.6 engine"); return }
        #expect(inner.configuration.heartbeatInterval == 120)
        #expect(engine.subprotocol == "ocpp1.6")
        #expect(refused == ["OCPPCommCtrlr.HeartbeatInterval"])
    }

    @Test("a 2.0.1 plan runs ChargePointV201 with one EVSE per connector, offers ocpp2.0.1, takes Component.Variable names")
    func v201() {
        let (engine, refused) = ChargePointSetup.engine(
            plan: Self.plan(.v201, config: [ConfigOverride(key: "OCPPCommCtrlr.HeartbeatInterval", value: "120"),
                                            ConfigOverride(key: "HeartbeatInterval", value: "120")]),
            settings: EngineSettings(), seed: 1)
        guard case .v201(let inner) = engine else { Issue.record("not a 2.0.1 engine"); return }
        #expect(engine.subprotocol == "ocpp2.0.1")
        #expect(refused == ["HeartbeatInterval"])
        #expect(inner.identity.connectors == 3)
        #expect(inner.connectorStatus(evse: 3) == .available)
        #expect(inner.changedDeviceModelValues == 1)
    }

    @Test("inputs reach the engine in place: a 2.0.1 charge point boots with BootNotification on connect")
    func forwardsInputs() throws {
        var (engine, _) = ChargePointSetup.engine(plan: Self.plan(.v201), settings: EngineSettings(), seed: 1)
        var out: [EngineOutput] = []
        engine.connected(now: Timestamp(seconds: 1_790_000_000), into: &out)
        let sent = out.compactMap { output -> String? in
            if case .send(let bytes) = output { String(decoding: bytes, as: UTF8.self) } else { nil }
        }
        #expect(sent.count == 1 && sent[0].contains("\"BootNotification\""))
        #expect(engine.hasCallInFlight)
    }

    /// A 1.6 charge point must not pay for the 2.0.1 case: the enum is at most the 1.6 engine and a tag byte.
    @Test("the enum is no bigger inline than the 1.6 engine plus its tag")
    func layout() {
        let v16 = MemoryLayout<ChargePointV16>.size
        let v201 = MemoryLayout<ChargePointV201>.size
        let both = MemoryLayout<AnyChargePointEngine>.size
        print("MemoryLayout sizes: ChargePointV16 \(v16), ChargePointV201 \(v201), AnyChargePointEngine \(both)")
        #expect(both <= v16 + 1, "ChargePointV16 \(v16) B, ChargePointV201 \(v201) B, AnyChargePointEngine \(both) B")
    }
}
