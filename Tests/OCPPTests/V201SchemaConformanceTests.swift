import Foundation
import Testing
@testable import OCPP

/// One 2.0.1 payload of `Fixtures/v201-samples.jsonl` (written by `scripts/generate-v201.py`
/// from the official schemas): `rich` sets every optional member and fills every array,
/// `minimal` only the required ones.
struct V201Sample: Sendable, CustomTestStringConvertible {
    let action: V201.Action
    let kind: Sample.Kind
    let label: String
    let payload: JSONValue

    var testDescription: String { "\(action.rawValue)\(kind == .request ? "Request" : "Response") \(label)" }
    var schemaFile: String { action.rawValue + (kind == .request ? "Request" : "Response") + ".json" }

    /// Decodes `json` with this sample's generated type.
    func decode(_ json: JSONValue) throws(CallError) -> any OCPPPayload {
        guard let types = action.payloadTypes else { throw CallError(.notSupported, "\(action.rawValue) has no types") }
        return try (kind == .request ? types.request : types.response).init(json: json)
    }

    static func peerLine(action: V201.Action, kind: Sample.Kind, payload: JSONValue) -> String {
        JSONValue.object([("version", .string("2.0.1")), ("action", .string(action.rawValue)),
                          ("kind", .string(kind.rawValue)), ("payload", payload)]).text
    }

    static let all: [V201Sample] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/v201-samples.jsonl")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let json = try? JSONParser.parse(String(line)),
                  case .string(let action)? = json["action"], let action = V201.Action(rawValue: action),
                  case .string(let kind)? = json["kind"], let kind = Sample.Kind(rawValue: kind),
                  case .string(let label)? = json["label"], let payload = json["payload"] else { return nil }
            return V201Sample(action: action, kind: kind, label: label, payload: payload)
        }
    }()
}

@Suite("OCPP 2.0.1 messages against the official schemas")
struct V201SchemaConformanceTests {
    @Test("Every action in scope has a rich and a minimal sample of request and response")
    func samplesCoverScope() {
        let inScope = V201.Action.allCases.filter { $0.payloadTypes != nil }
        #expect(inScope.count == 43)
        for action in inScope {
            for kind in [Sample.Kind.request, .response] {
                let labels = Set(V201Sample.all.filter { $0.action == action && $0.kind == kind }.map(\.label))
                #expect(labels == ["rich", "minimal"], "\(action.rawValue) \(kind.rawValue): \(labels)")
            }
        }
    }

    @Test("Each sample decodes into its type and encodes back to the same JSON", arguments: V201Sample.all)
    func roundTrip(sample: V201Sample) throws {
        let decoded = try sample.decode(sample.payload)
        #expect(decoded.json == sample.payload)
        #expect(try sample.decode(decoded.json).json == decoded.json)
    }

    @Test("Every sample, and its re-encoding, validates against the official 2.0.1 schema")
    func samplesValidate() throws {
        guard let peer = PythonPeer.find(for: "2.0.1 samples validate") else { return }
        var lines = V201Sample.all.map { V201Sample.peerLine(action: $0.action, kind: $0.kind, payload: $0.payload) }
        for sample in V201Sample.all {
            let encoded = try sample.decode(sample.payload).json
            lines.append(V201Sample.peerLine(action: sample.action, kind: sample.kind, payload: encoded))
        }
        let result = try peer.validate(lines: lines)
        for failure in result.failures { Issue.record("line \(failure.line) fails the schema: \(failure.text)") }
        #expect(result.stderr.contains("\(lines.count) payload(s), 0 failed"), "\(result.stderr)")
    }

    @Test("Decoding and the 2.0.1 schemas agree on every constraint of every message in scope")
    func mutationsAgree() throws {
        guard let peer = PythonPeer.find(for: "2.0.1 mutations agree") else { return }
        let directory = try peer.schemaDirectory(version: "2.0.1")
        var mutations: [Mutation<V201Sample>] = []
        for sample in V201Sample.all where sample.label == "rich" {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(sample.schemaFile)))
            let builder = MutationBuilder(sample: sample, base: sample.payload, schema: try JSONParser.parse(bytes))
            for path in builder.uncovered { Issue.record("\(sample.testDescription) does not exercise schema path \(path)") }
            mutations += builder.mutations
        }
        #expect(mutations.count > 2000)

        for mutation in mutations {
            let label = "\(mutation.sample.testDescription) \(mutation.what)"
            do {
                _ = try mutation.sample.decode(mutation.json)
                if let expected = mutation.expected { Issue.record("\(label): decoded, expected \(V201.RPCErrorCode(expected))") }
            } catch {
                if error.code != mutation.expected {
                    Issue.record("\(label): \(error), expected \(mutation.expected.map { "\(V201.RPCErrorCode($0))" } ?? "success")")
                }
            }
        }

        let lines = mutations.map { V201Sample.peerLine(action: $0.sample.action, kind: $0.sample.kind, payload: $0.json) }
        let result = try peer.validate(lines: lines)
        var failures: [Int: PythonPeer.Failure] = [:]
        for failure in result.failures { failures[failure.line] = failure }
        for (index, mutation) in mutations.enumerated() {
            let label = "\(mutation.sample.testDescription) \(mutation.what)"
            switch (mutation.expected, failures[index + 1]) {
            case (nil, nil):
                break
            case (nil, let failure?):
                Issue.record("\(label): the schema rejects it, we accept it: \(failure.text)")
            case (let expected?, nil):
                Issue.record("\(label): the schema accepts it, we answer \(expected.rawValue)")
            case (let expected?, let failure?):
                let codes = failure.validators.compactMap { SchemaConformanceTests.codeForValidator[$0] }
                #expect(codes.contains(expected), "\(label): schema says \(failure.validators), we say \(expected.rawValue)")
            }
        }
    }

    @Test("2.0.1 spells the violations its own way (OCPP-J 2.0.1 part 4 §4.3)")
    func errorVocabulary() {
        #expect(V201.RPCErrorCode(.formationViolation).rawValue == "FormatViolation")
        #expect(V201.RPCErrorCode(.occurenceConstraintViolation).rawValue == "OccurrenceConstraintViolation")
        #expect(V201.RPCErrorCode(.typeConstraintViolation).rawValue == "TypeConstraintViolation")
        #expect(Set(CallError.Code.allCases.map { V201.RPCErrorCode($0) }).count == CallError.Code.allCases.count)
        let unknownType = #expect(throws: Frame.ParseFailure.self) { try Frame.parse(#"[7,"a",{}]"#) }
        #expect(unknownType.map(V201.RPCErrorCode.init) == .messageTypeNotSupported)
        let noId = #expect(throws: Frame.ParseFailure.self) { try Frame.parse(#"[2,17,"Heartbeat",{}]"#) }
        #expect(noId.map(V201.RPCErrorCode.init) == .rpcFrameworkError)
    }
}
