extension V201 {
    /// `customData` of every 2.0.1 object: the one schema type without
    /// `additionalProperties: false`, so vendors can extend it. `vendorId` (at most 255
    /// characters) is required; the other members are kept as they came, for re-encoding.
    public struct CustomData: SchemaObject {
        public var vendorId: String
        /// The whole object, `vendorId` included, in wire order.
        public var object: JSONValue

        public init(vendorId: String, extra: [(key: String, value: JSONValue)] = []) {
            self.vendorId = vendorId
            self.object = .object([("vendorId", .string(vendorId))] + extra)
        }

        /// Only `vendorId` is named: any other member is allowed.
        public static let members = ["vendorId"]
        public static var isOpen: Bool { true }

        public init(reader r: PayloadReader) throws(CallError) {
            vendorId = try r.string("vendorId", maxLength: 255)
            object = r.json
        }

        public func encode(to w: inout JSONWriter) { w.value(object) }
    }
}
