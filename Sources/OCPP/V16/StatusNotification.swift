extension V16 {
    /// A connector or charge point fault (OCPP 1.6 §7.6); `noError` in normal operation.
    public enum ChargePointErrorCode: String, OCPPEnum {
        case connectorLockFailure = "ConnectorLockFailure"
        case evCommunicationError = "EVCommunicationError"
        case groundFailure = "GroundFailure"
        case highTemperature = "HighTemperature"
        case internalError = "InternalError"
        case localListConflict = "LocalListConflict"
        case noError = "NoError"
        case otherError = "OtherError"
        case overCurrentFailure = "OverCurrentFailure"
        case overVoltage = "OverVoltage"
        case powerMeterFailure = "PowerMeterFailure"
        case powerSwitchFailure = "PowerSwitchFailure"
        case readerFailure = "ReaderFailure"
        case resetFailure = "ResetFailure"
        case underVoltage = "UnderVoltage"
        case weakSignal = "WeakSignal"
    }

    /// The state of a connector, or of the charge point for connector 0 (OCPP 1.6 §7.7).
    public enum ChargePointStatus: String, OCPPEnum {
        case available = "Available"
        case preparing = "Preparing"
        case charging = "Charging"
        case suspendedEVSE = "SuspendedEVSE"
        case suspendedEV = "SuspendedEV"
        case finishing = "Finishing"
        case reserved = "Reserved"
        case unavailable = "Unavailable"
        case faulted = "Faulted"
    }

    /// StatusNotification.req (OCPP 1.6 §6.47): a connector changed status or reports an error.
    public struct StatusNotificationRequest: OCPPRequest {
        public typealias Response = StatusNotificationResponse
        public static let action = Action.statusNotification.rawValue

        /// 0 is the charge point as a whole.
        public var connectorId: Int
        public var errorCode: ChargePointErrorCode
        public var info: String?                       // CiString50
        public var status: ChargePointStatus
        public var timestamp: Timestamp?
        public var vendorId: String?                   // CiString255
        public var vendorErrorCode: String?            // CiString50

        public init(connectorId: Int, errorCode: ChargePointErrorCode, info: String? = nil, status: ChargePointStatus,
                    timestamp: Timestamp? = nil, vendorId: String? = nil, vendorErrorCode: String? = nil) {
            self.connectorId = connectorId
            self.errorCode = errorCode
            self.info = info
            self.status = status
            self.timestamp = timestamp
            self.vendorId = vendorId
            self.vendorErrorCode = vendorErrorCode
        }

        private static let members = ["connectorId", "errorCode", "info", "status", "timestamp", "vendorId", "vendorErrorCode"]

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: Self.members)
            connectorId = try r.integer("connectorId")
            errorCode = try r.enumeration("errorCode")
            info = try r.optionalString("info", maxLength: 50)
            status = try r.enumeration("status")
            timestamp = try r.optionalTimestamp("timestamp")
            vendorId = try r.optionalString("vendorId", maxLength: 255)
            vendorErrorCode = try r.optionalString("vendorErrorCode", maxLength: 50)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("errorCode", errorCode)
                w.field("info", info)
                w.field("status", status)
                w.field("timestamp", timestamp)
                w.field("vendorId", vendorId)
                w.field("vendorErrorCode", vendorErrorCode)
            }
        }
    }

    /// StatusNotification.conf (OCPP 1.6 §6.48).
    public struct StatusNotificationResponse: EmptyPayload {
        public init() {}
    }
}
