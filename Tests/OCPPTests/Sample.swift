import Testing
@testable import OCPP

/// One typed payload with what is needed to test it without knowing its type: the action
/// and direction (for the schema file), a decoder for its type, and equality with itself.
struct Sample: Sendable, CustomTestStringConvertible {
    enum Kind: String, Sendable {
        case request
        case response
    }

    let name: String
    let action: V16.Action
    let kind: Kind
    let payload: any OCPPPayload
    private let decodeBody: @Sendable (JSONValue) throws(CallError) -> any OCPPPayload
    private let equalsBody: @Sendable (any OCPPPayload) -> Bool

    var testDescription: String { name }

    /// The schema file in the `ocpp` package: `<Action>.json` or `<Action>Response.json`.
    var schemaFile: String { action.rawValue + (kind == .response ? "Response" : "") + ".json" }

    /// Decodes `json` as this sample's payload type.
    func decode(_ json: JSONValue) throws(CallError) -> any OCPPPayload { try decodeBody(json) }

    func isEqual(to other: any OCPPPayload) -> Bool { equalsBody(other) }

    /// The line `validate_payloads.py` reads.
    var peerLine: String { Self.peerLine(action: action, kind: kind, payload: payload.json) }

    static func peerLine(action: V16.Action, kind: Kind, payload: JSONValue) -> String {
        JSONValue.object([("action", .string(action.rawValue)), ("kind", .string(kind.rawValue)), ("payload", payload)]).text
    }

    private init<P: OCPPPayload>(_ label: String, action: V16.Action, kind: Kind, payload: P) {
        self.name = "\(action.rawValue).\(kind == .request ? "req" : "conf") \(label)"
        self.action = action
        self.kind = kind
        self.payload = payload
        self.decodeBody = { json throws(CallError) in try P(json: json) }
        self.equalsBody = { other in (other as? P) == payload }
    }

    /// A request sample; the action comes from the type.
    static func request<R: OCPPRequest>(_ label: String, _ payload: R) -> Sample {
        Sample(label, action: action(of: R.self), kind: .request, payload: payload)
    }

    /// A response sample, typed through its request so `Response` is checked too.
    static func response<R: OCPPRequest>(to _: R.Type, _ label: String, _ payload: R.Response) -> Sample {
        Sample(label, action: action(of: R.self), kind: .response, payload: payload)
    }

    private static func action<R: OCPPRequest>(of _: R.Type) -> V16.Action {
        guard let action = V16.Action(rawValue: R.action) else {
            Issue.record("\(R.self).action '\(R.action)' is not a V16.Action")
            return .dataTransfer
        }
        return action
    }
}

/// A JSON path into a payload: member names and array indexes.
enum PathComponent: Hashable, Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)

    var description: String {
        switch self {
        case .key(let key): ".\(key)"
        case .index(let index): "[\(index)]"
        }
    }
}

extension [PathComponent] {
    var text: String {
        let joined = map(\.description).joined()
        return joined.hasPrefix(".") ? String(joined.dropFirst()) : joined
    }
}

extension JSONValue {
    /// The value at `path`, or nil when a member or element is missing.
    func value(at path: some Collection<PathComponent>) -> JSONValue? {
        guard let first = path.first else { return self }
        switch (first, self) {
        case (.key(let key), .object(let members)):
            return members.first(where: { $0.key == key })?.value.value(at: path.dropFirst())
        case (.index(let index), .array(let elements)) where elements.indices.contains(index):
            return elements[index].value(at: path.dropFirst())
        case (.key, _), (.index, _):
            return nil
        }
    }

    /// A copy with the value at `path` replaced by `transform(old)`; nil removes the member.
    /// A missing last member is added; a missing intermediate leaves the value unchanged.
    func replacing(at path: some Collection<PathComponent>, _ transform: (JSONValue?) -> JSONValue?) -> JSONValue {
        guard let first = path.first else { return transform(self) ?? .null }
        let rest = path.dropFirst()
        switch (first, self) {
        case (.key(let key), .object(var members)):
            if let position = members.firstIndex(where: { $0.key == key }) {
                if rest.isEmpty {
                    if let new = transform(members[position].value) { members[position].value = new } else { members.remove(at: position) }
                } else {
                    members[position].value = members[position].value.replacing(at: rest, transform)
                }
            } else if rest.isEmpty, let new = transform(nil) {
                members.append((key, new))
            }
            return .object(members)
        case (.index(let index), .array(var elements)) where elements.indices.contains(index):
            if rest.isEmpty {
                if let new = transform(elements[index]) { elements[index] = new } else { elements.remove(at: index) }
            } else {
                elements[index] = elements[index].replacing(at: rest, transform)
            }
            return .array(elements)
        case (.key, _), (.index, _):
            return self
        }
    }

    func setting(_ path: [PathComponent], to value: JSONValue) -> JSONValue { replacing(at: path) { _ in value } }
    func removing(_ path: [PathComponent]) -> JSONValue { replacing(at: path) { _ in nil } }
}

/// Expects `body` to throw a CallError with `code`; returns the error for further checks.
@discardableResult
func expectCallError(_ code: CallError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws(CallError) -> Void) -> CallError? {
    do {
        try body()
        Issue.record("expected \(code.rawValue), but decoding succeeded", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    }
}

/// A fixed instant with whole milliseconds, as the encoder writes them.
let t0 = Timestamp(iso8601: "2026-11-26T01:31:39.123Z")!
let t1 = Timestamp(iso8601: "2026-11-26T02:01:00.000Z")!

func string(length: Int, of character: Character = "x") -> String { String(repeating: character, count: length) }
