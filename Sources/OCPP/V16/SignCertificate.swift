extension V16 {
    /// Whether the Central System can process a request (security whitepaper §6.10,
    /// GenericStatusEnumType): SignCertificate.conf's status.
    public enum GenericStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// SignCertificate.req (security whitepaper §5.17): the charge point's new public key as a
    /// PKCS#10 certificate signing request (RFC 2986), PEM encoded, for the CA to sign.
    public struct SignCertificateRequest: OCPPRequest {
        public typealias Response = SignCertificateResponse
        public static let action = Action.signCertificate.rawValue

        public var csr: String                         // string[5500]

        public init(csr: String) {
            self.csr = csr
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["csr"])
            csr = try r.string("csr", maxLength: 5500)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("csr", csr)
            }
        }
    }

    /// SignCertificate.conf (security whitepaper §5.18).
    public typealias SignCertificateResponse = StatusPayload<GenericStatus>
}
