extension V16 {
    /// RemoteStopTransaction.req (OCPP 1.6 §6.35): the CSMS asks to stop a transaction.
    public struct RemoteStopTransactionRequest: OCPPRequest {
        public typealias Response = RemoteStopTransactionResponse
        public static let action = Action.remoteStopTransaction.rawValue

        public var transactionId: Int

        public init(transactionId: Int) {
            self.transactionId = transactionId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["transactionId"])
            transactionId = try r.integer("transactionId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("transactionId", transactionId)
            }
        }
    }

    /// RemoteStopTransaction.conf (OCPP 1.6 §6.36).
    public typealias RemoteStopTransactionResponse = StatusPayload<RemoteStartStopStatus>
}
