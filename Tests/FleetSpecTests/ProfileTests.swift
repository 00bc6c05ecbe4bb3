import Testing

@testable import FleetSpec

@Suite("Behaviour profiles, connectors and ramps as read from YAML")
struct ProfileTests {
    @Test("Every behaviour key is read into the model")
    func fullBehaviour() throws {
        let yaml = """
            groups:
              - {count: 10, idPattern: "CP-{index}", behaviour: b}
            behaviours:
              b:
                arrival: {exponential: 10m}
                energyKWh: {empirical: [[5, 0], [20, 0.5], [60, 1]]}
                batteryKWh: {choice: [{value: 40, weight: 1}, {value: 77, weight: 3}]}
                initialSoC: {uniform: [5, 40]}
                powerKW: 150
                powerCurve:
                  ramp: 30s
                  taperFromSoC: 80
                  suspendShare: 0.1
                  suspendAfter: 5m
                  suspendDuration: {uniform: [30s, 2m]}
                idTagPattern: "DRV-{index:04}"
                idTagPool: 500
                remoteStartShare: 0.3
                invalidShare: 0.05
                unknownShare: 0.05
                faults:
                  ratePerHour: 0.5
                  errorCode: {choice: [{value: GroundFailure, weight: 3}, {value: HighTemperature, weight: 1}]}
                  recovery: {uniform: [1m, 5m]}
                outages: {ratePerHour: 2, duration: {lognormal: {median: 30s, sigma: 0.5}}}
                reboots: {ratePerHour: 0.1}
                dataTransfer: {ratePerHour: 4, vendorId: ocpp-fleet, messageId: Telemetry, data: "{\\"t\\": 21}"}
            """
        let spec = try FleetSpec.parse(yaml: yaml, file: "b.yaml")
        let b = try #require(spec.behaviours["b"])
        #expect(b.arrival == .exponential(mean: 600))
        #expect(b.idleBetweenSessions == b.arrival)
        #expect(b.energyKWh == .empirical([
            CDFPoint(value: 5, probability: 0), CDFPoint(value: 20, probability: 0.5), CDFPoint(value: 60, probability: 1),
        ]))
        #expect(b.batteryKWh == .choice(WeightedChoice([.init(value: 40, weight: 1), .init(value: 77, weight: 3)])))
        #expect(b.initialSoC == .uniform(lower: 5, upper: 40))
        #expect(b.powerCurve == PowerCurve(ramp: .constant(30), taperFromSoC: 80, suspendShare: 0.1,
                                           suspendAfter: .constant(300), suspendDuration: .uniform(lower: 30, upper: 120)))
        #expect(b.idTags == .pool(pattern: "DRV-{index:04}", size: 500))
        #expect((b.remoteStartShare, b.invalidShare, b.unknownShare) == (0.3, 0.05, 0.05))
        #expect(b.faults == FaultProfile(
            ratePerHour: 0.5,
            errorCode: WeightedChoice([.init(value: "GroundFailure", weight: 3), .init(value: "HighTemperature", weight: 1)]),
            recovery: .uniform(lower: 60, upper: 300)))
        #expect(b.outages == OutageProfile(ratePerHour: 2, duration: .lognormal(median: 30, sigma: 0.5)))
        #expect(b.reboots == RebootProfile(ratePerHour: 0.1))
        #expect(b.dataTransfer == DataTransferProfile(ratePerHour: 4, vendorId: "ocpp-fleet", messageId: "Telemetry",
                                                      data: #"{"t": 21}"#))
    }

    @Test("A group may write its behaviour inline; it is kept under the group's path")
    func inlineBehaviour() throws {
        let yaml = """
            groups:
              - {count: 1, idPattern: "A-{index}", behaviour: {powerKW: 50, faults: {ratePerHour: 2}}}
              - {count: 1, idPattern: "B-{index}"}
            """
        let spec = try FleetSpec.parse(yaml: yaml, file: "i.yaml")
        #expect(spec.groups[0].behaviour == "groups[0].behaviour")
        #expect(spec.behaviours["groups[0].behaviour"]?.powerKW == .constant(50))
        #expect(spec.behaviours["groups[0].behaviour"]?.faults?.ratePerHour == 2)
        #expect(spec.chargePoints()[0].behaviour == "groups[0].behaviour")
        #expect(Set(spec.behaviours.keys) == ["groups[0].behaviour", "default"])
    }

    @Test("idleBetweenSessions still works, as the older name of arrival")
    func idleAlias() throws {
        let yaml = "groups:\n  - {count: 1, idPattern: \"CP-{index}\", behaviour: b}\nbehaviours:\n  b: {idleBetweenSessions: 45s}\n"
        #expect(try FleetSpec.parse(yaml: yaml, file: "a.yaml").behaviours["b"]?.arrival == .constant(45))
    }

    @Test("Section defaults: an error code of OtherError, recovery, outage durations and the DataTransfer vendor")
    func eventDefaults() throws {
        let yaml = """
            groups:
              - {count: 1, idPattern: "CP-{index}", behaviour: b}
            behaviours:
              b: {faults: {ratePerHour: 1}, outages: {ratePerHour: 1}, dataTransfer: {ratePerHour: 1}, idTagPool: 20}
            """
        let b = try #require(try FleetSpec.parse(yaml: yaml, file: "d.yaml").behaviours["b"])
        #expect(b.faults == FaultProfile(ratePerHour: 1, errorCode: WeightedChoice(always: "OtherError"),
                                         recovery: .uniform(lower: 60, upper: 600)))
        #expect(b.outages?.duration == .uniform(lower: 10, upper: 120))
        #expect(b.dataTransfer == DataTransferProfile(ratePerHour: 1, vendorId: "ocpp-fleet", messageId: nil, data: nil))
        #expect(b.idTags == .pool(pattern: "TAG-{index:05}", size: 20))
        #expect(b.energyKWh == nil)
        #expect(b.powerCurve == .flat)
    }

    @Test("Connectors: a count, one mapping for identical connectors, or a list", arguments: [
        ("2", [ConnectorSpec.standardAC, .standardAC]),
        ("{count: 2, type: CCS2, maxPowerKW: 150}",
         Array(repeating: ConnectorSpec(type: .ccs2, current: .dc, phases: nil, maxCurrentA: 375, maxPowerKW: 150), count: 2)),
        ("{type: Type1}", [ConnectorSpec(type: .type1, current: .ac, phases: 1, maxCurrentA: 32, maxPowerKW: 7.36)]),
        ("{current: AC, phases: 1, maxCurrentA: 16}",
         [ConnectorSpec(type: .type2, current: .ac, phases: 1, maxCurrentA: 16, maxPowerKW: 3.68)]),
        ("[{type: CCS2, maxPowerKW: 150}, {type: CHAdeMO, maxCurrentA: 125}, {count: 2, maxPowerKW: 11}]", [
            ConnectorSpec(type: .ccs2, current: .dc, phases: nil, maxCurrentA: 375, maxPowerKW: 150),
            ConnectorSpec(type: .chademo, current: .dc, phases: nil, maxCurrentA: 125, maxPowerKW: 50),
            ConnectorSpec(type: .type2, current: .ac, phases: 3, maxCurrentA: 11_000 / 690, maxPowerKW: 11),
            ConnectorSpec(type: .type2, current: .ac, phases: 3, maxCurrentA: 11_000 / 690, maxPowerKW: 11),
        ]),
        ("{type: GBT, current: DC}", [ConnectorSpec(type: .gbt, current: .dc, phases: nil, maxCurrentA: 125, maxPowerKW: 50)]),
    ])
    func connectors(yaml: String, expected: [ConnectorSpec]) throws {
        let spec = try FleetSpec.parse(yaml: "groups:\n  - {count: 1, idPattern: \"CP-{index}\", connectors: \(yaml)}\n",
                                       file: "c.yaml")
        let group = spec.groups[0]
        #expect(group.connectors == expected.count)
        #expect(group.connectorSpecs.count == expected.count)
        for (got, want) in zip(group.connectorSpecs, expected) {
            #expect(got.type == want.type && got.current == want.current && got.phases == want.phases)
            #expect(abs(got.maxCurrentA - want.maxCurrentA) < 1e-9 && abs(got.maxPowerKW - want.maxPowerKW) < 1e-9)
        }
        #expect(spec.chargePoints()[0].connectorSpecs.count == expected.count)
    }

    @Test("A connector's power limit is its kW rating, and no more than its current at the nominal voltage")
    func powerLimit() {
        #expect(ConnectorSpec.standardAC.powerLimitW == 22_080)
        #expect(ConnectorSpec.resolved(maxCurrentA: 16, maxPowerKW: 22).powerLimitW == 3 * 230 * 16)
        #expect(ConnectorSpec.resolved(type: .ccs2, maxCurrentA: 500, maxPowerKW: 150).powerLimitW == 150_000)
    }

    @Test("serialPattern, initialMeterWh and startOffset reach every charge point's plan")
    func groupExtras() throws {
        let yaml = """
            groups:
              - {count: 2, idPattern: "A-{index}", serialPattern: "SN-{index:06}", initialMeterWh: {uniform: [0, 1000000]}}
              - {count: 1, idPattern: "B-{index}", startOffset: 2m}
            """
        let plans = try FleetSpec.parse(yaml: yaml, file: "g.yaml").chargePoints()
        #expect(plans.map(\.serialNumber) == ["SN-000001", "SN-000002", "SIM-3"])
        #expect(plans[0].initialMeterWh == .uniform(lower: 0, upper: 1_000_000))
        #expect(plans[2].initialMeterWh == .constant(0))
        #expect(plans.map(\.startOffset) == [.zero, .zero, .seconds(120)])
    }

    @Test("ramp: linear, steps or poisson; run.rampUp is a linear ramp", arguments: [
        ("run: {rampUp: 30s}\n", RampSpec.linear(.seconds(30))),
        ("ramp: {linear: 1m}\n", .linear(.seconds(60))),
        ("ramp:\n  steps:\n    - {after: 0s, count: 4}\n    - {after: 30s, count: 6, over: 10s}\n",
         .steps([RampStep(after: .zero, count: 4), RampStep(after: .seconds(30), count: 6, over: .seconds(10))])),
        ("ramp: {poisson: 2.5}\n", .poisson(perSecond: 2.5)),
        ("", .linear(.zero)),
    ])
    func ramp(yaml: String, expected: RampSpec) throws {
        let spec = try FleetSpec.parse(yaml: "groups:\n  - {count: 10, idPattern: \"CP-{index}\"}\n" + yaml, file: "r.yaml")
        #expect(spec.ramp == expected)
    }
}

