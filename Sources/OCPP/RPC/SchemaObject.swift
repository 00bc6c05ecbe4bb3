/// A JSON object type of a generated message set (OCPP 2.0.1): decoded through a
/// `PayloadReader` that knows its members, so a nested object, an array of them and a whole
/// payload are read the same way.
public protocol SchemaObject: OCPPPayload {
    /// Every member the schema allows (`additionalProperties: false`).
    static var members: [String] { get }
    /// Members beyond `members` are allowed (OCPP 2.0.1's `customData`).
    static var isOpen: Bool { get }
    init(reader: PayloadReader) throws(CallError)
}

extension SchemaObject {
    public static var isOpen: Bool { false }

    /// The member list a reader checks: none for an open object.
    static var knownMembers: [String]? { isOpen ? nil : members }

    public init(json: JSONValue) throws(CallError) {
        try self.init(reader: PayloadReader(json, known: Self.knownMembers))
    }
}

extension PayloadReader {
    // MARK: nested objects

    public func object<T: SchemaObject>(_ key: String, as: T.Type = T.self) throws(CallError) -> T {
        try object(key, T.init(reader:), known: T.knownMembers)
    }

    public func optionalObject<T: SchemaObject>(_ key: String, as: T.Type = T.self) throws(CallError) -> T? {
        try optionalObject(key, T.init(reader:), known: T.knownMembers)
    }

    public func objects<T: SchemaObject>(_ key: String, minItems: Int, maxItems: Int? = nil) throws(CallError) -> [T] {
        try array(key, minItems: minItems, maxItems: maxItems, Self.objectElement)
    }

    public func optionalObjects<T: SchemaObject>(_ key: String, minItems: Int, maxItems: Int? = nil) throws(CallError) -> [T]? {
        try optionalArray(key, minItems: minItems, maxItems: maxItems, Self.objectElement)
    }

    private static func objectElement<T: SchemaObject>(_ value: JSONValue, _ path: String) throws(CallError) -> T {
        try element(value, path: path, known: T.knownMembers, T.init(reader:))
    }

    // MARK: arrays of scalars

    public func enumerations<E: OCPPEnum>(_ key: String, minItems: Int, maxItems: Int? = nil) throws(CallError) -> [E] {
        try array(key, minItems: minItems, maxItems: maxItems, Self.enumElement)
    }

    public func optionalEnumerations<E: OCPPEnum>(_ key: String, minItems: Int, maxItems: Int? = nil) throws(CallError) -> [E]? {
        try optionalArray(key, minItems: minItems, maxItems: maxItems, Self.enumElement)
    }

    private static func enumElement<E: OCPPEnum>(_ value: JSONValue, _ path: String) throws(CallError) -> E {
        let string = try stringElement(value, path: path)
        guard let result = E(rawValue: string) else {
            throw CallError(.propertyConstraintViolation, "'\(path)' has no value '\(string)'")
        }
        return result
    }

    public func strings(_ key: String, minItems: Int, maxItems: Int? = nil, maxLength: Int? = nil) throws(CallError) -> [String] {
        try array(key, minItems: minItems, maxItems: maxItems) { value, path throws(CallError) in
            try Self.stringElement(value, path: path, maxLength: maxLength)
        }
    }

    public func optionalStrings(_ key: String, minItems: Int, maxItems: Int? = nil, maxLength: Int? = nil) throws(CallError) -> [String]? {
        try optionalArray(key, minItems: minItems, maxItems: maxItems) { value, path throws(CallError) in
            try Self.stringElement(value, path: path, maxLength: maxLength)
        }
    }

    public func integers(_ key: String, minItems: Int, maxItems: Int? = nil) throws(CallError) -> [Int] {
        try array(key, minItems: minItems, maxItems: maxItems, Self.integerElement)
    }

    public func optionalIntegers(_ key: String, minItems: Int, maxItems: Int? = nil) throws(CallError) -> [Int]? {
        try optionalArray(key, minItems: minItems, maxItems: maxItems, Self.integerElement)
    }

    private static func integerElement(_ value: JSONValue, _ path: String) throws(CallError) -> Int {
        switch value {
        case .integer(let integer): return Int(integer)
        case .number(let double) where double == double.rounded() && abs(double) < 9.0e15: return Int(double)
        default: throw CallError(.typeConstraintViolation, "'\(path)' must be an integer, got \(value.typeName)")
        }
    }
}

extension JSONWriter {
    public mutating func field<E: OCPPEnum>(_ key: String, _ values: [E]) {
        self.key(key)
        beginArray()
        for value in values { string(value.rawValue) }
        endArray()
    }

    public mutating func field(_ key: String, _ values: [Int]) {
        self.key(key)
        beginArray()
        for value in values { integer(value) }
        endArray()
    }

    public mutating func field<E: OCPPEnum>(_ key: String, _ values: [E]?) { if let values { field(key, values) } }
    public mutating func field(_ key: String, _ values: [Int]?) { if let values { field(key, values) } }
    public mutating func field(_ key: String, _ value: JSONValue?) { if let value { field(key, value) } }
}
