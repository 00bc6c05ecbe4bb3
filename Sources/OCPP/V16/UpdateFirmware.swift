extension V16 {
    /// UpdateFirmware.req (OCPP 1.6 §6.55): download the firmware at `location` after
    /// `retrieveDate` and install it.
    public struct UpdateFirmwareRequest: OCPPRequest {
        public typealias Response = UpdateFirmwareResponse
        public static let action = Action.updateFirmware.rawValue

        /// A URI (the schema says `format: uri`, which no 1.6 validator checks).
        public var location: String
        /// How many times to retry a failed download; absent: the charge point decides.
        public var retries: Int?
        public var retrieveDate: Timestamp
        /// Seconds between attempts; absent: the charge point decides.
        public var retryInterval: Int?

        public init(location: String, retries: Int? = nil, retrieveDate: Timestamp, retryInterval: Int? = nil) {
            self.location = location
            self.retries = retries
            self.retrieveDate = retrieveDate
            self.retryInterval = retryInterval
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["location", "retries", "retrieveDate", "retryInterval"])
            location = try r.string("location")
            retries = try r.optionalInteger("retries")
            retrieveDate = try r.timestamp("retrieveDate")
            retryInterval = try r.optionalInteger("retryInterval")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("location", location)
                w.field("retries", retries)
                w.field("retrieveDate", retrieveDate)
                w.field("retryInterval", retryInterval)
            }
        }
    }

    /// UpdateFirmware.conf (OCPP 1.6 §6.56): no fields; progress follows in FirmwareStatusNotification.
    public struct UpdateFirmwareResponse: EmptyPayload {
        public init() {}
    }
}
