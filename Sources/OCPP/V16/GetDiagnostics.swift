extension V16 {
    /// GetDiagnostics.req (OCPP 1.6 §6.21): upload diagnostics of the given window to `location`.
    public struct GetDiagnosticsRequest: OCPPRequest {
        public typealias Response = GetDiagnosticsResponse
        public static let action = Action.getDiagnostics.rawValue

        /// A URI (the schema says `format: uri`, which no 1.6 validator checks).
        public var location: String
        public var retries: Int?
        public var retryInterval: Int?
        /// Oldest and latest moment of the requested diagnostics.
        public var startTime: Timestamp?
        public var stopTime: Timestamp?

        public init(location: String, retries: Int? = nil, retryInterval: Int? = nil,
                    startTime: Timestamp? = nil, stopTime: Timestamp? = nil) {
            self.location = location
            self.retries = retries
            self.retryInterval = retryInterval
            self.startTime = startTime
            self.stopTime = stopTime
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["location", "retries", "retryInterval", "startTime", "stopTime"])
            location = try r.string("location")
            retries = try r.optionalInteger("retries")
            retryInterval = try r.optionalInteger("retryInterval")
            startTime = try r.optionalTimestamp("startTime")
            stopTime = try r.optionalTimestamp("stopTime")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("location", location)
                w.field("retries", retries)
                w.field("retryInterval", retryInterval)
                w.field("startTime", startTime)
                w.field("stopTime", stopTime)
            }
        }
    }

    /// GetDiagnostics.conf (OCPP 1.6 §6.22): the file that will be uploaded; absent when
    /// there are no diagnostics to upload.
    public struct GetDiagnosticsResponse: OCPPPayload {
        public var fileName: String?                   // CiString255

        public init(fileName: String? = nil) {
            self.fileName = fileName
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["fileName"])
            fileName = try r.optionalString("fileName", maxLength: 255)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("fileName", fileName)
            }
        }
    }
}
