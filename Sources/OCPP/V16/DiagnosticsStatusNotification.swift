extension V16 {
    /// Progress of a diagnostics upload (OCPP 1.6 §7.24). Idle only in a notification
    /// triggered by TriggerMessage while no upload runs.
    public enum DiagnosticsStatus: String, OCPPEnum {
        case idle = "Idle"
        case uploaded = "Uploaded"
        case uploadFailed = "UploadFailed"
        case uploading = "Uploading"
    }

    /// DiagnosticsStatusNotification.req (OCPP 1.6 §6.17).
    public struct DiagnosticsStatusNotificationRequest: OCPPRequest {
        public typealias Response = DiagnosticsStatusNotificationResponse
        public static let action = Action.diagnosticsStatusNotification.rawValue

        public var status: DiagnosticsStatus

        public init(status: DiagnosticsStatus) {
            self.status = status
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status"])
            status = try r.enumeration("status")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in w.field("status", status) }
        }
    }

    /// DiagnosticsStatusNotification.conf (OCPP 1.6 §6.18).
    public struct DiagnosticsStatusNotificationResponse: EmptyPayload {
        public init() {}
    }
}
