import Foundation
import Testing

@testable import FleetSpec

/// The repository's `fleets/` folder, found from this file's path with symlinks resolved, so the
/// tests also work from a package that links this folder in.
func fleetsFolder() -> URL {
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // FleetSpecTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("fleets")
}

@Suite("The example fleets in fleets/")
struct ExampleFleetTests {
    @Test("smoke.yaml is 100 two-connector charge points for 60 s against the embedded CSMS")
    func smoke() throws {
        let spec = try FleetSpec.load(path: fleetsFolder().appendingPathComponent("smoke.yaml").path)
        #expect(spec.csmsURL == nil)
        #expect(spec.run == RunSettings(
            duration: .seconds(60), seed: 42, rampUp: .seconds(5), callTimeout: .seconds(30), stopTimeout: .seconds(10)))
        #expect(spec.groups.count == 1)
        #expect(spec.totalCount == 100)
        let plans = spec.chargePoints()
        #expect(plans.count == 100)
        #expect(plans.allSatisfy { $0.connectors == 2 && $0.behaviour == "quick" && $0.vendor == "ocpp-fleet" })
        #expect(plans.first?.id == "SMOKE-001")
        #expect(plans.last?.id == "SMOKE-100")
        #expect(plans.first?.config == [
            ConfigOverride(key: "HeartbeatInterval", value: "30"),
            ConfigOverride(key: "MeterValueSampleInterval", value: "10"),
        ])
        let quick = try #require(spec.behaviours["quick"])
        #expect(quick.idleBetweenSessions == .uniform(lower: 5, upper: 20))
        #expect(quick.chargeDuration == .uniform(lower: 15, upper: 30))
        #expect(quick.idTags == .pattern("SMOKE-TAG-{index:03}"))
        // A whole session averages well under the run, so several complete in 60 s.
        let session = [quick.idleBetweenSessions, quick.plugToAuthorize, quick.chargeDuration, quick.unplugDelay]
            .reduce(0) { $0 + $1.mean }
        #expect(session < 45)
    }

    @Test("depot.yaml has two groups, three behaviours and ids that run on across groups")
    func depot() throws {
        let spec = try FleetSpec.load(path: fleetsFolder().appendingPathComponent("depot.yaml").path)
        #expect(spec.csmsURL == "ws://127.0.0.1:9000/ocpp")
        #expect(spec.run.duration == .seconds(900))
        #expect(spec.run.seed == 20_240_611)
        #expect(spec.groups.map(\.name) == ["depot", "car-park"])
        #expect(spec.groups.map(\.count) == [40, 60])
        #expect(spec.groups[1].vendor == "ocpp-fleet")
        #expect(spec.groups[1].firmwareVersion == nil)
        #expect(spec.groups[0].config.last == ConfigOverride(key: "StopTransactionOnEVSideDisconnect", value: "true"))
        #expect(Set(spec.behaviours.keys) == ["fleet-overnight", "commuter", "visitor"])
        let overnight = try #require(spec.behaviours["fleet-overnight"])
        #expect(overnight.idleBetweenSessions == .lognormal(median: 240, sigma: 0.5))
        #expect(overnight.plugToAuthorize == .constant(2))
        #expect(overnight.chargeDuration == .normal(mean: 480, stddev: 120))
        #expect(overnight.idTags == .list(["FLEET-0001", "FLEET-0002", "FLEET-0003", "FLEET-0004"]))
        let commuter = try #require(spec.behaviours["commuter"])
        #expect(commuter.chargeDuration == .exponential(mean: 300))
        #expect(commuter.remoteStartShare == 0.2)
        let visitor = try #require(spec.behaviours["visitor"])
        #expect(visitor.powerKW == .constant(7.4))
        #expect(visitor.plugToAuthorize == BehaviourSpec.default.plugToAuthorize)
        let ids = spec.chargePoints().map(\.id)
        #expect(ids[0] == "DEPOT-0001")
        #expect(ids[39] == "DEPOT-0040")
        #expect(ids[40] == "PARK-041")
        #expect(ids[99] == "PARK-100")
    }
}

