extension V16 {
    /// Which trust store a root certificate belongs to (security whitepaper §6.4).
    public enum CertificateUse: String, OCPPEnum {
        /// Root of the CPO hierarchy: signs the Central System's and the charge point's certificates.
        case centralSystemRootCertificate = "CentralSystemRootCertificate"
        /// Root of the manufacturer hierarchy: verifies firmware signing certificates.
        case manufacturerRootCertificate = "ManufacturerRootCertificate"
    }

    /// The hash function of a `CertificateHashData` (security whitepaper §6.12).
    public enum HashAlgorithm: String, OCPPEnum {
        case sha256 = "SHA256"
        case sha384 = "SHA384"
        case sha512 = "SHA512"
    }

    /// Identifies an installed certificate the way OCSP does (RFC 6960 CertID; security
    /// whitepaper ed. 3 §6.1): hashes of the issuer's DER-encoded name and of the issuer's
    /// public key (the subjectPublicKey BIT STRING's value), both as hex, and the serial
    /// number as hex without leading zeroes.
    public struct CertificateHashData: OCPPPayload, Hashable {
        public var hashAlgorithm: HashAlgorithm
        public var issuerNameHash: String              // CiString128
        public var issuerKeyHash: String               // CiString128
        public var serialNumber: String                // CiString40

        public init(hashAlgorithm: HashAlgorithm, issuerNameHash: String, issuerKeyHash: String, serialNumber: String) {
            self.hashAlgorithm = hashAlgorithm
            self.issuerNameHash = issuerNameHash
            self.issuerKeyHash = issuerKeyHash
            self.serialNumber = serialNumber
        }

        static let members = ["hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            hashAlgorithm = try r.enumeration("hashAlgorithm")
            issuerNameHash = try r.string("issuerNameHash", maxLength: 128)
            issuerKeyHash = try r.string("issuerKeyHash", maxLength: 128)
            serialNumber = try r.string("serialNumber", maxLength: 40)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("hashAlgorithm", hashAlgorithm)
                w.field("issuerNameHash", issuerNameHash)
                w.field("issuerKeyHash", issuerKeyHash)
                w.field("serialNumber", serialNumber)
            }
        }
    }

    /// The answer to GetInstalledCertificateIds.req (security whitepaper §6.11).
    public enum GetInstalledCertificateStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case notFound = "NotFound"
    }

    /// GetInstalledCertificateIds.req (security whitepaper §5.7): which root certificates of
    /// one type are installed.
    public struct GetInstalledCertificateIdsRequest: OCPPRequest {
        public typealias Response = GetInstalledCertificateIdsResponse
        public static let action = Action.getInstalledCertificateIds.rawValue

        public var certificateType: CertificateUse

        public init(certificateType: CertificateUse) {
            self.certificateType = certificateType
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["certificateType"])
            certificateType = try r.enumeration("certificateType")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("certificateType", certificateType)
            }
        }
    }

    /// GetInstalledCertificateIds.conf (security whitepaper §5.8): NotFound carries no hash data.
    public struct GetInstalledCertificateIdsResponse: OCPPPayload {
        public var status: GetInstalledCertificateStatus
        public var certificateHashData: [CertificateHashData]?   // minItems 1

        public init(status: GetInstalledCertificateStatus, certificateHashData: [CertificateHashData]? = nil) {
            self.status = status
            self.certificateHashData = certificateHashData
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status", "certificateHashData"])
            status = try r.enumeration("status")
            certificateHashData = try r.optionalArray("certificateHashData", minItems: 1) { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: CertificateHashData.members, CertificateHashData.init(reader:))
            }
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
                w.field("certificateHashData", certificateHashData)
            }
        }
    }
}
