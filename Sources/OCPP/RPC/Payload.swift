/// A typed OCPP payload: decoded from a JSON object with the schema's constraints
/// checked, and encoded straight to bytes.
public protocol OCPPPayload: Sendable, Equatable {
    /// Decodes and validates; a violation becomes the CALLERROR the peer should get.
    init(json: JSONValue) throws(CallError)
    /// Writes the payload as one JSON object.
    func encode(to writer: inout JSONWriter)
}

extension OCPPPayload {
    /// The payload as compact JSON bytes.
    public var encoded: [UInt8] {
        var writer = JSONWriter(capacity: 128)
        encode(to: &writer)
        return writer.bytes
    }

    public var json: JSONValue {
        // Our own writer's output always parses; anything else is a bug in an encoder.
        (try? JSONParser.parse(encoded)) ?? .null
    }
}

/// A request payload: knows its action name and the response type it expects.
public protocol OCPPRequest: OCPPPayload {
    associatedtype Response: OCPPPayload
    static var action: String { get }
}

/// A string enum of an OCPP schema. Decoding an unknown value is a
/// PropertyConstraintViolation.
public protocol OCPPEnum: RawRepresentable<String>, Sendable, Equatable, CaseIterable {}

/// A payload with no fields (`{}`), such as Heartbeat.req or ClearCache.req.
public protocol EmptyPayload: OCPPPayload { init() }

extension EmptyPayload {
    public init(json: JSONValue) throws(CallError) {
        _ = try PayloadReader(json, known: [])
        self.init()
    }
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.endObject()
    }
}

/// A payload whose only member is `status`: the `.conf` of most calls a Central System
/// makes (Reset, UnlockConnector, ChangeAvailability, ...), one type for all of them.
public struct StatusPayload<Status: OCPPEnum>: OCPPPayload {
    public var status: Status

    public init(status: Status) { self.status = status }

    public init(json: JSONValue) throws(CallError) {
        let r = try PayloadReader(json, known: ["status"])
        status = try r.enumeration("status")
    }

    public func encode(to w: inout JSONWriter) {
        w.object { w in w.field("status", status) }
    }
}
