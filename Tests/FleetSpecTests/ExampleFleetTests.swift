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
        #expect(spec.thresholds.map(\.expression) == [
            "boot.accepted.ratio == 100%", "timeouts == 0", "errors.rate < 1%", "latency.p99 < 5s",
        ])
        let plans = spec.chargePoints()
        #expect(plans.count == 100)
        #expect(plans.allSatisfy { $0.connectors == 2 && $0.behaviour == "quick" && $0.vendor == "ocpp-fleet" })
        #expect(plans.first?.id == "SMOKE-001")
        #expect(plans.last?.id == "SMOKE-100")
        #expect(plans.first?.config == [
            ConfigOverride(key: "HeartbeatInterval", value: "30"),
            ConfigOverride(key: "MeterValueSampleInterval", value: "10"),
            ConfigOverride(key: "CpoName", value: "ocpp-fleet"),
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

    func load(_ name: String) throws -> FleetSpec {
        try FleetSpec.load(path: fleetsFolder().appendingPathComponent(name).path)
    }

    @Test("depot.yaml: 500 AC chargers in two groups, arriving in three waves for overnight sessions")
    func depot() throws {
        let spec = try load("depot.yaml")
        #expect(spec.csmsURL == nil)
        #expect(spec.run.duration == .seconds(900))
        #expect(spec.run.seed == 20_240_611)
        #expect(spec.totalCount == 500)
        #expect(spec.groups.map(\.name) == ["vans", "trucks"])
        #expect(spec.groups.allSatisfy { $0.connectorSpecs.allSatisfy { $0.current == .ac && $0.type == .type2 } })
        #expect(spec.groups[1].connectors == 2)
        #expect(spec.ramp == .steps([RampStep(after: .zero, count: 200, over: .seconds(60)),
                                     RampStep(after: .seconds(120), count: 200, over: .seconds(60)),
                                     RampStep(after: .seconds(240), count: 100, over: .seconds(60))]))
        let van = try #require(spec.behaviours["overnight-van"])
        #expect(van.chargeDuration == .normal(mean: 36_000, stddev: 3600))
        #expect(van.powerCurve.taperFromSoC == 85)
        #expect(van.idTags == .pattern("FLEET-{index:04}"))
        #expect(van.faults?.errorCode.options.map(\.value) == ["GroundFailure", "HighTemperature", "PowerMeterFailure"])
        let plans = spec.chargePoints()
        #expect(plans.first?.id == "DEPOT-VAN-001")
        #expect(plans.last?.id == "DEPOT-TRK-500")
        #expect(plans.first?.serialNumber == "DAC22-000001")
        // Overnight: sessions last hours, far beyond the run.
        #expect(van.chargeDuration.mean > 10 * Double(spec.run.duration.components.seconds))
    }

    @Test("highway.yaml: DC fast chargers, short high-power sessions, most of them remote starts")
    func highway() throws {
        let spec = try load("highway.yaml")
        #expect(spec.csmsURL == nil)
        #expect(spec.groups.allSatisfy { $0.connectorSpecs.allSatisfy { $0.current == .dc } })
        #expect(spec.groups[0].connectorSpecs[0].powerLimitW == 200_000)  // 500 A at 400 V caps the 300 kW rating
        #expect(spec.groups[1].connectorSpecs.map(\.type) == [.ccs2, .chademo])
        #expect(spec.groups[1].startOffset == .seconds(60))
        let trip = try #require(spec.behaviours["road-trip"])
        #expect(trip.remoteStartShare >= 0.5)
        #expect(trip.chargeDuration.mean < 40 * 60)
        #expect(trip.powerKW.mean > 100)
        #expect(trip.idTags == .pool(pattern: "EMSP-{index:05}", size: 20_000))
        #expect(trip.energyKWh.map { $0.mean > 20 && $0.mean < 40 } == true)
    }

    @Test("mixed-city.yaml: four groups of different vendors, each with its own behaviour")
    func mixedCity() throws {
        let spec = try load("mixed-city.yaml")
        #expect(Set(spec.groups.map(\.vendor)).count >= 3)
        #expect(Set(spec.groups.map(\.behaviour)) == ["resident", "commuter", "shopper", "taxi"])
        #expect(spec.groups.map(\.startOffset) == [.zero, .seconds(30), .seconds(60), .seconds(90)])
        #expect(spec.ramp == .poisson(perSecond: 5))
        #expect(spec.groups[2].connectorSpecs.map(\.current) == [.dc, .ac])
        #expect(spec.behaviours["taxi"]?.dataTransfer?.vendorId == "ocpp-fleet")
    }

    @Test("chaos.yaml: faults, outages, reboots, refused and unknown cards")
    func chaos() throws {
        let spec = try load("chaos.yaml")
        let chaos = try #require(spec.behaviours["everything-fails"])
        #expect(chaos.faults.map { $0.ratePerHour > 0 && $0.errorCode.options.count > 3 } == true)
        #expect(chaos.outages != nil && chaos.reboots != nil)
        #expect(chaos.invalidShare > 0 && chaos.unknownShare > 0)
        #expect(chaos.dataTransfer?.vendorId != "ocpp-fleet", "a vendor the embedded CSMS does not know")
        // Offline stretches are shorter than the stop timeout, so the end of the run still
        // delivers every transaction message.
        #expect(Double(spec.run.stopTimeout.components.seconds) > 2 * (chaos.outages?.duration.mean ?? 0))
    }

    static let examples = ["smoke.yaml", "depot.yaml", "highway.yaml", "mixed-city.yaml", "chaos.yaml"]

    @Test("Every file in fleets/ is valid, starts with a comment on what it models and how to run it, and targets the embedded CSMS")
    func everyFleet() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: fleetsFolder().path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(Self.examples).isSubset(of: files))
        for name in files {
            let text = try String(contentsOf: fleetsFolder().appendingPathComponent(name), encoding: .utf8)
            let header = text.prefix { $0 != "\n" }
            #expect(header.hasPrefix("# "), "\(name) starts with a comment")
            let comments = text.split(separator: "\n").prefix { $0.hasPrefix("#") }.joined(separator: "\n")
            #expect(comments.contains("ocpp-fleet run fleets/\(name)"), "\(name) says how to run it")
            let spec = try load(name)
            if Self.examples.contains(name) { #expect(spec.csmsURL == nil, "\(name) runs against the embedded CSMS") }
        }
    }

    @Test("A copy of an example with a misspelt key appended is rejected, naming the key and its line",
          arguments: examples)
    func misspeltKey(name: String) throws {
        let text = try String(contentsOf: fleetsFolder().appendingPathComponent(name), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let bad = text + (text.hasSuffix("\n") ? "" : "\n") + "rampp: {linear: 10s}\n"
        let line = lines.count + (text.hasSuffix("\n") ? 0 : 1)
        #expect(errors(bad, file: name) == ["\(name):\(line):1: rampp: unknown key; did you mean 'ramp'?"])
    }

    @Test("secure.yaml is profile 2 and profile 3 against the embedded CSMS, its password from the environment")
    func secure() throws {
        let path = fleetsFolder().appendingPathComponent("secure.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let spec = try FleetSpec.parse(yaml: text, file: path, environment: [:])
        #expect(spec.csmsURL == nil)
        #expect(spec.groups.map(\.security.profile) == [.tlsWithBasicAuth, .tlsWithClientCertificate])
        #expect(spec.groups[0].security.password?.reveal() == "lab-password-0123456789")
        #expect(spec.groups[1].security.password == nil)
        #expect(spec.groups.allSatisfy { $0.security.tls == TLSSettings() })
        #expect(text.hasPrefix("# "))
        #expect(text.contains("ocpp-fleet run fleets/secure.yaml --duration 20s --report DIR"))
        let fromEnvironment = try FleetSpec.parse(yaml: text, file: path, environment: ["OCPP_FLEET_PASSWORD": "another-lab-password"])
        #expect(fromEnvironment.groups[0].security.password?.reveal() == "another-lab-password")
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
        #expect(spec.sourceAddresses.addresses == (2...9).map { "127.0.0.\($0)" })
        #expect(spec.groups[0].config == [
            ConfigOverride(key: "MeterValueSampleInterval", value: "10"),
            ConfigOverride(key: "LocalAuthorizeOffline", value: "true"),
        ])
        #expect(spec.behaviours["commuter"]?.idTags == .list(["TAG-0001", "TAG-0002"]))
        #expect(spec.chargePoints().last?.id == "CP-00100")
        #expect(spec.run.maxFrameSize == 1 << 20)
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

    @Test("run.maxFrameSize reads bytes or a binary unit, default 1 MiB",
          arguments: [("65536", 65536), ("64KiB", 65536), ("4 MiB", 4 << 20), ("1024B", 1024), ("64MiB", 64 << 20)])
    func maxFrameSize(text: String, bytes: Int) throws {
        let spec = try FleetSpec.parse(yaml: "run:\n  maxFrameSize: \(text)\ngroups:\n  - count: 1\n    idPattern: CP-{index}\n",
                                       file: "frames.yaml")
        #expect(spec.run.maxFrameSize == bytes)
        #expect(RunSettings().maxFrameSize == 1 << 20)
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
        let yaml = "csms:\n  url: wss://csms.example:8443/ocpp/16/\n  password: lab-password-0123456789\n"
            + "groups:\n  - {count: 1, idPattern: \"CP-{index}\"}\n"
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
