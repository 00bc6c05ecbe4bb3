extension V16 {
    /// The answer to DeleteCertificate.req (security whitepaper §6.7).
    public enum DeleteCertificateStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case failed = "Failed"
        case notFound = "NotFound"
    }

    /// DeleteCertificate.req (security whitepaper §5.3): remove the installed root certificate
    /// with this hash data.
    public struct DeleteCertificateRequest: OCPPRequest {
        public typealias Response = DeleteCertificateResponse
        public static let action = Action.deleteCertificate.rawValue

        public var certificateHashData: CertificateHashData

        public init(certificateHashData: CertificateHashData) {
            self.certificateHashData = certificateHashData
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["certificateHashData"])
            certificateHashData = try r.object("certificateHashData", CertificateHashData.init(reader:),
                                               known: CertificateHashData.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("certificateHashData", certificateHashData)
            }
        }
    }

    /// DeleteCertificate.conf (security whitepaper §5.4).
    public typealias DeleteCertificateResponse = StatusPayload<DeleteCertificateStatus>
}
