extension V16 {
    /// The answer to SignedUpdateFirmware.req (security whitepaper, UpdateFirmwareStatusEnumType).
    public enum UpdateFirmwareStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
        /// Accepted; an update that was running is canceled.
        case acceptedCanceled = "AcceptedCanceled"
        case invalidCertificate = "InvalidCertificate"
        case revokedCertificate = "RevokedCertificate"
    }

    /// The firmware to install and how to check it (security whitepaper, FirmwareType).
    public struct Firmware: OCPPPayload {
        public var location: String                    // string[0..512], a URI
        public var retrieveDateTime: Timestamp
        /// Absent: install as soon as the download is verified.
        public var installDateTime: Timestamp?
        public var signingCertificate: String          // string[0..5500], PEM
        public var signature: String                   // string[0..800], Base64

        public init(location: String, retrieveDateTime: Timestamp, installDateTime: Timestamp? = nil,
                    signingCertificate: String, signature: String) {
            self.location = location
            self.retrieveDateTime = retrieveDateTime
            self.installDateTime = installDateTime
            self.signingCertificate = signingCertificate
            self.signature = signature
        }

        static let members = ["location", "retrieveDateTime", "installDateTime", "signingCertificate", "signature"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            location = try r.string("location", maxLength: 512)
            retrieveDateTime = try r.timestamp("retrieveDateTime")
            installDateTime = try r.optionalTimestamp("installDateTime")
            signingCertificate = try r.string("signingCertificate", maxLength: 5500)
            signature = try r.string("signature", maxLength: 800)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("location", location)
                w.field("retrieveDateTime", retrieveDateTime)
                w.field("installDateTime", installDateTime)
                w.field("signingCertificate", signingCertificate)
                w.field("signature", signature)
            }
        }
    }

    /// SignedUpdateFirmware.req (security whitepaper, "Secure firmware update").
    public struct SignedUpdateFirmwareRequest: OCPPRequest {
        public typealias Response = SignedUpdateFirmwareResponse
        public static let action = Action.signedUpdateFirmware.rawValue

        public var retries: Int?
        public var retryInterval: Int?
        public var requestId: Int
        public var firmware: Firmware

        public init(retries: Int? = nil, retryInterval: Int? = nil, requestId: Int, firmware: Firmware) {
            self.retries = retries
            self.retryInterval = retryInterval
            self.requestId = requestId
            self.firmware = firmware
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["retries", "retryInterval", "requestId", "firmware"])
            retries = try r.optionalInteger("retries")
            retryInterval = try r.optionalInteger("retryInterval")
            requestId = try r.integer("requestId")
            firmware = try r.object("firmware", Firmware.init(reader:), known: Firmware.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("retries", retries)
                w.field("retryInterval", retryInterval)
                w.field("requestId", requestId)
                w.field("firmware", firmware)
            }
        }
    }

    /// SignedUpdateFirmware.conf.
    public typealias SignedUpdateFirmwareResponse = StatusPayload<UpdateFirmwareStatus>
}
