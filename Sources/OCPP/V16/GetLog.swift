extension V16 {
    /// Which log a GetLog.req asks for (security whitepaper, LogEnumType).
    public enum LogType: String, OCPPEnum {
        case diagnosticsLog = "DiagnosticsLog"
        case securityLog = "SecurityLog"
    }

    /// The answer to GetLog.req (security whitepaper, LogStatusEnumType): AcceptedCanceled
    /// means accepted, and an upload that was running is canceled.
    public enum LogStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        case acceptedCanceled = "AcceptedCanceled"
    }

    /// Where to upload a log and which period it covers (security whitepaper, LogParametersType).
    public struct LogParameters: OCPPPayload {
        public var remoteLocation: String              // string[0..512], a URL
        public var oldestTimestamp: Timestamp?
        public var latestTimestamp: Timestamp?

        public init(remoteLocation: String, oldestTimestamp: Timestamp? = nil, latestTimestamp: Timestamp? = nil) {
            self.remoteLocation = remoteLocation
            self.oldestTimestamp = oldestTimestamp
            self.latestTimestamp = latestTimestamp
        }

        static let members = ["remoteLocation", "oldestTimestamp", "latestTimestamp"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            remoteLocation = try r.string("remoteLocation", maxLength: 512)
            oldestTimestamp = try r.optionalTimestamp("oldestTimestamp")
            latestTimestamp = try r.optionalTimestamp("latestTimestamp")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("remoteLocation", remoteLocation)
                w.field("oldestTimestamp", oldestTimestamp)
                w.field("latestTimestamp", latestTimestamp)
            }
        }
    }

    /// GetLog.req (security whitepaper, "Get Security Log" / diagnostics log upload).
    public struct GetLogRequest: OCPPRequest {
        public typealias Response = GetLogResponse
        public static let action = Action.getLog.rawValue

        public var log: LogParameters
        public var logType: LogType
        public var requestId: Int
        public var retries: Int?
        public var retryInterval: Int?

        public init(log: LogParameters, logType: LogType, requestId: Int, retries: Int? = nil, retryInterval: Int? = nil) {
            self.log = log
            self.logType = logType
            self.requestId = requestId
            self.retries = retries
            self.retryInterval = retryInterval
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["log", "logType", "requestId", "retries", "retryInterval"])
            log = try r.object("log", LogParameters.init(reader:), known: LogParameters.members)
            logType = try r.enumeration("logType")
            requestId = try r.integer("requestId")
            retries = try r.optionalInteger("retries")
            retryInterval = try r.optionalInteger("retryInterval")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("log", log)
                w.field("logType", logType)
                w.field("requestId", requestId)
                w.field("retries", retries)
                w.field("retryInterval", retryInterval)
            }
        }
    }

    /// GetLog.conf: whether the upload will happen and the name of the file.
    public struct GetLogResponse: OCPPPayload {
        public var status: LogStatus
        public var filename: String?                   // string[0..255]

        public init(status: LogStatus, filename: String? = nil) {
            self.status = status
            self.filename = filename
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status", "filename"])
            status = try r.enumeration("status")
            filename = try r.optionalString("filename", maxLength: 255)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
                w.field("filename", filename)
            }
        }
    }
}
