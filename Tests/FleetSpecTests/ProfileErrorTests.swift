import Testing

@testable import FleetSpec

/// The smallest valid group, to build bad specs around (lines 1-3).
private let group = """
    groups:
      - count: 10
        idPattern: "CP-{index}"

    """

/// A behaviour `b` with one key on line 6.
private func behaviour(_ line: String) -> String { group + "behaviours:\n  b:\n    " + line + "\n" }

let badProfiles: [BadSpec] = [
    BadSpec("misspelt error code", behaviour("faults: {ratePerHour: 1, errorCode: GroundFailur}"),
        "bad.yaml:6:41: behaviours.b.faults.errorCode: unknown value 'GroundFailur'; did you mean 'GroundFailure'?"),
    BadSpec("NoError is no fault", behaviour("faults: {ratePerHour: 1, errorCode: {choice: [{value: NoError, weight: 1}]}}"),
        "bad.yaml:6:59: behaviours.b.faults.errorCode.choice[0].value: must be one of ConnectorLockFailure, EVCommunicationError, GroundFailure, HighTemperature, InternalError, LocalListConflict, OtherError, OverCurrentFailure, OverVoltage, PowerMeterFailure, PowerSwitchFailure, ReaderFailure, ResetFailure, UnderVoltage, WeakSignal, got 'NoError'"),
    BadSpec("faults without a rate", behaviour("faults: {errorCode: OtherError}"),
        "bad.yaml:6:13: behaviours.b.faults.ratePerHour: is required"),
    BadSpec("zero rate", behaviour("outages: {ratePerHour: 0}"),
        "bad.yaml:6:28: behaviours.b.outages.ratePerHour: must be > 0, got 0; leave the section out for none"),
    BadSpec("rate above one a second", behaviour("reboots: {ratePerHour: 5000}"),
        "bad.yaml:6:28: behaviours.b.reboots.ratePerHour: must be at most 3600 (one a second), got 5000"),
    BadSpec("choice weight of zero", behaviour("powerKW: {choice: [{value: 7, weight: 1}, {value: 22, weight: 0}]}"),
        "bad.yaml:6:67: behaviours.b.powerKW.choice[1].weight: must be > 0, got 0"),
    BadSpec("empty choice", behaviour("chargeDuration: {choice: []}"),
        "bad.yaml:6:30: behaviours.b.chargeDuration.choice: must be a list of {value: ..., weight: ...} options, got a list"),
    BadSpec("choice option without a value", behaviour("chargeDuration: {choice: [{weight: 2}]}"),
        "bad.yaml:6:31: behaviours.b.chargeDuration.choice[0].value: is required"),
    BadSpec("empirical table not starting at 0", behaviour("energyKWh: {empirical: [[5, 0.1], [50, 1]]}"),
        "bad.yaml:6:33: behaviours.b.energyKWh.empirical[0][1]: the first cumulative probability must be 0, got 0.1"),
    BadSpec("empirical table not ending at 1", behaviour("energyKWh: {empirical: [[5, 0], [50, 0.9]]}"),
        "bad.yaml:6:42: behaviours.b.energyKWh.empirical[1][1]: the last cumulative probability must be 1, got 0.9"),
    BadSpec("empirical values that decrease", behaviour("chargeDuration: {empirical: [[10m, 0], [5m, 0.5], [20m, 1]]}"),
        "bad.yaml:6:45: behaviours.b.chargeDuration.empirical[1][0]: values must not decrease, got 5m after a larger one"),
    BadSpec("empirical probabilities that decrease", behaviour("energyKWh: {empirical: [[1, 0], [2, 0.7], [3, 0.4], [4, 1]]}"),
        "bad.yaml:6:51: behaviours.b.energyKWh.empirical[2][1]: cumulative probabilities must not decrease, got 0.4 after 0.7"),
    BadSpec("empirical table of one point", behaviour("energyKWh: {empirical: [[1, 0]]}"),
        "bad.yaml:6:28: behaviours.b.energyKWh.empirical: must be a list of at least two [value, cumulativeProbability] points, got a list"),
    BadSpec("shares of sessions above 1", group + "behaviours:\n  b:\n    remoteStartShare: 0.7\n    unknownShare: 0.4\n",
        "bad.yaml:7:19: behaviours.b.unknownShare: the shares of sessions add up to more than 1: remoteStartShare 0.7 + unknownShare 0.4"),
    BadSpec("arrival and its older name together", group + "behaviours:\n  b:\n    arrival: 1m\n    idleBetweenSessions: 2m\n",
        "bad.yaml:7:5: behaviours.b.idleBetweenSessions: is the older name of arrival; give only one of them"),
    BadSpec("idTagPool with idTags", group + "behaviours:\n  b:\n    idTags: [A]\n    idTagPool: 5\n",
        "bad.yaml:7:5: behaviours.b.idTagPool: draws tags from idTagPattern, so it cannot be combined with idTags"),
    BadSpec("idTagPool that makes tags too long", group + "behaviours:\n  b:\n    idTagPattern: \"DRIVER-CARD-{index:06}\"\n    idTagPool: 10000000\n",
        "bad.yaml:7:16: behaviours.b.idTagPool: must be in 1...1000000, got 10000000"),
    BadSpec("pool tags past CiString20", group + "behaviours:\n  b:\n    idTagPattern: \"DRIVER-CARDS-X{index}\"\n    idTagPool: 1000000\n",
        "bad.yaml:6:19: behaviours.b.idTagPattern: idTags reach 21 characters ('DRIVER-CARDS-X1000000'); the most is 20"),
    BadSpec("state of charge above 100", behaviour("initialSoC: {uniform: [20, 120]}"),
        "bad.yaml:6:32: behaviours.b.initialSoC.uniform[1]: must be at most 100, got 120"),
    BadSpec("taper above 100", behaviour("powerCurve: {taperFromSoC: 150}"),
        "bad.yaml:6:32: behaviours.b.powerCurve.taperFromSoC: must be at most 100, got 150"),
    BadSpec("misspelt power curve key", behaviour("powerCurve: {rampp: 10s}"),
        "bad.yaml:6:18: behaviours.b.powerCurve.rampp: unknown key; did you mean 'ramp'?"),
    BadSpec("messageId past CiString50", behaviour("dataTransfer: {ratePerHour: 1, messageId: \(String(repeating: "m", count: 51))}"),
        "bad.yaml:6:47: behaviours.b.dataTransfer.messageId: must be at most 50 characters, got 51"),
    BadSpec("error in an inline behaviour", group + "    behaviour: {powerKW: 0, idTagPattern: \"{index}-ABCDEFGHIJKLMNOPQRST\"}\n",
        "bad.yaml:4:26: groups[0].behaviour.powerKW: must be > 0, got 0",
        "bad.yaml:4:43: groups[0].behaviour.idTagPattern: idTags reach 23 characters ('10-ABCDEFGHIJKLMNOPQRST'); the most is 20"),
    BadSpec("misspelt connector type", group + "    connectors: {type: Type3}\n",
        "bad.yaml:4:24: groups[0].connectors.type: unknown value 'Type3'; did you mean 'Type1'?"),
    BadSpec("plug and current that do not fit", group + "    connectors: {type: CCS2, current: AC}\n",
        "bad.yaml:4:39: groups[0].connectors.current: a CCS2 connector carries DC, got AC"),
    BadSpec("phases on a DC connector", group + "    connectors: {current: DC, phases: 3}\n",
        "bad.yaml:4:39: groups[0].connectors.phases: applies to AC connectors only"),
    BadSpec("two phases", group + "    connectors: {phases: 2}\n",
        "bad.yaml:4:26: groups[0].connectors.phases: must be 1 or 3, got 2"),
    BadSpec("connector rating of zero", group + "    connectors: [{maxPowerKW: 0}]\n",
        "bad.yaml:4:31: groups[0].connectors[0].maxPowerKW: must be > 0 and at most 1000, got 0"),
    BadSpec("more than 16 connectors in a list", group + "    connectors: [{count: 10}, {count: 7}]\n",
        "bad.yaml:4:17: groups[0].connectors: must add up to at most 16 connectors, got 17"),
    BadSpec("serial numbers past CiString25", group + "    serialPattern: \"SERIAL-NUMBER-LONG-{index:07}\"\n",
        "bad.yaml:4:20: groups[0].serialPattern: serial numbers reach 26 characters ('SERIAL-NUMBER-LONG-0000010'); the most is 25"),
    BadSpec("serial pattern with a space", group + "    serialPattern: \"SN {index}\"\n",
        "bad.yaml:4:20: groups[0].serialPattern: has ' ', which cannot be in a serial number; use printable ASCII without spaces"),
    BadSpec("negative initial meter", group + "    initialMeterWh: -5\n",
        "bad.yaml:4:21: groups[0].initialMeterWh: must be >= 0, got -5"),
    BadSpec("unreadable start offset", group + "    startOffset: later\n",
        "bad.yaml:4:18: groups[0].startOffset: must be a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds, got 'later'"),
    BadSpec("run.rampUp and ramp together", group + "run: {rampUp: 10s}\nramp: {linear: 10s}\n",
        "bad.yaml:5:1: ramp: give either run.rampUp or ramp, not both (run.rampUp: X is ramp: {linear: X})"),
    BadSpec("steps that start another number of charge points", group + "ramp:\n  steps: [{after: 0s, count: 4}, {after: 1m, count: 4}]\n",
        "bad.yaml:5:10: ramp.steps: the steps start 8 charge points, but the groups have 10"),
    BadSpec("steps out of time order", group + "ramp:\n  steps: [{after: 1m, count: 4}, {after: 0s, count: 6}]\n",
        "bad.yaml:5:42: ramp.steps[1].after: steps must be in time order, got 0s after 1m"),
    BadSpec("two ramps", group + "ramp: {linear: 10s, poisson: 5}\n",
        "bad.yaml:4:21: ramp: takes one ramp, got 'linear' and 'poisson'"),
    BadSpec("misspelt ramp", group + "ramp: {lineer: 10s}\n",
        "bad.yaml:4:8: ramp.lineer: unknown key; did you mean 'linear'?"),
    BadSpec("Poisson rate of zero", group + "ramp: {poisson: 0}\n",
        "bad.yaml:4:17: ramp.poisson: must be > 0 and at most 100000 charge points a second, got 0"),
]