@Suite("Ramp schedules")
struct RampScheduleTests {
    @Test("A linear ramp spreads starts evenly, as run.rampUp always did")
    func linear() {
        #expect(RampSpec.linear(.seconds(10)).offsets(count: 4, seed: 1) == [.zero, .milliseconds(2500), .seconds(5), .milliseconds(7500)])
        #expect(RampSpec.linear(.seconds(10)).offsets(count: 1, seed: 1) == [.zero])
        #expect(RampSpec.linear(.zero).offsets(count: 3, seed: 1) == [.zero, .zero, .zero])
    }

    @Test("Steps start their batches at their times, spread over 'over'; counts scale to another fleet size")
    func steps() {
        let ramp = RampSpec.steps([RampStep(after: .zero, count: 2), RampStep(after: .seconds(30), count: 4, over: .seconds(8))])
        #expect(ramp.offsets(count: 6, seed: 1) == [.zero, .zero, .seconds(30), .seconds(32), .seconds(34), .seconds(36)])
        // --charge-points 3: the steps' 2:4 becomes 1:2.
        #expect(ramp.offsets(count: 3, seed: 1) == [.zero, .seconds(30), .seconds(34)])
    }

    @Test("A Poisson ramp is the same for a seed, differs between seeds, and runs at its rate")
    func poisson() {
        let ramp = RampSpec.poisson(perSecond: 20)
        let first = ramp.offsets(count: 20_000, seed: 7)
        #expect(first == ramp.offsets(count: 20_000, seed: 7))
        #expect(first != ramp.offsets(count: 20_000, seed: 8))
        #expect(zip(first, first.dropFirst()).allSatisfy { $0 <= $1 })
        // 20,000 starts at 20 per second take about 1000 s (the standard deviation is about 7 s).
        let last = Double(first[first.count - 1].components.seconds)
        #expect(abs(last - 1000) < 40)
    }
    @Test("A ramp's span is when its last charge point starts")
    func span() {
        #expect(RampSpec.linear(.seconds(10)).span(count: 4, seed: 1) == .milliseconds(7500))
        #expect(RampSpec.linear(.seconds(10)).span(count: 1, seed: 1) == .zero)
        #expect(RampSpec.linear(.seconds(5)).span(count: 50_000, seed: 1) == .microseconds(4_999_900))
        let steps = RampSpec.steps([RampStep(after: .zero, count: 2), RampStep(after: .seconds(30), count: 4, over: .seconds(8))])
        #expect(steps.span(count: 6, seed: 1) == .seconds(36))
        let poisson = RampSpec.poisson(perSecond: 20)
        #expect(poisson.span(count: 100, seed: 7) == poisson.offsets(count: 100, seed: 7).last)
    }

