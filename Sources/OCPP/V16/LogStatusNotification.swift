extension V16 {
    /// Progress of a log upload (security whitepaper, UploadLogStatusEnumType). Idle only
    /// in a notification triggered by ExtendedTriggerMessage while no upload runs.
    public enum UploadLogStatus: String, OCPPEnum {
        case badMessage = "BadMessage"
        case idle = "Idle"
        case notSupportedOperation = "NotSupportedOperation"
        case permissionDenied = "PermissionDenied"
        case uploaded = "Uploaded"
        case uploadFailure = "UploadFailure"
        case uploading = "Uploading"
    }

    /// LogStatusNotification.req (security whitepaper): progress of the upload GetLog.req started.
    public struct LogStatusNotificationRequest: OCPPRequest {
        public typealias Response = LogStatusNotificationResponse
        public static let action = Action.logStatusNotification.rawValue

        public var status: UploadLogStatus
        /// The GetLog.req's requestId; absent with Idle.
        public var requestId: Int?

        public init(status: UploadLogStatus, requestId: Int? = nil) {
            self.status = status
            self.requestId = requestId
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status", "requestId"])
            status = try r.enumeration("status")
            requestId = try r.optionalInteger("requestId")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
                w.field("requestId", requestId)
            }
        }
    }

    /// LogStatusNotification.conf: no fields.
    public struct LogStatusNotificationResponse: EmptyPayload {
        public init() {}
    }
}
