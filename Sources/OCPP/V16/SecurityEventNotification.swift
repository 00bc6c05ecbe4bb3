extension V16 {
    /// The security events the whitepaper lists ("Improved security for OCPP 1.6-J", ed. 2, §8),
    /// with their criticality: a critical event is pushed to the Central System and queued
    /// while offline (A04.FR.01, A04.FR.02). SecurityEventNotification.req's `type` is a free
    /// string (a vendor may send its own); these are the standard ones.
    public enum SecurityEventType: String, Sendable, CaseIterable {
        case firmwareUpdated = "FirmwareUpdated"
        case failedToAuthenticateAtCentralSystem = "FailedToAuthenticateAtCentralSystem"
        case centralSystemFailedToAuthenticate = "CentralSystemFailedToAuthenticate"
        case settingSystemTime = "SettingSystemTime"
        case startupOfTheDevice = "StartupOfTheDevice"
        case resetOrReboot = "ResetOrReboot"
        case securityLogWasCleared = "SecurityLogWasCleared"
        case reconfigurationOfSecurityParameters = "ReconfigurationOfSecurityParameters"
        case memoryExhaustion = "MemoryExhaustion"
        case invalidMessages = "InvalidMessages"
        case attemptedReplayAttacks = "AttemptedReplayAttacks"
        case tamperDetectionActivated = "TamperDetectionActivated"
        case invalidFirmwareSignature = "InvalidFirmwareSignature"
        case invalidFirmwareSigningCertificate = "InvalidFirmwareSigningCertificate"
        case invalidCentralSystemCertificate = "InvalidCentralSystemCertificate"
        case invalidChargePointCertificate = "InvalidChargePointCertificate"
        case invalidTLSVersion = "InvalidTLSVersion"
        case invalidTLSCipherSuite = "InvalidTLSCipherSuite"

        /// Whether the whitepaper's table marks the event critical.
        public var isCritical: Bool {
            switch self {
            case .firmwareUpdated, .settingSystemTime, .startupOfTheDevice, .resetOrReboot,
                 .securityLogWasCleared, .memoryExhaustion, .tamperDetectionActivated:
                return true
            case .failedToAuthenticateAtCentralSystem, .centralSystemFailedToAuthenticate,
                 .reconfigurationOfSecurityParameters, .invalidMessages, .attemptedReplayAttacks,
                 .invalidFirmwareSignature, .invalidFirmwareSigningCertificate, .invalidCentralSystemCertificate,
                 .invalidChargePointCertificate, .invalidTLSVersion, .invalidTLSCipherSuite:
                return false
            }
        }
    }

    /// SecurityEventNotification.req (security whitepaper §5.15): a security event happened.
    public struct SecurityEventNotificationRequest: OCPPRequest {
        public typealias Response = SecurityEventNotificationResponse
        public static let action = Action.securityEventNotification.rawValue

        /// One of `SecurityEventType`'s raw values, or a vendor's own.
        public var type: String                        // string[50]
        /// When the event occurred (not when it was sent).
        public var timestamp: Timestamp
        public var techInfo: String?                   // string[255]

        public init(type: String, timestamp: Timestamp, techInfo: String? = nil) {
            self.type = type
            self.timestamp = timestamp
            self.techInfo = techInfo
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["type", "timestamp", "techInfo"])
            type = try r.string("type", maxLength: 50)
            timestamp = try r.timestamp("timestamp")
            techInfo = try r.optionalString("techInfo", maxLength: 255)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("type", type)
                w.field("timestamp", timestamp)
                w.field("techInfo", techInfo)
            }
        }
    }

    /// SecurityEventNotification.conf (security whitepaper §5.16): no fields.
    public struct SecurityEventNotificationResponse: EmptyPayload {
        public init() {}
    }
}
