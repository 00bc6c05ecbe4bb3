/// Reads the members of one JSON object while checking the constraints of the OCPP
/// 1.6 JSON schemas. The CALLERROR codes follow OCPP-J 1.6 §4.2.3 and agree with the
/// validator of the PyPI `ocpp` package where the specification leaves room:
///
/// | violation                                   | code                          |
/// |---------------------------------------------|-------------------------------|
/// | payload not an object, unknown member        | FormationViolation            |
/// | wrong JSON type, string over its maxLength   | TypeConstraintViolation       |
/// | outside an enum, bad date-time, multipleOf   | PropertyConstraintViolation   |
/// | required member missing, array too short     | OccurenceConstraintViolation  |
public struct PayloadReader {
    private let members: [(key: String, value: JSONValue)]
    private let path: String

    /// - Parameter known: every member name the schema allows (`additionalProperties: false`);
    ///   nil for an open object (OCPP 2.0.1's `customData`), which may carry any member.
    public init(_ json: JSONValue, known: [String]?, path: String = "") throws(CallError) {
        guard case .object(let members) = json else {
            throw CallError(.formationViolation, "\(path.isEmpty ? "payload" : path) must be a JSON object, got \(json.typeName)")
        }
        if let known {
            for member in members where !known.contains(member.key) {
                throw CallError(.formationViolation, "unknown member '\(Self.join(path, member.key))'")
            }
        }
        self.members = members
        self.path = path
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The object being read, members in wire order.
    public var json: JSONValue { .object(members) }

    public func value(_ key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    private func fieldPath(_ key: String) -> String { Self.join(path, key) }

    private func required(_ key: String) throws(CallError) -> JSONValue {
        guard let value = value(key) else {
            throw CallError(.occurenceConstraintViolation, "required member '\(fieldPath(key))' is missing")
        }
        return value
    }

    private func typeError(_ key: String, _ expected: String, _ got: JSONValue) -> CallError {
        CallError(.typeConstraintViolation, "'\(fieldPath(key))' must be \(expected), got \(got.typeName)")
    }

    // MARK: strings

    public func string(_ key: String, maxLength: Int? = nil) throws(CallError) -> String {
        try stringValue(key, try required(key), maxLength: maxLength)
    }

    public func optionalString(_ key: String, maxLength: Int? = nil) throws(CallError) -> String? {
        guard let value = value(key) else { return nil }
        return try stringValue(key, value, maxLength: maxLength)
    }

    private func stringValue(_ key: String, _ value: JSONValue, maxLength: Int?) throws(CallError) -> String {
        guard case .string(let string) = value else { throw typeError(key, "a string", value) }
        if let maxLength, string.unicodeScalars.count > maxLength {
            throw CallError(.typeConstraintViolation, "'\(fieldPath(key))' is longer than \(maxLength) characters")
        }
        return string
    }

    // MARK: numbers and booleans

    public func integer(_ key: String) throws(CallError) -> Int {
        try integerValue(key, try required(key))
    }

    public func optionalInteger(_ key: String) throws(CallError) -> Int? {
        guard let value = value(key) else { return nil }
        return try integerValue(key, value)
    }

    private func integerValue(_ key: String, _ value: JSONValue) throws(CallError) -> Int {
        switch value {
        case .integer(let integer): return Int(integer)
        case .number(let double) where double == double.rounded() && abs(double) < 9.0e15: return Int(double)
        default: throw typeError(key, "an integer", value)
        }
    }

    public func number(_ key: String) throws(CallError) -> Double {
        try numberValue(key, try required(key))
    }

    public func optionalNumber(_ key: String) throws(CallError) -> Double? {
        guard let value = value(key) else { return nil }
        return try numberValue(key, value)
    }

    /// A number with the schema's `multipleOf` (OCPP 1.6 uses 0.1 for charging limits). The
    /// check allows for binary rounding, so `16.3` passes as the decimal text it was sent as.
    public func number(_ key: String, multipleOf step: Double) throws(CallError) -> Double {
        try checkMultiple(key, try number(key), of: step)
    }

    public func optionalNumber(_ key: String, multipleOf step: Double) throws(CallError) -> Double? {
        guard let number = try optionalNumber(key) else { return nil }
        return try checkMultiple(key, number, of: step)
    }

    private func checkMultiple(_ key: String, _ number: Double, of step: Double) throws(CallError) -> Double {
        let quotient = number / step
        // Decimal text, its binary value and the division each round: allow a few ulps.
        guard quotient.isFinite, abs(quotient - quotient.rounded()) <= 32 * quotient.magnitude.ulp else {
            throw outOfRange(key, "must be a multiple of \(step), got \(number)")
        }
        return number
    }

    private func numberValue(_ key: String, _ value: JSONValue) throws(CallError) -> Double {
        switch value {
        case .integer(let integer): return Double(integer)
        case .number(let double): return double
        default: throw typeError(key, "a number", value)
        }
    }

    public func bool(_ key: String) throws(CallError) -> Bool {
        let value = try required(key)
        guard case .bool(let bool) = value else { throw typeError(key, "a boolean", value) }
        return bool
    }

    public func optionalBool(_ key: String) throws(CallError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else { throw typeError(key, "a boolean", value) }
        return bool
    }

    // MARK: enums and timestamps

    public func enumeration<E: OCPPEnum>(_ key: String, as: E.Type = E.self) throws(CallError) -> E {
        try enumValue(key, try required(key))
    }

    public func optionalEnumeration<E: OCPPEnum>(_ key: String, as: E.Type = E.self) throws(CallError) -> E? {
        guard let value = value(key) else { return nil }
        return try enumValue(key, value)
    }

    private func enumValue<E: OCPPEnum>(_ key: String, _ value: JSONValue) throws(CallError) -> E {
        guard case .string(let string) = value else { throw typeError(key, "a string", value) }
        guard let result = E(rawValue: string) else {
            throw CallError(.propertyConstraintViolation, "'\(fieldPath(key))' has no value '\(string)'")
        }
        return result
    }

    public func timestamp(_ key: String) throws(CallError) -> Timestamp {
        try timestampValue(key, try required(key))
    }

    public func optionalTimestamp(_ key: String) throws(CallError) -> Timestamp? {
        guard let value = value(key) else { return nil }
        return try timestampValue(key, value)
    }

    private func timestampValue(_ key: String, _ value: JSONValue) throws(CallError) -> Timestamp {
        guard case .string(let string) = value else { throw typeError(key, "a date-time string", value) }
        guard let timestamp = Timestamp(iso8601: string) else {
            throw CallError(.propertyConstraintViolation, "'\(fieldPath(key))' is not an RFC 3339 date-time: '\(string)'")
        }
        return timestamp
    }

    // MARK: nested objects and arrays

    public func object<T>(_ key: String, _ decode: (PayloadReader) throws(CallError) -> T, known: [String]?) throws(CallError) -> T {
        try decode(try Self.nested(try required(key), known: known, path: fieldPath(key)))
    }

    public func optionalObject<T>(_ key: String, _ decode: (PayloadReader) throws(CallError) -> T, known: [String]?) throws(CallError) -> T? {
        guard let value = value(key) else { return nil }
        return try decode(try Self.nested(value, known: known, path: fieldPath(key)))
    }

    /// A member declared `"type": "object"` that holds another JSON type is a wrong type
    /// (TypeConstraintViolation); only a payload that is not an object is a FormationViolation.
    private static func nested(_ value: JSONValue, known: [String]?, path: String) throws(CallError) -> PayloadReader {
        guard case .object = value else {
            throw CallError(.typeConstraintViolation, "'\(path)' must be an object, got \(value.typeName)")
        }
        return try PayloadReader(value, known: known, path: path)
    }

    /// A required array; `minItems` from the schema.
    public func array<T>(_ key: String, minItems: Int = 0, maxItems: Int? = nil, _ element: (JSONValue, String) throws(CallError) -> T) throws(CallError) -> [T] {
        try arrayValue(key, try required(key), minItems: minItems, maxItems: maxItems, element)
    }

    public func optionalArray<T>(_ key: String, minItems: Int = 0, maxItems: Int? = nil, _ element: (JSONValue, String) throws(CallError) -> T) throws(CallError) -> [T]? {
        guard let value = value(key) else { return nil }
        return try arrayValue(key, value, minItems: minItems, maxItems: maxItems, element)
    }

    private func arrayValue<T>(_ key: String, _ value: JSONValue, minItems: Int, maxItems: Int?, _ element: (JSONValue, String) throws(CallError) -> T) throws(CallError) -> [T] {
        guard case .array(let elements) = value else { throw typeError(key, "an array", value) }
        if elements.count < minItems {
            throw CallError(.occurenceConstraintViolation, "'\(fieldPath(key))' needs at least \(minItems) element(s), got \(elements.count)")
        }
        if let maxItems, elements.count > maxItems {
            throw CallError(.occurenceConstraintViolation, "'\(fieldPath(key))' allows at most \(maxItems) element(s), got \(elements.count)")
        }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, item) in elements.enumerated() {
            result.append(try element(item, "\(fieldPath(key))[\(index)]"))
        }
        return result
    }

    /// Decodes an array element that is an object.
    public static func element<T>(_ value: JSONValue, path: String, known: [String]?, _ decode: (PayloadReader) throws(CallError) -> T) throws(CallError) -> T {
        try decode(try nested(value, known: known, path: path))
    }

    /// Decodes an array element that is a string with a maximum length.
    public static func stringElement(_ value: JSONValue, path: String, maxLength: Int? = nil) throws(CallError) -> String {
        guard case .string(let string) = value else {
            throw CallError(.typeConstraintViolation, "'\(path)' must be a string, got \(value.typeName)")
        }
        if let maxLength, string.unicodeScalars.count > maxLength {
            throw CallError(.typeConstraintViolation, "'\(path)' is longer than \(maxLength) characters")
        }
        return string
    }

    /// A value that is present but out of range for the field.
    public func outOfRange(_ key: String, _ why: String) -> CallError {
        CallError(.propertyConstraintViolation, "'\(fieldPath(key))' \(why)")
    }
}

extension JSONWriter {
    public mutating func field(_ key: String, _ value: String) { self.key(key); string(value) }
    public mutating func field(_ key: String, _ value: Int) { self.key(key); integer(value) }
    public mutating func field(_ key: String, _ value: Double) { self.key(key); number(value) }
    public mutating func field(_ key: String, _ value: Bool) { self.key(key); bool(value) }
    public mutating func field(_ key: String, _ value: Timestamp) { self.key(key); string(value.iso8601) }
    public mutating func field<E: OCPPEnum>(_ key: String, _ value: E) { self.key(key); string(value.rawValue) }
    public mutating func field<P: OCPPPayload>(_ key: String, _ value: P) { self.key(key); value.encode(to: &self) }
    public mutating func field(_ key: String, _ value: JSONValue) { self.key(key); self.value(value) }

    public mutating func field(_ key: String, _ value: String?) { if let value { field(key, value) } }
    public mutating func field(_ key: String, _ value: Int?) { if let value { field(key, value) } }
    public mutating func field(_ key: String, _ value: Double?) { if let value { field(key, value) } }
    public mutating func field(_ key: String, _ value: Bool?) { if let value { field(key, value) } }
    public mutating func field(_ key: String, _ value: Timestamp?) { if let value { field(key, value) } }
    public mutating func field<E: OCPPEnum>(_ key: String, _ value: E?) { if let value { field(key, value) } }
    public mutating func field<P: OCPPPayload>(_ key: String, _ value: P?) { if let value { field(key, value) } }

    public mutating func field<P: OCPPPayload>(_ key: String, _ values: [P]) {
        self.key(key)
        beginArray()
        for value in values { value.encode(to: &self) }
        endArray()
    }

    public mutating func field(_ key: String, _ values: [String]) {
        self.key(key)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    public mutating func field<P: OCPPPayload>(_ key: String, _ values: [P]?) { if let values { field(key, values) } }
    public mutating func field(_ key: String, _ values: [String]?) { if let values { field(key, values) } }

    /// Writes `{ ... }` with the members written by `body`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }
}
