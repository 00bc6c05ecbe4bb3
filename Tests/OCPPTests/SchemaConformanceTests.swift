import Foundation
import Testing
@testable import OCPP

/// One change to a valid payload, derived from a constraint in the official schema, and
/// the CALLERROR code it must produce (nil: the payload stays valid). `Subject` is the sample
/// it was made from (1.6's typed `Sample`, or a 2.0.1 sample read from JSON).
struct Mutation<Subject> {
    var sample: Subject
    var what: String
    var json: JSONValue
    var expected: CallError.Code?
}

/// Walks a 1.6 or 2.0.1 JSON schema beside a rich sample and derives, for every constraint, a
/// payload that breaks it and one that just meets it.
struct MutationBuilder<Subject> {
    let sample: Subject
    let base: JSONValue
    /// The whole schema, for `$ref: "#/definitions/…"` (the security extension's schemas use them).
    private let root: JSONValue
    private(set) var mutations: [Mutation<Subject>] = []
    /// Schema paths the rich sample does not reach; every path must be present.
    private(set) var uncovered: [String] = []

    init(sample: Subject, base: JSONValue, schema: JSONValue) {
        self.sample = sample
        self.base = base
        self.root = schema
        walk(schema, path: [])
    }

    private mutating func add(_ what: String, _ path: [PathComponent], _ json: JSONValue, _ expected: CallError.Code?) {
        mutations.append(Mutation(sample: sample, what: "\(path.text.isEmpty ? "payload" : path.text): \(what)", json: json, expected: expected))
    }

    private mutating func set(_ what: String, _ path: [PathComponent], _ value: JSONValue, _ expected: CallError.Code?) {
        add(what, path, base.setting(path, to: value), expected)
    }

    private static func wrongValue(for type: String) -> JSONValue {
        switch type {
        case "string": .integer(7)
        case "integer", "number", "boolean", "object", "array": .string("7")
        default: .null
        }
    }

    private mutating func walk(_ node: JSONValue, path: [PathComponent]) {
        if case .string(let reference)? = node["$ref"], reference.hasPrefix("#/definitions/"),
           let target = root["definitions"]?[String(reference.dropFirst("#/definitions/".count))] {
            walk(target, path: path)
            return
        }
        if node["type"] == nil, node["$ref"] == nil, node["enum"] == nil {
            return  // no constraint at all (2.0.1 DataTransfer's `data`: any JSON value)
        }
        guard case .string(let type)? = node["type"] else {
            uncovered.append("\(path.text): schema node without a type")
            return
        }
        if !path.isEmpty {
            guard base.value(at: path) != nil else {
                uncovered.append(path.text)
                return
            }
            set("wrong type", path, Self.wrongValue(for: type), .typeConstraintViolation)
        }
        switch type {
        case "object":
            // Only a closed object refuses members it does not name (2.0.1's customData is open).
            let closed = node["additionalProperties"] == .bool(false)
            add("unknown member", path, base.setting(path + [.key("unexpectedMember")], to: .integer(1)),
                closed ? .formationViolation : nil)
            if case .array(let required)? = node["required"] {
                for case .string(let key) in required {
                    add("required '\(key)' missing", path, base.removing(path + [.key(key)]), .occurenceConstraintViolation)
                }
            }
            if case .object(let properties)? = node["properties"] {
                for property in properties { walk(property.value, path: path + [.key(property.key)]) }
            }
        case "array":
            var minItems = 0
            if case .integer(let count)? = node["minItems"] { minItems = Int(count) }
            if minItems > 0 {
                set("fewer than \(minItems) items", path, .array([]), .occurenceConstraintViolation)
            } else {
                set("no items", path, .array([]), nil)
            }
            if case .integer(let maxItems)? = node["maxItems"], let first = base.value(at: path + [.index(0)]) {
                set("\(maxItems) items", path, .array(Array(repeating: first, count: Int(maxItems))), nil)
                set("more than \(maxItems) items", path, .array(Array(repeating: first, count: Int(maxItems) + 1)),
                    .occurenceConstraintViolation)
            }
            if let items = node["items"] { walk(items, path: path + [.index(0)]) }
        case "string":
            if case .integer(let maxLength)? = node["maxLength"] {
                set("\(maxLength) characters", path, .string(string(length: Int(maxLength))), nil)
                set("\(maxLength + 1) characters", path, .string(string(length: Int(maxLength) + 1)), .typeConstraintViolation)
            }
            if case .array(let values)? = node["enum"] {
                for case .string(let value) in values { set("'\(value)'", path, .string(value), nil) }
                set("value outside the enum", path, .string("NotAnEnumValue"), .propertyConstraintViolation)
            }
            if case .string("date-time")? = node["format"] {
                set("not a date-time", path, .string("2026-11-31T00:00:00Z"), .propertyConstraintViolation)
                set("date-time with offset", path, .string("2026-11-26T03:31:39.5+02:00"), nil)
            }
        case "integer", "number":
            if let minimum = node["minimum"].flatMap(\.numberValue) {
                set("minimum \(minimum)", path, .number(minimum), nil)
                set("below the minimum", path, .number(minimum - 1), .propertyConstraintViolation)
            }
            if let maximum = node["maximum"].flatMap(\.numberValue) {
                set("maximum \(maximum)", path, .number(maximum), nil)
                set("above the maximum", path, .number(maximum + 1), .propertyConstraintViolation)
            }
            if node["multipleOf"] != nil {
                set("not a multiple of 0.1", path, .number(16.35), .propertyConstraintViolation)
                set("a multiple of 0.1", path, .number(16.3), nil)
            }
        default:
            break
        }
    }
}

