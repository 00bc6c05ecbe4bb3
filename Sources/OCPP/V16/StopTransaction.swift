extension V16 {
    /// Why a transaction stopped (OCPP 1.6 §7.36, `Reason`); absent means Local.
    public enum StopReason: String, OCPPEnum {
        case emergencyStop = "EmergencyStop"
        case evDisconnected = "EVDisconnected"
        case hardReset = "HardReset"
        case local = "Local"
        case other = "Other"
        case powerLoss = "PowerLoss"
        case reboot = "Reboot"
        case remote = "Remote"
        case softReset = "SoftReset"
        case unlockCommand = "UnlockCommand"
        case deAuthorized = "DeAuthorized"
    }

    /// StopTransaction.req (OCPP 1.6 §6.49): a transaction ended.
    ///
    /// The 1.6 schema for this message differs from MeterValues.req in `transactionData`:
    /// a meter value may have no sampledValue, and the unit `Hertz` is not allowed; decoding
    /// follows the schema (`Hertz` is a PropertyConstraintViolation here).
    public struct StopTransactionRequest: OCPPRequest {
        public typealias Response = StopTransactionResponse
        public static let action = Action.stopTransaction.rawValue

        /// The idTag that stopped the transaction, when one did.
        public var idTag: String?                      // IdToken, CiString20
        /// Meter reading in Wh at the end.
        public var meterStop: Int
        public var timestamp: Timestamp
        public var transactionId: Int
        public var reason: StopReason?
        public var transactionData: [MeterValue]?

        public init(idTag: String? = nil, meterStop: Int, timestamp: Timestamp, transactionId: Int,
                    reason: StopReason? = nil, transactionData: [MeterValue]? = nil) {
            self.idTag = idTag
            self.meterStop = meterStop
            self.timestamp = timestamp
            self.transactionId = transactionId
            self.reason = reason
            self.transactionData = transactionData
        }

        private static let members = ["idTag", "meterStop", "timestamp", "transactionId", "reason", "transactionData"]

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: Self.members)
            idTag = try r.optionalString("idTag", maxLength: 20)
            meterStop = try r.integer("meterStop")
            timestamp = try r.timestamp("timestamp")
            transactionId = try r.integer("transactionId")
            reason = try r.optionalEnumeration("reason")
            transactionData = try MeterValue.optionalArray(r, "transactionData", schema: .stopTransaction)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("idTag", idTag)
                w.field("meterStop", meterStop)
                w.field("timestamp", timestamp)
                w.field("transactionId", transactionId)
                w.field("reason", reason)
                w.field("transactionData", transactionData)
            }
        }
    }

    /// StopTransaction.conf (OCPP 1.6 §6.50); `idTagInfo` only when the request had an idTag.
    public struct StopTransactionResponse: OCPPPayload {
        public var idTagInfo: IdTagInfo?

        public init(idTagInfo: IdTagInfo? = nil) {
            self.idTagInfo = idTagInfo
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["idTagInfo"])
            idTagInfo = try r.optionalObject("idTagInfo", IdTagInfo.init(reader:), known: IdTagInfo.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("idTagInfo", idTagInfo)
            }
        }
    }
}
