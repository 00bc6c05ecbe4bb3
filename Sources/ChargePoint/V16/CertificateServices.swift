import OCPP

/// The cryptography the Security profile needs (security whitepaper A02/A03, M03–M05): new
/// key pairs, PKCS#10 requests and X.509 parsing. The engine imports no crypto library, so
/// a module that does (`ChargePointSecurity`) implements this and the runtime passes it in
/// `EngineSettings.certificateServices`; one instance serves every charge point of a process.
public protocol CertificateServices: AnyObject, Sendable {
    /// A fresh key pair and a PKCS#10 certificate signing request for it (RFC 2986) with the
    /// subject CN = `commonName`, O = `organization`; nil when one cannot be made.
    func makeSigningRequest(commonName: String, organization: String) -> SigningRequest?

    /// The X.509 certificates PEM-encoded in `pem`, in order (a chain is leaf first), with their
    /// hashes computed with `hashAlgorithm`; nil unless `pem` holds at least one PEM block
    /// and every block is a readable certificate.
    func certificates(inPEM pem: String, hashAlgorithm: V16.HashAlgorithm) -> [CertificateFacts]?

    /// Whether `certificate`'s signature verifies with the public key of `issuer`.
    func isSigned(_ certificate: CertificateFacts, by issuer: CertificateFacts) -> Bool
}

/// A key pair made for a certificate signing request. The private key never leaves the
/// charge point over OCPP (A02.FR.05): the engine keeps it for the runtime's TLS only.
public struct SigningRequest: Sendable, Equatable {
    /// The PKCS#10 request, PEM ("CERTIFICATE REQUEST").
    public var csrPEM: String
    /// The private key, PEM (PKCS#8).
    public var privateKeyPEM: String
    /// SHA-256 of the public key's subjectPublicKey bits, hex: the `subjectKeyHash` that a
    /// certificate issued for this request will have.
    public var publicKeyHash: String

    public init(csrPEM: String, privateKeyPEM: String, publicKeyHash: String) {
        self.csrPEM = csrPEM
        self.privateKeyPEM = privateKeyPEM
        self.publicKeyHash = publicKeyHash
    }
}

/// What the engine needs to know of one certificate. Hashes are hex (lowercase) of the
/// algorithm the facts were made with, as RFC 6960's CertID and the whitepaper's
/// CertificateHashDataType define them.
public struct CertificateFacts: Sendable, Equatable {
    /// This certificate alone, PEM.
    public var pem: String
    /// The serial number as hex without leading zeroes ("FFF" for 4095).
    public var serialNumber: String
    /// Hash of the DER encoding of the issuer's name field.
    public var issuerNameHash: String
    /// Hash of the DER encoding of the subject's name field: the `issuerNameHash` of the
    /// certificates this one issues.
    public var subjectNameHash: String
    /// Hash of the value of the subjectPublicKey BIT STRING: the `issuerKeyHash` of the
    /// certificates this one issues.
    public var subjectKeyHash: String
    public var commonName: String?
    public var organization: String?
    public var notBefore: Timestamp
    public var notAfter: Timestamp
    /// The basicConstraints extension says cA = true.
    public var isCertificateAuthority: Bool

    public init(pem: String, serialNumber: String, issuerNameHash: String, subjectNameHash: String,
                subjectKeyHash: String, commonName: String?, organization: String?, notBefore: Timestamp,
                notAfter: Timestamp, isCertificateAuthority: Bool) {
        self.pem = pem
        self.serialNumber = serialNumber
        self.issuerNameHash = issuerNameHash
        self.subjectNameHash = subjectNameHash
        self.subjectKeyHash = subjectKeyHash
        self.commonName = commonName
        self.organization = organization
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.isCertificateAuthority = isCertificateAuthority
    }

    /// Issuer and subject names are the same: a root (or another self-issued certificate).
    public var isSelfIssued: Bool { issuerNameHash == subjectNameHash }
}

/// `CertificateServices` held by `EngineSettings`, compared by identity so the settings stay
/// `Equatable`.
public struct CertificateServicesReference: Sendable, Equatable {
    public let services: any CertificateServices

    public init(_ services: any CertificateServices) { self.services = services }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.services === rhs.services }
}
