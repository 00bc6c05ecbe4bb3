extension V16 {
    /// One configuration key and its value (OCPP 1.6 §7.29).
    public struct KeyValue: OCPPPayload {
        public var key: String                         // CiString50
        public var readonly: Bool
        public var value: String?                      // CiString500

        public init(key: String, readonly: Bool, value: String? = nil) {
            self.key = key
            self.readonly = readonly
            self.value = value
        }

        static let members = ["key", "readonly", "value"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            key = try r.string("key", maxLength: 50)
            readonly = try r.bool("readonly")
            value = try r.optionalString("value", maxLength: 500)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("key", key)
                w.field("readonly", readonly)
                w.field("value", value)
            }
        }
    }

    /// GetConfiguration.req (OCPP 1.6 §6.23): no keys means all keys.
    public struct GetConfigurationRequest: OCPPRequest {
        public typealias Response = GetConfigurationResponse
        public static let action = Action.getConfiguration.rawValue

        public var key: [String]?                      // each CiString50

        public init(key: [String]? = nil) {
            self.key = key
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["key"])
            key = try r.optionalArray("key") { value, path throws(CallError) in
                try PayloadReader.stringElement(value, path: path, maxLength: 50)
            }
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("key", key)
            }
        }
    }

    /// GetConfiguration.conf (OCPP 1.6 §6.24).
    public struct GetConfigurationResponse: OCPPPayload {
        public var configurationKey: [KeyValue]?
        public var unknownKey: [String]?               // each CiString50

        public init(configurationKey: [KeyValue]? = nil, unknownKey: [String]? = nil) {
            self.configurationKey = configurationKey
            self.unknownKey = unknownKey
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["configurationKey", "unknownKey"])
            configurationKey = try r.optionalArray("configurationKey") { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: KeyValue.members, KeyValue.init(reader:))
            }
            unknownKey = try r.optionalArray("unknownKey") { value, path throws(CallError) in
                try PayloadReader.stringElement(value, path: path, maxLength: 50)
            }
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("configurationKey", configurationKey)
                w.field("unknownKey", unknownKey)
            }
        }
    }
}
