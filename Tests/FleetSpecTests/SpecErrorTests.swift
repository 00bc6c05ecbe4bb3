import Testing

@testable import FleetSpec
import Telemetry

/// A spec that must fail, and every error it must produce, as printed.
struct BadSpec: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let expected: [String]

    var testDescription: String { name }

    init(_ name: String, _ yaml: String, _ expected: String...) {
        self.name = name
        self.yaml = yaml
        self.expected = expected
    }
}

/// The smallest valid group, to build bad specs around.
private let group = """
    groups:
      - count: 1
        idPattern: "CP-{index}"

    """

let badSpecs: [BadSpec] = [
    BadSpec("YAML syntax error", """
        groups:
          - count: 1
            idPattern: [oops
        """,
        "bad.yaml:4:1: (yaml): did not find expected ',' or ']' (while parsing a flow sequence at 3:16)"),
    BadSpec("duplicate key", """
        groups:
          - count: 1
            count: 2
            idPattern: "CP-{index}"
        """,
        "bad.yaml:2:5: (yaml): duplicate key 'count' in one mapping"),
    BadSpec("tab indentation", "groups:\n\t- count: 1\n",
        "bad.yaml:2:1: (yaml): tabs cannot indent YAML; use spaces"),
    BadSpec("control character", "groups:\n  - count: 1\n\u{0001}\n",
        "bad.yaml:3:1: (yaml): control characters are not allowed"),
    BadSpec("second YAML document", group + "---\nrun: {}\n",
        "bad.yaml:4:1: (yaml): a fleet spec is a single YAML document, but another one starts here"),
    BadSpec("empty document", "# nothing here\n",
        "bad.yaml:1:1: (root): the spec is empty; it needs at least a 'groups' list"),
    BadSpec("document is not a mapping", "- a\n- b\n",
        "bad.yaml:1:1: (root): must be a mapping, got a list"),
    BadSpec("unknown top-level key with a suggestion", "group:\n  - count: 1\n",
        "bad.yaml:1:1: group: unknown key; did you mean 'groups'?",
        "bad.yaml:1:1: groups: is required"),
    BadSpec("unknown key without a close match", group + "run:\n  pace: 3\n",
        "bad.yaml:5:3: run.pace: unknown key; expected one of: duration, seed, rampUp, callTimeout, stopTimeout, rampDown, reconnectInitial, reconnectMax, timeScale, maxFrameSize, timerSlack"),
    BadSpec("timer slack outside 1ms...1s", group + "run:\n  timerSlack: 2s\n",
        "bad.yaml:5:15: run.timerSlack: must be in 1ms...1s, got 2s"),
    BadSpec("timer slack of zero", group + "run:\n  timerSlack: 0s\n",
        "bad.yaml:5:15: run.timerSlack: must be in 1ms...1s, got 0s"),
    BadSpec("ramp-down longer than the stop timeout", group + "run:\n  stopTimeout: 10s\n  rampDown: 20s\n",
        "bad.yaml:6:13: run.rampDown: must be at most stopTimeout (10s): the stops' answers are awaited within it; got 20s"),
    BadSpec("max frame size below the range", group + "run:\n  maxFrameSize: 100\n",
        "bad.yaml:5:17: run.maxFrameSize: must be in 1 KiB...64 MiB, got '100'"),
    BadSpec("max frame size in an unknown unit", group + "run:\n  maxFrameSize: 1MB\n",
        "bad.yaml:5:17: run.maxFrameSize: must be a size like 65536, 64KiB or 1MiB (units B, KiB, MiB, GiB), got '1MB'"),
    BadSpec("group key with two letters swapped", """
        groups:
          - count: 1
            idPattern: "CP-{index}"
            modle: Wallbox-7
        """,
        "bad.yaml:4:5: groups[0].modle: unknown key; did you mean 'model'?"),
    BadSpec("a list or mapping where a number, duration or word goes names what the field takes", """
        groups:
          - count: {at: 1}
            idPattern: "CP-{index}"
            connectors: [{current: [AC]}]
        run:
          seed: [1, 2]
          rampUp: [5s]
          maxFrameSize: {size: 1MiB}
        """,
        "bad.yaml:2:12: groups[0].count: must be an integer, got a mapping",
        "bad.yaml:4:28: groups[0].connectors[0].current: must be one of AC, DC, got a list",
        "bad.yaml:6:9: run.seed: must be an integer in 0...18446744073709551615, got a list",
        "bad.yaml:7:11: run.rampUp: must be a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds, got a list",
        "bad.yaml:8:17: run.maxFrameSize: must be a size like 65536, 64KiB or 1MiB (units B, KiB, MiB, GiB), got a mapping"),
    BadSpec("key with the wrong case", group + "run:\n  rampup: 10s\n",
        "bad.yaml:5:3: run.rampup: unknown key; did you mean 'rampUp'?"),
    BadSpec("unreadable duration", group + "run:\n  duration: 10 minutes\n",
        "bad.yaml:5:13: run.duration: must be a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds, got '10 minutes'"),
    BadSpec("zero run duration", group + "run:\n  duration: 0s\n",
        "bad.yaml:5:13: run.duration: must be > 0, got 0s"),
    BadSpec("negative seed", group + "run:\n  seed: -1\n",
        "bad.yaml:5:9: run.seed: must be an integer in 0...18446744073709551615, got '-1'"),
    BadSpec("CSMS URL with an HTTP scheme", group + "csms:\n  url: http://localhost:9000/ocpp\n",
        "bad.yaml:5:8: csms.url: must use ws:// or wss://, got 'http://'"),
    BadSpec("CSMS URL without a host", group + "csms:\n  url: ws:///ocpp\n",
        "bad.yaml:5:8: csms.url: has no host; must be a URL like ws://127.0.0.1:9000/ocpp"),
    BadSpec("CSMS URL with a query", group + "csms:\n  url: ws://localhost/ocpp?x=1\n",
        "bad.yaml:5:8: csms.url: must not have a query or fragment: the charge point id is appended to the path"),
    BadSpec("group entries that are not mappings", "groups:\n  - 5\n  - [a]\n",
        "bad.yaml:2:5: groups[0]: must be a mapping, got '5'",
        "bad.yaml:3:5: groups[1]: must be a mapping, got a list"),
    BadSpec("YAML merge key", group + "behaviours:\n  b:\n    <<: {powerKW: 7}\n",
        "bad.yaml:6:5: behaviours.b.<<: merge keys are not supported; repeat the keys instead"),
    BadSpec("groups is not a list", "groups:\n  count: 3\n",
        "bad.yaml:2:3: groups: must be a list of groups, got a mapping"),
    BadSpec("empty group list", "groups: []\n",
        "bad.yaml:1:9: groups: must list at least one group"),
    BadSpec("missing count", "groups:\n  - idPattern: \"CP-{index}\"\n",
        "bad.yaml:2:5: groups[0].count: is required"),
    BadSpec("count with no value", "groups:\n  - count:\n    idPattern: \"CP-{index}\"\n",
        "bad.yaml:2:5: groups[0].count: is required but has no value"),
    BadSpec("zero count", "groups:\n  - count: 0\n    idPattern: \"CP-{index}\"\n",
        "bad.yaml:2:12: groups[0].count: must be in 1...1000000, got 0"),
    BadSpec("count that is not a number", "groups:\n  - count: many\n    idPattern: \"CP-{index}\"\n",
        "bad.yaml:2:12: groups[0].count: must be an integer, got 'many'"),
    BadSpec("too many connectors", group + "    connectors: 17\n",
        "bad.yaml:4:17: groups[0].connectors: must be in 1...16, got 17"),
    BadSpec("vendor longer than CiString20", group + "    vendor: ABCDEFGHIJKLMNOPQRSTU\n",
        "bad.yaml:4:13: groups[0].vendor: must be at most 20 characters, got 21"),
    BadSpec("id pattern without a placeholder", "groups:\n  - count: 2\n    idPattern: CP-1\n",
        "bad.yaml:3:16: groups[0].idPattern: must contain {index} or {index:0N}"),
    BadSpec("id pattern with an unknown placeholder", "groups:\n  - count: 2\n    idPattern: CP-{idx}\n",
        "bad.yaml:3:16: groups[0].idPattern: has unknown placeholder '{idx}'; use {index} or {index:0N}"),
    BadSpec("id pattern with a slash", "groups:\n  - count: 2\n    idPattern: site/{index}\n",
        "bad.yaml:3:16: groups[0].idPattern: has '/', which cannot be in a charge point id; use letters, digits and - _ . ~ :"),
    BadSpec("ids longer than 48 characters", "groups:\n  - count: 2\n    idPattern: \"\(String(repeating: "x", count: 40))-{index:08}\"\n",
        "bad.yaml:3:16: groups[0].idPattern: ids reach 49 characters ('\(String(repeating: "x", count: 40))-00000002'); the most is 48"),
    BadSpec("ids that collide across groups", """
        groups:
          - count: 2
            idPattern: "X{index}5"
          - count: 25
            idPattern: "X{index}"
        """,
        "bad.yaml:5:16: groups[1].idPattern: id 'X15' (index 15) is also the id of index 1 (groups[0])"),
    BadSpec("duplicate group names", """
        groups:
          - name: depot
            count: 1
            idPattern: "A-{index}"
          - name: depot
            count: 1
            idPattern: "B-{index}"
        """,
        "bad.yaml:5:11: groups[1].name: duplicate group name 'depot' (also groups[0])"),
    BadSpec("unknown behaviour with a suggestion", group + "    behaviour: comuter\nbehaviours:\n  commuter: {}\n",
        "bad.yaml:4:16: groups[0].behaviour: unknown behaviour 'comuter'; did you mean 'commuter'?"),
    BadSpec("behaviour named but none defined", group + "    behaviour: night\n",
        "bad.yaml:4:16: groups[0].behaviour: unknown behaviour 'night'; the spec defines no behaviours"),
    BadSpec("config value that is a mapping", group + "    config:\n      HeartbeatInterval: {seconds: 30}\n",
        "bad.yaml:5:26: groups[0].config.HeartbeatInterval: must be a string, number or boolean, got a mapping"),
    BadSpec("uniform bounds in the wrong order", group + "behaviours:\n  b:\n    chargeDuration: {uniform: [20s, 5s]}\n",
        "bad.yaml:6:31: behaviours.b.chargeDuration.uniform: low must not be above high, got [20s, 5s]"),
    BadSpec("uniform with one bound", group + "behaviours:\n  b:\n    unplugDelay: {uniform: [5s]}\n",
        "bad.yaml:6:28: behaviours.b.unplugDelay.uniform: must be a list of two values [low, high], got a list"),
    BadSpec("misspelt distribution", group + "behaviours:\n  b:\n    chargeDuration: {uniformm: [5s, 20s]}\n",
        "bad.yaml:6:22: behaviours.b.chargeDuration.uniformm: unknown key; did you mean 'uniform'?"),
    BadSpec("two distributions in one value", group + "behaviours:\n  b:\n    chargeDuration: {uniform: [5s, 20s], exponential: 9s}\n",
        "bad.yaml:6:42: behaviours.b.chargeDuration: takes one distribution, got 'uniform' and 'exponential'"),
    BadSpec("negative power", group + "behaviours:\n  b:\n    powerKW: -3\n",
        "bad.yaml:6:14: behaviours.b.powerKW: must be > 0, got -3"),
    BadSpec("normal without stddev", group + "behaviours:\n  b:\n    chargeDuration: {normal: {mean: 5m}}\n",
        "bad.yaml:6:30: behaviours.b.chargeDuration.normal.stddev: is required"),
    BadSpec("negative lognormal sigma", group + "behaviours:\n  b:\n    idleBetweenSessions: {lognormal: {median: 1m, sigma: -1}}\n",
        "bad.yaml:6:58: behaviours.b.idleBetweenSessions.lognormal.sigma: must be >= 0, got -1"),
    BadSpec("exponential with zero mean", group + "behaviours:\n  b:\n    chargeDuration: {exponential: 0s}\n",
        "bad.yaml:6:35: behaviours.b.chargeDuration.exponential: must be > 0, got 0s"),
    BadSpec("both idTags and idTagPattern", group + "behaviours:\n  b:\n    idTags: [A]\n    idTagPattern: \"T-{index}\"\n",
        "bad.yaml:7:5: behaviours.b.idTagPattern: give either idTags or idTagPattern, not both"),
    BadSpec("idTag longer than CiString20", group + "behaviours:\n  b:\n    idTags: [ABCDEFGHIJKLMNOPQRSTU]\n",
        "bad.yaml:6:14: behaviours.b.idTags[0]: must be at most 20 characters, got 21"),
    BadSpec("idTag pattern that outgrows CiString20", group + "behaviours:\n  b:\n    idTagPattern: \"ABCDEFGHIJKLMNOPQ-{index:04}\"\n",
        "bad.yaml:6:19: behaviours.b.idTagPattern: idTags reach 22 characters ('ABCDEFGHIJKLMNOPQ-0001'); the most is 20"),
    BadSpec("remote start share above 1", group + "behaviours:\n  b:\n    remoteStartShare: 1.5\n",
        "bad.yaml:6:23: behaviours.b.remoteStartShare: must be between 0 and 1, got 1.5"),
]

