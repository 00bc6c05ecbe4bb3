import Foundation
import PeerSupport
import Testing
import Yams

@testable import FleetSpec

/// `schema/fleet-spec.schema.json` against the example fleets and against the Swift validator,
/// checked with the Python `jsonschema` package (Draft 7) from the project's .venv.
@Suite("The JSON Schema of the fleet spec")
struct SchemaTests {
    static let schema = PeerPython.path("schema/fleet-spec.schema.json")

    /// Specs both validators must refuse: one problem each, of the kinds a schema can see.
    static let invalid: [(name: String, yaml: String)] = {
        let group = "groups:\n  - count: 1\n    idPattern: \"CP-{index}\"\n"
        return [
            ("no groups", "run: {duration: 10s}\n"),
            ("misspelt top-level key", group + "behaviors: {}\n"),
            ("misspelt group key", "groups:\n  - count: 1\n    idPatern: \"CP-{index}\"\n"),
            ("zero count", "groups:\n  - count: 0\n    idPattern: \"CP-{index}\"\n"),
            ("id pattern without a placeholder", "groups:\n  - count: 1\n    idPattern: CP-1\n"),
            ("vendor past CiString20", group + "    vendor: ABCDEFGHIJKLMNOPQRSTU\n"),
            ("http CSMS", group + "csms: {url: \"http://localhost/ocpp\"}\n"),
            ("unreadable duration", group + "run: {duration: 10 minutes}\n"),
            ("zero run duration", group + "run: {duration: 0s}\n"),
            ("negative power", group + "behaviours:\n  b: {powerKW: -3}\n"),
            ("unknown distribution", group + "behaviours:\n  b: {chargeDuration: {gamma: 5}}\n"),
            ("two distributions", group + "behaviours:\n  b: {chargeDuration: {uniform: [1s, 2s], exponential: 3s}}\n"),
            ("uniform with one bound", group + "behaviours:\n  b: {unplugDelay: {uniform: [5s]}}\n"),
            ("choice weight of zero", group + "behaviours:\n  b: {powerKW: {choice: [{value: 7, weight: 0}]}}\n"),
            ("empirical probability above 1", group + "behaviours:\n  b: {energyKWh: {empirical: [[1, 0], [2, 1.5]]}}\n"),
            ("share above 1", group + "behaviours:\n  b: {invalidShare: 1.5}\n"),
            ("state of charge above 100", group + "behaviours:\n  b: {initialSoC: 120}\n"),
            ("NoError as a fault", group + "behaviours:\n  b: {faults: {ratePerHour: 1, errorCode: NoError}}\n"),
            ("fault rate of zero", group + "behaviours:\n  b: {faults: {ratePerHour: 0}}\n"),
            ("outages without a rate", group + "behaviours:\n  b: {outages: {duration: 10s}}\n"),
            ("idTags and idTagPattern", group + "behaviours:\n  b: {idTags: [A], idTagPattern: \"T-{index}\"}\n"),
            ("arrival and idleBetweenSessions", group + "behaviours:\n  b: {arrival: 1m, idleBetweenSessions: 2m}\n"),
            ("idTag with a space", group + "behaviours:\n  b: {idTags: [\"A B\"]}\n"),
            ("two phases", "groups:\n  - {count: 1, idPattern: \"CP-{index}\", connectors: {phases: 2}}\n"),
            ("CCS2 on AC", "groups:\n  - {count: 1, idPattern: \"CP-{index}\", connectors: {type: CCS2, current: AC}}\n"),
            ("phases on DC", "groups:\n  - {count: 1, idPattern: \"CP-{index}\", connectors: {current: DC, phases: 3}}\n"),
            ("17 connectors", "groups:\n  - {count: 1, idPattern: \"CP-{index}\", connectors: 17}\n"),
            ("two ramps", group + "ramp: {linear: 10s, poisson: 5}\n"),
            ("rampUp and ramp", group + "run: {rampUp: 10s}\nramp: {linear: 10s}\n"),
            ("ramp step without a count", group + "ramp: {steps: [{after: 0s}]}\n"),
            ("misspelt key in an inline behaviour", "groups:\n  - {count: 1, idPattern: \"CP-{index}\", behaviour: {powerKv: 5}}\n"),
        ]
    }()