@Suite("The documentation")
struct DocumentationTests {
    @Test("The complete example in docs/fleet-spec.md parses")
    func completeExample() throws {
        let docs = fleetsFolder().deletingLastPathComponent().appendingPathComponent("docs/fleet-spec.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try #require(text.range(of: "```yaml\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let spec = try FleetSpec.parse(yaml: String(text[start.upperBound..<end.lowerBound]), file: "fleet-spec.md")
        #expect(spec.csmsURL == "ws://127.0.0.1:9000/ocpp")
        #expect(spec.groups[0].config == [
            ConfigOverride(key: "MeterValueSampleInterval", value: "10"),
            ConfigOverride(key: "LocalAuthorizeOffline", value: "true"),
        ])
        #expect(spec.behaviours["commuter"]?.idTags == .list(["TAG-0001", "TAG-0002"]))
        #expect(spec.chargePoints().last?.id == "CP-00100")
    }
}

@Suite("Defaults")
struct DefaultTests {
    @Test("A minimal spec gets every documented default")
    func minimal() throws {
        let spec = try FleetSpec.parse(yaml: "groups:\n  - count: 3\n    idPattern: CP-{index}\n", file: "min.yaml")
        #expect(spec.csmsURL == nil)
        #expect(spec.run == RunSettings(
            duration: .seconds(60), seed: 1, rampUp: .zero, callTimeout: .seconds(30), stopTimeout: .seconds(10)))
        #expect(spec.groups == [GroupSpec(
            name: "group-1", count: 3, idPattern: "CP-{index}", vendor: "ocpp-fleet", model: "ocpp-fleet-sim",
            firmwareVersion: nil, connectors: 1, behaviour: "default", config: [])])
        #expect(spec.behaviours == ["default": BehaviourSpec(
            arrival: .uniform(lower: 30, upper: 120), plugToAuthorize: .uniform(lower: 1, upper: 5),
            chargeDuration: .uniform(lower: 60, upper: 300), unplugDelay: .uniform(lower: 1, upper: 5),
            powerKW: .constant(11), idTags: .pattern("TAG-{index:05}"), remoteStartShare: 0)])
    }

    @Test("A behaviour fills its missing keys from the defaults")
    func partialBehaviour() throws {
        let yaml = """
            groups:
              - count: 1
                idPattern: CP-{index}
                behaviour: slow
            behaviours:
              slow:
                chargeDuration: 2h
                powerKW: {lognormal: {median: 7, sigma: 0.25}}
            """
        let spec = try FleetSpec.parse(yaml: yaml, file: "b.yaml")
        var expected = BehaviourSpec.default
        expected.chargeDuration = .constant(7200)
        expected.powerKW = .lognormal(median: 7, sigma: 0.25)
        #expect(spec.behaviours == ["slow": expected])
    }

    @Test("A spec's own behaviour named default replaces the built-in one")
    func ownDefault() throws {
        let yaml = "groups:\n  - {count: 1, idPattern: \"CP-{index}\"}\nbehaviours:\n  default: {powerKW: 50}\n"
        let spec = try FleetSpec.parse(yaml: yaml, file: "d.yaml")
        #expect(spec.behaviours["default"]?.powerKW == .constant(50))
    }

    @Test("The CSMS URL loses a trailing slash and keeps its path")
    func csmsURL() throws {
        let yaml = "csms:\n  url: wss://csms.example:8443/ocpp/16/\ngroups:\n  - {count: 1, idPattern: \"CP-{index}\"}\n"
        #expect(try FleetSpec.parse(yaml: yaml, file: "u.yaml").csmsURL == "wss://csms.example:8443/ocpp/16")
    }

    @Test("Config values keep their text, and YAML booleans become true or false")
    func configValues() throws {
        let yaml = """
            groups:
              - count: 1
                idPattern: CP-{index}
                config:
                  MeterValueSampleInterval: 10
                  LocalAuthorizeOffline: yes
                  AuthorizeRemoteTxRequests: "no"
                  MeterValuesSampledData: Energy.Active.Import.Register,Power.Active.Import
            """
        let spec = try FleetSpec.parse(yaml: yaml, file: "c.yaml")
        #expect(spec.groups[0].config == [
            ConfigOverride(key: "MeterValueSampleInterval", value: "10"),
            ConfigOverride(key: "LocalAuthorizeOffline", value: "true"),
            ConfigOverride(key: "AuthorizeRemoteTxRequests", value: "no"),
            ConfigOverride(key: "MeterValuesSampledData", value: "Energy.Active.Import.Register,Power.Active.Import"),
        ])
    }
}
