extension V16 {
    /// The answer to DataTransfer.req (OCPP 1.6 §7.23).
    public enum DataTransferStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        case unknownMessageId = "UnknownMessageId"
        case unknownVendorId = "UnknownVendorId"
    }

    /// DataTransfer.req (OCPP 1.6 §6.15): vendor-specific data, sent by either side.
    public struct DataTransferRequest: OCPPRequest {
        public typealias Response = DataTransferResponse
        public static let action = Action.dataTransfer.rawValue

        public var vendorId: String                    // CiString255
        public var messageId: String?                  // CiString50
        /// Free text; the schema gives it no length limit.
        public var data: String?

        public init(vendorId: String, messageId: String? = nil, data: String? = nil) {
            self.vendorId = vendorId
            self.messageId = messageId
            self.data = data
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["vendorId", "messageId", "data"])
            vendorId = try r.string("vendorId", maxLength: 255)
            messageId = try r.optionalString("messageId", maxLength: 50)
            data = try r.optionalString("data")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("vendorId", vendorId)
                w.field("messageId", messageId)
                w.field("data", data)
            }
        }
    }

    /// DataTransfer.conf (OCPP 1.6 §6.16).
    public struct DataTransferResponse: OCPPPayload {
        public var status: DataTransferStatus
        public var data: String?

        public init(status: DataTransferStatus, data: String? = nil) {
            self.status = status
            self.data = data
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status", "data"])
            status = try r.enumeration("status")
            data = try r.optionalString("data")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
                w.field("data", data)
            }
        }
    }
}