    @Test("Every example fleet and the documented complete example validate against the schema")
    func examplesValidate() throws {
        let folder = fleetsFolder()
        var documents: [(String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".yaml") {
            documents.append((name, try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)))
        }
        let docs = try String(contentsOf: folder.deletingLastPathComponent().appendingPathComponent("docs/fleet-spec.md"),
                              encoding: .utf8)
        let start = try #require(docs.range(of: "```yaml\n"))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        documents.append(("docs/fleet-spec.md", String(docs[start.upperBound..<end.lowerBound])))
        guard let results = try validate(documents) else { return }
        for (name, _) in documents {
            #expect(results[name] == [], "\(name) breaks the schema: \(results[name] ?? ["no result"])")
        }
    }

    @Test("The schema and the Swift validator refuse the same invalid specs, and accept the same valid ones")
    func agreement() throws {
        let valid = [
            ("everything", profileSpec), ("minimal", "groups:\n  - {count: 1, idPattern: \"CP-{index}\"}\n"),
            ("inline behaviour", "groups:\n  - {count: 1, idPattern: \"CP-{index}\", behaviour: {powerKW: 50, reboots: {ratePerHour: 1}}}\n"),
        ]
        guard let results = try validate(Self.invalid + valid) else { return }
        for (name, yaml) in Self.invalid {
            #expect(errors(yaml) != ["parsed"], "the Swift validator accepts '\(name)'")
            #expect(results[name]?.isEmpty == false, "the schema accepts '\(name)'")
        }
        for (name, yaml) in valid {
            #expect(errors(yaml) == ["parsed"], "the Swift validator refuses '\(name)': \(errors(yaml))")
            #expect(results[name] == [], "the schema refuses '\(name)': \(results[name] ?? [])")
        }
    }

    @Test("The schema's duration pattern reads what parseDuration reads", arguments: [
        "90", "500ms", "40s", "15m", "8h", "1h30m", "1m30s", "1s500ms", "1h2m3s4ms", " 5s ",
        "10 minutes", "1.5s", "-3s", "5x", "30s1m", "5m5m", "", "ms",
    ])
    func durationPattern(text: String) throws {
        let pattern = try #require(try Self.durationPattern())
        let matches = text.range(of: pattern, options: .regularExpression) != nil
        #expect(matches == (parseDuration(text) != nil), "'\(text)'")
    }

    /// The string branch of the schema's `duration`.
    static func durationPattern() throws -> String? {
        let data = try Data(contentsOf: URL(fileURLWithPath: schema))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let definitions = json?["definitions"] as? [String: Any]
        let duration = definitions?["duration"] as? [String: Any]
        let branches = duration?["oneOf"] as? [[String: Any]]
        return branches?.compactMap { $0["pattern"] as? String }.first
    }

    /// Runs the Python validator over `documents` (name, YAML); nil (after a printed skip note)
    /// when no Python with `jsonschema` is at hand.
    func validate(_ documents: [(String, String)]) throws -> [String: [String]]? {
        let python: String
        switch PeerPython.locate() {
        case .found(let found):
            python = found
        case .missing(let note, let isFailure):
            PeerPython.announceSkip("schema validation", note)
            if isFailure { Issue.record("schema validation: \(note)") }
            return nil
        }
        var input: [String: String] = [:]
        for (name, yaml) in documents { input[name] = try Self.json(yaml: yaml) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let documentsFile = directory.appendingPathComponent("documents.json")
        try JSONSerialization.data(withJSONObject: input).write(to: documentsFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.checker, Self.schema, documentsFile.path]
        let output = Pipe()
        let errorOutput = Pipe()
        process.standardOutput = output
        process.standardError = errorOutput
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errorOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 3 {
            let note = "\(python) has no jsonschema package (pip install jsonschema, or run scripts/test)"
            PeerPython.announceSkip("schema validation", note)
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("schema validation: \(note)") }
            return nil
        }
        guard process.terminationStatus == 0,
              let results = try JSONSerialization.jsonObject(with: data) as? [String: [String]] else {
            Issue.record("the schema checker failed: \(String(decoding: problems, as: UTF8.self))")
            return [:]
        }
        return results
    }

