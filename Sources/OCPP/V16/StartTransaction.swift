extension V16 {
    /// StartTransaction.req (OCPP 1.6 §6.45): a transaction began on a connector.
    public struct StartTransactionRequest: OCPPRequest {
        public typealias Response = StartTransactionResponse
        public static let action = Action.startTransaction.rawValue

        public var connectorId: Int
        public var idTag: String                       // IdToken, CiString20
        /// Meter reading in Wh at the start.
        public var meterStart: Int
        /// The reservation this transaction ends, if any.
        public var reservationId: Int?
        public var timestamp: Timestamp

        public init(connectorId: Int, idTag: String, meterStart: Int, reservationId: Int? = nil, timestamp: Timestamp) {
            self.connectorId = connectorId
            self.idTag = idTag
            self.meterStart = meterStart
            self.reservationId = reservationId
            self.timestamp = timestamp
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "idTag", "meterStart", "reservationId", "timestamp"])
            connectorId = try r.integer("connectorId")
            idTag = try r.string("idTag", maxLength: 20)
            meterStart = try r.integer("meterStart")
            reservationId = try r.optionalInteger("reservationId")
            timestamp = try r.timestamp("timestamp")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("idTag", idTag)
                w.field("meterStart", meterStart)
                w.field("reservationId", reservationId)
                w.field("timestamp", timestamp)
            }
        }
    }

    /// StartTransaction.conf (OCPP 1.6 §6.46).
    public struct StartTransactionResponse: OCPPPayload {
        public var idTagInfo: IdTagInfo
        public var transactionId: Int

        public init(idTagInfo: IdTagInfo, transactionId: Int) {
            self.idTagInfo = idTagInfo
            self.transactionId = transactionId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["idTagInfo", "transactionId"])
            idTagInfo = try r.object("idTagInfo", IdTagInfo.init(reader:), known: IdTagInfo.members)
            transactionId = try r.integer("transactionId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("idTagInfo", idTagInfo)
                w.field("transactionId", transactionId)
            }
        }
    }
}