@Suite("Spec errors name file, line, column and field")
struct SpecErrorTests {
    @Test("A bad spec is rejected with exactly the expected errors", arguments: badSpecs)
    func rejects(_ spec: BadSpec) {
        #expect(errors(spec.yaml) == spec.expected)
    }

    @Test("Several errors are reported at once, in file order")
    func severalErrorsInFileOrder() {
        let yaml = """
            groups:
              - count: 0
                idPattern: "CP-{index}"
                behaviour: missing
              - count: 3
                idPattern: "CP/{index}"
                connectors: 99
            run:
              duration: soon
              seeed: 3
            behaviours:
              b:
                powerKW: {uniform: [0, 22]}
            """
        #expect(errors(yaml) == [
            "bad.yaml:2:12: groups[0].count: must be in 1...1000000, got 0",
            "bad.yaml:4:16: groups[0].behaviour: unknown behaviour 'missing'; defined: b",
            "bad.yaml:6:16: groups[1].idPattern: has '/', which cannot be in a charge point id; use letters, digits and - _ . ~ :",
            "bad.yaml:7:17: groups[1].connectors: must be in 1...16, got 99",
            "bad.yaml:9:13: run.duration: must be a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds, got 'soon'",
            "bad.yaml:10:3: run.seeed: unknown key; did you mean 'seed'?",
            "bad.yaml:13:25: behaviours.b.powerKW.uniform[0]: must be > 0, got 0",
        ])
    }

    @Test("SpecErrors prints one error per line")
    func specErrorsDescription() throws {
        let failure = try #require(throws: SpecErrors.self) {
            try FleetSpec.parse(yaml: "groups: []\nrun: {seed: x}\n", file: "f.yaml")
        }
        #expect(failure.description == """
            f.yaml:1:9: groups: must list at least one group
            f.yaml:2:13: run.seed: must be an integer in 0...18446744073709551615, got 'x'
            """)
        #expect(failure.errors.first == SpecError(
            file: "f.yaml", line: 1, column: 9, field: "groups", message: "must list at least one group"))
    }

    @Test("A missing file is reported with its path")
    func missingFile() {
        let path = "/nonexistent/fleet.yaml"
        #expect(throws: SpecErrors.self) { try FleetSpec.load(path: path) }
        do {
            _ = try FleetSpec.load(path: path)
        } catch {
            #expect(error.errors.map(\.description) == ["/nonexistent/fleet.yaml:1:1: (file): no such file"])
        }
    }

    @Test("A csms.url refused for its credentials is still an external CSMS: no errors as if the fleet ran the embedded one")
    func refusedURLIsNoEmbeddedCSMS() {
        let lines = errors("""
            csms:
              url: wss://fleet:SeCrEt-0123456789@127.0.0.1:9000/ocpp
              securityProfile: 2
              password: lab-password-0123456789
              tls: {caFile: /nonexistent/ca.pem}
            groups:
              - {count: 1, idPattern: "CP-{index}"}
            """)
        #expect(lines.first == "bad.yaml:2:8: csms.url: must not hold credentials (user:password@); set csms.password instead")
        #expect(!lines.contains { $0.contains("embedded CSMS") }, "\(lines)")
        #expect(!lines.contains { $0.contains("SeCrEt") }, "\(lines)")
    }

    @Test("Suggestions come only for near misses", arguments: [
        ("rampup", "rampUp"), ("idleBetweenSession", "idleBetweenSessions"), ("cout", "count"),
        // Two letters swapped are one slip of the fingers, not two edits.
        ("modle", "model"), ("conut", "count"), ("vendro", "vendor"), ("behavoiur", "behaviour"),
    ])
    func nearMiss(word: String, expected: String) {
        let candidates = SpecReader.groupKeys + SpecReader.runKeys + SpecReader.behaviourKeys
        #expect(closest(to: word, among: candidates) == expected)
    }

    @Test("No suggestion is made for a word far from every key")
    func noSuggestion() {
        #expect(closest(to: "colour", among: SpecReader.groupKeys) == nil)
    }
}

/// The printed errors for `yaml`, or `["parsed"]` when it is accepted.
func errors(_ yaml: String, file: String = "bad.yaml") -> [String] {
    do {
        _ = try FleetSpec.parse(yaml: yaml, file: file)
        return ["parsed"]
    } catch {
        return error.errors.map(\.description)
    }
}
