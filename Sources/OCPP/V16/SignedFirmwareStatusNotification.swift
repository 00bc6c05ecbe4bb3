extension V16 {
    /// Progress of a signed firmware update (security whitepaper, FirmwareStatusEnumType).
    public enum SignedFirmwareStatus: String, OCPPEnum {
        case downloaded = "Downloaded"
        case downloadFailed = "DownloadFailed"
        case downloading = "Downloading"
        case downloadScheduled = "DownloadScheduled"
        case downloadPaused = "DownloadPaused"
        case idle = "Idle"
        case installationFailed = "InstallationFailed"
        case installing = "Installing"
        case installed = "Installed"
        case installRebooting = "InstallRebooting"
        case installScheduled = "InstallScheduled"
        case installVerificationFailed = "InstallVerificationFailed"
        case invalidSignature = "InvalidSignature"
        case signatureVerified = "SignatureVerified"
    }

    /// SignedFirmwareStatusNotification.req (security whitepaper).
    public struct SignedFirmwareStatusNotificationRequest: OCPPRequest {
        public typealias Response = SignedFirmwareStatusNotificationResponse
        public static let action = Action.signedFirmwareStatusNotification.rawValue

        public var status: SignedFirmwareStatus
        /// The SignedUpdateFirmware.req's requestId; absent with Idle.
        public var requestId: Int?

        public init(status: SignedFirmwareStatus, requestId: Int? = nil) {
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

    /// SignedFirmwareStatusNotification.conf: no fields.
    public struct SignedFirmwareStatusNotificationResponse: EmptyPayload {
        public init() {}
    }
}