    @Test("run.rampDown: as given, else the ramp's span capped at half the stop timeout")
    func rampDown() throws {
        #expect(RunSettings.rampDown(nil, rampSpan: .seconds(5), stopTimeout: .seconds(10)) == .seconds(5))
        #expect(RunSettings.rampDown(nil, rampSpan: .seconds(60), stopTimeout: .seconds(10)) == .seconds(5))
        #expect(RunSettings.rampDown(nil, rampSpan: .seconds(5), stopTimeout: .zero) == .zero)
        #expect(RunSettings.rampDown(.seconds(8), rampSpan: .seconds(1), stopTimeout: .seconds(10)) == .seconds(8))
        #expect(RunSettings.rampDown(.zero, rampSpan: .seconds(5), stopTimeout: .seconds(10)) == .zero)
        let group = "groups:\n  - {count: 10, idPattern: \"CP-{index}\"}\n"
        #expect(try FleetSpec.parse(yaml: group + "run: {rampDown: 3s}\n", file: "r.yaml").run.rampDown == .seconds(3))
        #expect(try FleetSpec.parse(yaml: group, file: "r.yaml").run.rampDown == nil)
        #expect(try FleetSpec.parse(yaml: group + "run: {timerSlack: 50ms}\n", file: "r.yaml").run.timerSlack == .milliseconds(50))
        #expect(try FleetSpec.parse(yaml: group, file: "r.yaml").run.timerSlack == .milliseconds(20))
    }
}
