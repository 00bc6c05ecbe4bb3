extension V16 {
    /// The answer to ChangeConfiguration.req (OCPP 1.6 §7.22).
    public enum ConfigurationStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        case rebootRequired = "RebootRequired"
        case notSupported = "NotSupported"
    }

    /// ChangeConfiguration.req (OCPP 1.6 §6.9): sets one configuration key (§9).
    public struct ChangeConfigurationRequest: OCPPRequest {
        public typealias Response = ChangeConfigurationResponse
        public static let action = Action.changeConfiguration.rawValue

        public var key: String                         // CiString50
        public var value: String                       // CiString500

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["key", "value"])
            key = try r.string("key", maxLength: 50)
            value = try r.string("value", maxLength: 500)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("key", key)
                w.field("value", value)
            }
        }
    }

    /// ChangeConfiguration.conf (OCPP 1.6 §6.10).
    public typealias ChangeConfigurationResponse = StatusPayload<ConfigurationStatus>
}
