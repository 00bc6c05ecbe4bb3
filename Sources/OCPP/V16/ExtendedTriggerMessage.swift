extension V16 {
    /// The messages an ExtendedTriggerMessage.req may ask for (security whitepaper,
    /// MessageTriggerEnumType): FirmwareStatusNotification means the signed variant.
    public enum ExtendedMessageTrigger: String, OCPPEnum {
        case bootNotification = "BootNotification"
        case logStatusNotification = "LogStatusNotification"
        case firmwareStatusNotification = "FirmwareStatusNotification"
        case heartbeat = "Heartbeat"
        case meterValues = "MeterValues"
        case signChargePointCertificate = "SignChargePointCertificate"
        case statusNotification = "StatusNotification"
    }

    /// ExtendedTriggerMessage.req (security whitepaper): TriggerMessage for the security
    /// extension's messages.
    public struct ExtendedTriggerMessageRequest: OCPPRequest {
        public typealias Response = ExtendedTriggerMessageResponse
        public static let action = Action.extendedTriggerMessage.rawValue

        public var requestedMessage: ExtendedMessageTrigger
        public var connectorId: Int?

        public init(requestedMessage: ExtendedMessageTrigger, connectorId: Int? = nil) {
            self.requestedMessage = requestedMessage
            self.connectorId = connectorId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["requestedMessage", "connectorId"])
            requestedMessage = try r.enumeration("requestedMessage")
            connectorId = try r.optionalInteger("connectorId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("requestedMessage", requestedMessage)
                w.field("connectorId", connectorId)
            }
        }
    }

    /// ExtendedTriggerMessage.conf: the same statuses as TriggerMessage.conf.
    public typealias ExtendedTriggerMessageResponse = StatusPayload<TriggerMessageStatus>
}
