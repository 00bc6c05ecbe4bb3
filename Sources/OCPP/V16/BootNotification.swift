extension V16 {
    /// Result of registration in BootNotification.conf (OCPP 1.6 §7.40).
    public enum RegistrationStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case pending = "Pending"
        case rejected = "Rejected"
    }

    /// BootNotification.req (OCPP 1.6 §6.2): sent after every (re)boot, before anything else.
    public struct BootNotificationRequest: OCPPRequest {
        public typealias Response = BootNotificationResponse
        public static let action = Action.bootNotification.rawValue

        public var chargePointVendor: String           // CiString20
        public var chargePointModel: String            // CiString20
        public var chargePointSerialNumber: String?    // CiString25
        public var chargeBoxSerialNumber: String?      // CiString25
        public var firmwareVersion: String?            // CiString50
        public var iccid: String?                      // CiString20
        public var imsi: String?                       // CiString20
        public var meterType: String?                  // CiString25
        public var meterSerialNumber: String?          // CiString25

        public init(chargePointVendor: String, chargePointModel: String, chargePointSerialNumber: String? = nil,
                    chargeBoxSerialNumber: String? = nil, firmwareVersion: String? = nil, iccid: String? = nil,
                    imsi: String? = nil, meterType: String? = nil, meterSerialNumber: String? = nil) {
            self.chargePointVendor = chargePointVendor
            self.chargePointModel = chargePointModel
            self.chargePointSerialNumber = chargePointSerialNumber
            self.chargeBoxSerialNumber = chargeBoxSerialNumber
            self.firmwareVersion = firmwareVersion
            self.iccid = iccid
            self.imsi = imsi
            self.meterType = meterType
            self.meterSerialNumber = meterSerialNumber
        }

        private static let members = ["chargePointVendor", "chargePointModel", "chargePointSerialNumber",
                                      "chargeBoxSerialNumber", "firmwareVersion", "iccid", "imsi",
                                      "meterType", "meterSerialNumber"]

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: Self.members)
            chargePointVendor = try r.string("chargePointVendor", maxLength: 20)
            chargePointModel = try r.string("chargePointModel", maxLength: 20)
            chargePointSerialNumber = try r.optionalString("chargePointSerialNumber", maxLength: 25)
            chargeBoxSerialNumber = try r.optionalString("chargeBoxSerialNumber", maxLength: 25)
            firmwareVersion = try r.optionalString("firmwareVersion", maxLength: 50)
            iccid = try r.optionalString("iccid", maxLength: 20)
            imsi = try r.optionalString("imsi", maxLength: 20)
            meterType = try r.optionalString("meterType", maxLength: 25)
            meterSerialNumber = try r.optionalString("meterSerialNumber", maxLength: 25)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("chargePointVendor", chargePointVendor)
                w.field("chargePointModel", chargePointModel)
                w.field("chargePointSerialNumber", chargePointSerialNumber)
                w.field("chargeBoxSerialNumber", chargeBoxSerialNumber)
                w.field("firmwareVersion", firmwareVersion)
                w.field("iccid", iccid)
                w.field("imsi", imsi)
                w.field("meterType", meterType)
                w.field("meterSerialNumber", meterSerialNumber)
            }
        }
    }

    /// BootNotification.conf (OCPP 1.6 §6.3).
    public struct BootNotificationResponse: OCPPPayload {
        public var status: RegistrationStatus
        public var currentTime: Timestamp
        /// Heartbeat interval when Accepted, retry interval otherwise (seconds).
        public var interval: Int

        public init(status: RegistrationStatus, currentTime: Timestamp, interval: Int) {
            self.status = status
            self.currentTime = currentTime
            self.interval = interval
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status", "currentTime", "interval"])
            status = try r.enumeration("status")
            currentTime = try r.timestamp("currentTime")
            interval = try r.integer("interval")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
                w.field("currentTime", currentTime)
                w.field("interval", interval)
            }
        }
    }
}