@Suite("Errors in behaviour profiles, connectors and ramps")
struct ProfileErrorTests {
    @Test("A bad spec is rejected with exactly the expected errors", arguments: badProfiles)
    func rejects(_ spec: BadSpec) {
        #expect(errors(spec.yaml) == spec.expected)
    }

    @Test("Problems in every section are reported together, in file order")
    func everyProblemAtOnce() {
        let yaml = """
            groups:
              - count: 4
                idPattern: "CP-{index}"
                conectors: {type: CCS2}
                behaviour: b
                startOffset: soon
            ramp:
              steps: [{after: 0s, count: 3}]
            behaviours:
              b:
                arival: 5m
                energyKWh: {choice: [{value: 20, weigth: 1}]}
                powerCurve: {taperFromSoC: 101}
                faults: {ratePerHour: -1, errorCode: OverHeat}
                invalidShare: 2
            """
        #expect(errors(yaml) == [
            "bad.yaml:4:5: groups[0].conectors: unknown key; did you mean 'connectors'?",
            "bad.yaml:6:18: groups[0].startOffset: must be a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds, got 'soon'",
            "bad.yaml:8:10: ramp.steps: the steps start 3 charge points, but the groups have 4",
            "bad.yaml:11:5: behaviours.b.arival: unknown key; did you mean 'arrival'?",
            "bad.yaml:12:26: behaviours.b.energyKWh.choice[0].weight: is required",
            "bad.yaml:12:38: behaviours.b.energyKWh.choice[0].weigth: unknown key; did you mean 'weight'?",
            "bad.yaml:13:32: behaviours.b.powerCurve.taperFromSoC: must be at most 100, got 101",
            "bad.yaml:14:27: behaviours.b.faults.ratePerHour: must be > 0, got -1; leave the section out for none",
            "bad.yaml:14:42: behaviours.b.faults.errorCode: must be one of ConnectorLockFailure, EVCommunicationError, GroundFailure, HighTemperature, InternalError, LocalListConflict, OtherError, OverCurrentFailure, OverVoltage, PowerMeterFailure, PowerSwitchFailure, ReaderFailure, ResetFailure, UnderVoltage, WeakSignal, got 'OverHeat'",
            "bad.yaml:15:19: behaviours.b.invalidShare: must be between 0 and 1, got 2",
        ])
    }
}
