extension V16 {
    /// Progress of a firmware update (OCPP 1.6 §7.25). Idle only in a notification
    /// triggered by TriggerMessage while no update runs.
    public enum FirmwareStatus: String, OCPPEnum {
        case downloaded = "Downloaded"
        case downloadFailed = "DownloadFailed"
        case downloading = "Downloading"
        case idle = "Idle"
        case installationFailed = "InstallationFailed"
        case installing = "Installing"
        case installed = "Installed"
    }

    /// FirmwareStatusNotification.req (OCPP 1.6 §6.19).
    public struct FirmwareStatusNotificationRequest: OCPPRequest {
        public typealias Response = FirmwareStatusNotificationResponse
        public static let action = Action.firmwareStatusNotification.rawValue

        public var status: FirmwareStatus

        public init(status: FirmwareStatus) {
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

    /// FirmwareStatusNotification.conf (OCPP 1.6 §6.20).
    public struct FirmwareStatusNotificationResponse: EmptyPayload {
        public init() {}
    }
}
