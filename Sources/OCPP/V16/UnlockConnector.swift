extension V16 {
    /// The answer to UnlockConnector.req (OCPP 1.6 §7.46).
    public enum UnlockStatus: String, OCPPEnum {
        case unlocked = "Unlocked"
        case unlockFailed = "UnlockFailed"
        case notSupported = "NotSupported"
    }

    /// UnlockConnector.req (OCPP 1.6 §6.53): releases the cable lock of a connector.
    public struct UnlockConnectorRequest: OCPPRequest {
        public typealias Response = UnlockConnectorResponse
        public static let action = Action.unlockConnector.rawValue

        public var connectorId: Int

        public init(connectorId: Int) {
            self.connectorId = connectorId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId"])
            connectorId = try r.integer("connectorId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
            }
        }
    }

    /// UnlockConnector.conf (OCPP 1.6 §6.54).
    public typealias UnlockConnectorResponse = StatusPayload<UnlockStatus>
}