    /// Reads a schema and a JSON object of name → document text; prints name → error messages.
    static let checker = """
        import json, sys
        try:
            import jsonschema
        except ImportError:
            sys.exit(3)
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft7Validator.check_schema(schema)
        validator = jsonschema.Draft7Validator(schema)
        documents = json.load(open(sys.argv[2]))
        results = {}
        for name, text in documents.items():
            errors = validator.iter_errors(json.loads(text))
            results[name] = sorted("/".join(map(str, e.absolute_path)) + ": " + e.message for e in errors)
        print(json.dumps(results))
        """

    /// The YAML document as JSON, its plain scalars typed by the YAML 1.2 core schema (as the YAML
    /// language server reads them): null, booleans, integers and floats; everything else a string.
    static func json(yaml: String) throws -> String {
        guard let node = try Yams.compose(yaml: yaml) else { return "null" }
        return json(node)
    }

    static func json(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else { return quoted(scalar.string) }
            return plainScalar(scalar.string)
        case .mapping(let mapping):
            return "{" + mapping.map { quoted($0.key.string ?? "") + ":" + json($0.value) }.joined(separator: ",") + "}"
        case .sequence(let sequence):
            return "[" + sequence.map(json).joined(separator: ",") + "]"
        case .alias:
            return "null"
        }
    }

    static func plainScalar(_ text: String) -> String {
        if ["", "~", "null", "Null", "NULL"].contains(text) { return "null" }
        if ["true", "True", "TRUE"].contains(text) { return "true" }
        if ["false", "False", "FALSE"].contains(text) { return "false" }
        if text.range(of: #"^[-+]?[0-9]+$"#, options: .regularExpression) != nil {
            let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
            if let value = Int64(digits) { return String(value) }
            if let value = UInt64(digits) { return String(value) }
        }
        if text.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
           let value = Double(text), value.isFinite {
            return "\(value)"
        }
        return quoted(text)
    }

    static func quoted(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}

/// A spec with every key of a behaviour, connectors of all forms and a stepped ramp.
let profileSpec = """
    run: {duration: 1m, seed: 18446744073709551615}
    ramp: {steps: [{after: 0s, count: 2}, {after: 10s, count: 3, over: 5s}]}
    groups:
      - {count: 2, idPattern: "A-{index}", serialPattern: "SN-{index}", connectors: {count: 2, type: Type1},
         initialMeterWh: {normal: {mean: 1000, stddev: 10}}, behaviour: b, config: {HeartbeatInterval: 60, LocalPreAuthorize: yes}}
      - {count: 3, idPattern: "B-{index}", startOffset: 1m30s, firmwareVersion: 1.0,
         connectors: [{type: CCS2, maxPowerKW: 150}, {type: GBT, current: DC}]}
    behaviours:
      b:
        arrival: {empirical: [[1m, 0], [5m, 0.5], [30m, 1]]}
        plugToAuthorize: 3
        chargeDuration: {lognormal: {median: 20m, sigma: 0.3}}
        unplugDelay: {choice: [{value: 10s, weight: 1}, {value: 1m, weight: 2}]}
        powerKW: {normal: {mean: 11, stddev: 2}}
        energyKWh: {exponential: 20}
        batteryKWh: {uniform: [40, 100]}
        initialSoC: {normal: {mean: 30, stddev: 150}}
        powerCurve: {ramp: 10s, taperFromSoC: 80, suspendShare: 0.5, suspendAfter: 1m, suspendDuration: 30s}
        idTagPattern: "T-{index}"
        idTagPool: 100
        remoteStartShare: 0.2
        invalidShare: 0.1
        unknownShare: 0.1
        faults: {ratePerHour: 0.5, errorCode: {choice: [{value: WeakSignal, weight: 1}]}, recovery: 1m}
        outages: {ratePerHour: 1.5, duration: 30s}
        reboots: {ratePerHour: 0.1}
        dataTransfer: {ratePerHour: 2, vendorId: ocpp-fleet, messageId: M, data: d}
      empty:
    """
