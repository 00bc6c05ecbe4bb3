extension V16 {
    /// The answer to InstallCertificate.req (security whitepaper §6.3, CertificateStatusEnumType;
    /// the JSON schema names it InstallCertificateStatusEnumType): Rejected for an invalid
    /// certificate or a full store (M05.FR.03, M05.FR.06), Failed for any other reason.
    public enum InstallCertificateStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case failed = "Failed"
        case rejected = "Rejected"
    }

    /// InstallCertificate.req (security whitepaper §5.11): a root certificate for the charge
    /// point's trust store, PEM encoded.
    public struct InstallCertificateRequest: OCPPRequest {
        public typealias Response = InstallCertificateResponse
        public static let action = Action.installCertificate.rawValue

        public var certificateType: CertificateUse
        public var certificate: String                 // string[5500]

        public init(certificateType: CertificateUse, certificate: String) {
            self.certificateType = certificateType
            self.certificate = certificate
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["certificateType", "certificate"])
            certificateType = try r.enumeration("certificateType")
            certificate = try r.string("certificate", maxLength: 5500)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("certificateType", certificateType)
                w.field("certificate", certificate)
            }
        }
    }

    /// InstallCertificate.conf (security whitepaper §5.12).
    public typealias InstallCertificateResponse = StatusPayload<InstallCertificateStatus>
}