@Suite("Schema conformance with the ocpp package (Python peer)")
struct SchemaConformanceTests {
    /// How `PayloadReader` maps each jsonschema validator to a CALLERROR code.
    static let codeForValidator: [String: CallError.Code] = [
        "additionalProperties": .formationViolation,
        "required": .occurenceConstraintViolation,
        "minItems": .occurenceConstraintViolation,
        "type": .typeConstraintViolation,
        "maxLength": .typeConstraintViolation,
        "enum": .propertyConstraintViolation,
        "format": .propertyConstraintViolation,
        "multipleOf": .propertyConstraintViolation,
        "minimum": .propertyConstraintViolation,
        "maximum": .propertyConstraintViolation,
        "maxItems": .occurenceConstraintViolation,
    ]

    @Test("Every sample payload validates against the official 1.6 schema")
    func samplesValidate() throws {
        guard let peer = PythonPeer.find(for: "samples validate") else { return }
        let samples = Samples.all
        let result = try peer.validate(lines: samples.map(\.peerLine))
        for failure in result.failures {
            let name = samples.indices.contains(failure.line - 1) ? samples[failure.line - 1].name : "line \(failure.line)"
            Issue.record("\(name) fails the schema: \(failure.text)")
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("\(samples.count) payload(s), 0 failed"), "\(result.stderr)")
    }

    @Test("Decoding and the schema agree on every constraint of every modelled message")
    func mutationsAgree() throws {
        guard let peer = PythonPeer.find(for: "mutations agree") else { return }
        let directory = try peer.schemaDirectory()
        var mutations: [Mutation<Sample>] = []
        for sample in Samples.richest {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(sample.schemaFile)))
            let builder = MutationBuilder(sample: sample, base: sample.payload.json, schema: try JSONParser.parse(bytes))
            for path in builder.uncovered { Issue.record("\(sample.name) does not exercise schema path \(path)") }
            mutations += builder.mutations
        }
        #expect(mutations.count > 500)

        // Swift side.
        for mutation in mutations {
            let label = "\(mutation.sample.name) \(mutation.what)"
            do {
                _ = try mutation.sample.decode(mutation.json)
                if let expected = mutation.expected { Issue.record("\(label): decoded, expected \(expected.rawValue)") }
            } catch {
                if error.code != mutation.expected {
                    Issue.record("\(label): \(error), expected \(mutation.expected?.rawValue ?? "success")")
                }
            }
        }

        // Python side: the schema must reject exactly the mutations we reject, for the same reason.
        let lines = mutations.map { Sample.peerLine(action: $0.sample.action, kind: $0.sample.kind, payload: $0.json) }
        let result = try peer.validate(lines: lines)
        var failures: [Int: PythonPeer.Failure] = [:]
        for failure in result.failures { failures[failure.line] = failure }
        for (index, mutation) in mutations.enumerated() {
            let label = "\(mutation.sample.name) \(mutation.what)"
            switch (mutation.expected, failures[index + 1]) {
            case (nil, nil):
                break
            case (nil, let failure?):
                Issue.record("\(label): the schema rejects it, we accept it: \(failure.text)")
            case (let expected?, nil):
                Issue.record("\(label): the schema accepts it, we answer \(expected.rawValue)")
            case (let expected?, let failure?):
                let codes = failure.validators.compactMap { Self.codeForValidator[$0] }
                #expect(codes.contains(expected), "\(label): schema says \(failure.validators), we say \(expected.rawValue)")
            }
        }
        #expect(result.status == (failures.isEmpty ? 0 : 1))
    }
}

extension JSONValue {
    /// The value of a JSON number (integer or not), for schema bounds.
    var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        case .null, .bool, .string, .array, .object: nil
        }
    }
}
