extension V16 {
    /// The answer to CertificateSigned.req (security whitepaper §6.2).
    public enum CertificateSignedStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// CertificateSigned.req (security whitepaper §5.1): the charge point's certificate, signed
    /// by the CA from the CSR of SignCertificate.req, leaf first, followed by any sub-CA
    /// certificates, PEM encoded.
    public struct CertificateSignedRequest: OCPPRequest {
        public typealias Response = CertificateSignedResponse
        public static let action = Action.certificateSigned.rawValue

        public var certificateChain: String            // string[10000]

        public init(certificateChain: String) {
            self.certificateChain = certificateChain
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["certificateChain"])
            certificateChain = try r.string("certificateChain", maxLength: 10_000)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("certificateChain", certificateChain)
            }
        }
    }

    /// CertificateSigned.conf (security whitepaper §5.2).
    public typealias CertificateSignedResponse = StatusPayload<CertificateSignedStatus>
}
