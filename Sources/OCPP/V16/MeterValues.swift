extension V16 {
    /// MeterValues.req (OCPP 1.6 §6.31): periodic or clock-aligned samples of a connector.
    public struct MeterValuesRequest: OCPPRequest {
        public typealias Response = MeterValuesResponse
        public static let action = Action.meterValues.rawValue

        /// 0 is the main meter of the whole charge point.
        public var connectorId: Int
        public var transactionId: Int?
        /// At least one element.
        public var meterValue: [MeterValue]

        public init(connectorId: Int, transactionId: Int? = nil, meterValue: [MeterValue]) {
            self.connectorId = connectorId
            self.transactionId = transactionId
            self.meterValue = meterValue
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "transactionId", "meterValue"])
            connectorId = try r.integer("connectorId")
            transactionId = try r.optionalInteger("transactionId")
            meterValue = try MeterValue.array(r, "meterValue", minItems: 1, schema: .meterValues)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("transactionId", transactionId)
                w.field("meterValue", meterValue)
            }
        }
    }

    /// MeterValues.conf (OCPP 1.6 §6.32).
    public struct MeterValuesResponse: EmptyPayload {
        public init() {}
    }
}
