extension V16 {
    /// The messages a TriggerMessage.req may ask for (OCPP 1.6 §7.37).
    public enum MessageTrigger: String, OCPPEnum {
        case bootNotification = "BootNotification"
        case diagnosticsStatusNotification = "DiagnosticsStatusNotification"
        case firmwareStatusNotification = "FirmwareStatusNotification"
        case heartbeat = "Heartbeat"
        case meterValues = "MeterValues"
        case statusNotification = "StatusNotification"
    }

    /// The answer to TriggerMessage.req and ExtendedTriggerMessage.req (OCPP 1.6 §7.51):
    /// NotImplemented for a message the charge point does not know, Rejected for one it
    /// cannot send now.
    public enum TriggerMessageStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        case notImplemented = "NotImplemented"
    }

    /// TriggerMessage.req (OCPP 1.6 §6.53): send the requested message now.
    public struct TriggerMessageRequest: OCPPRequest {
        public typealias Response = TriggerMessageResponse
        public static let action = Action.triggerMessage.rawValue

        public var requestedMessage: MessageTrigger
        /// Only for the connector-specific messages (MeterValues, StatusNotification).
        public var connectorId: Int?

        public init(requestedMessage: MessageTrigger, connectorId: Int? = nil) {
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

    /// TriggerMessage.conf (OCPP 1.6 §6.54).
    public typealias TriggerMessageResponse = StatusPayload<TriggerMessageStatus>
}
