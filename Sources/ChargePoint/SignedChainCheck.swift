import OCPP

/// Why a certificate chain was refused: the techInfo of the security event that reports it.
struct CertificateRefusal: Error, Equatable {
    var text: String
    init(_ text: String) { self.text = text }
}

/// The checks of a CertificateSigned chain (security whitepaper A02.FR.06 for 1.6, OCPP 2.0.1
/// A02.FR.06-07), shared by both engines: pure, given the pending signing request, the station's
/// identity and the installed CSMS root certificates still valid `now`.
enum SignedChainCheck {
    /// The chain must parse, fit `maxSize`, belong to the key of the pending request and to this
    /// charge point (CN, O: A00.FR.509, A00.FR.511), be within its validity period, chain link by
    /// link, and end in one of `roots` when there is one (without one there is no anchor to check).
    static func validate(_ text: String, maxSize: Int, pending: SigningRequest?, identity: String, roots: [CertificateFacts],
                         services: (any CertificateServices)?, now: Timestamp) -> Result<[CertificateFacts], CertificateRefusal> {
        guard text.unicodeScalars.count <= maxSize else {
            return .failure(CertificateRefusal("certificateChain exceeds CertificateSignedMaxChainSize"))
        }
        guard let services else { return .failure(CertificateRefusal("no certificate services")) }
        guard let pending else {
            return .failure(CertificateRefusal("no certificate signing request is outstanding"))
        }
        guard let chain = services.certificates(inPEM: text, hashAlgorithm: .sha256), let leaf = chain.first else {
            return .failure(CertificateRefusal("not a PEM-encoded X.509 certificate chain"))
        }
        guard leaf.subjectKeyHash == pending.publicKeyHash else {
            return .failure(CertificateRefusal("the public key is not the one of the signing request"))
        }
        guard leaf.commonName == identity else {
            return .failure(CertificateRefusal("subject CN is not the charge point identity"))
        }
        guard let organization = leaf.organization, !organization.isEmpty else {
            return .failure(CertificateRefusal("subject has no O (organizationName)"))
        }
        for certificate in chain where certificate.notAfter <= now || certificate.notAfter < certificate.notBefore {
            return .failure(CertificateRefusal("certificate \(certificate.serialNumber) has expired"))
        }
        for (child, parent) in zip(chain, chain.dropFirst()) {
            guard parent.isCertificateAuthority, child.issuerNameHash == parent.subjectNameHash,
                  services.isSigned(child, by: parent) else {
                return .failure(CertificateRefusal("certificate \(child.serialNumber) is not signed by the next one in the chain"))
            }
        }
        if let refusal = anchorRefusal(chain[chain.count - 1], roots: roots, rootType: "CentralSystemRootCertificate",
                                       services: services) {
            return .failure(refusal)
        }
        return .success(chain)
    }

    /// Whether `top`, the last certificate of a chain, is anchored: it is one of `roots` or is
    /// signed by one. Without a root there is no anchor to check: a self-signed `top` must then
    /// verify itself, anything else is taken (a simulator ships with no roots of its own).
    /// Shared by CertificateSigned's chains and SignedUpdateFirmware's signing certificate.
    static func anchorRefusal(_ top: CertificateFacts, roots: [CertificateFacts], rootType: String,
                              services: any CertificateServices) -> CertificateRefusal? {
        if roots.isEmpty {
            if top.isSelfIssued, !services.isSigned(top, by: top) {
                return CertificateRefusal("the self-signed certificate \(top.serialNumber) does not verify")
            }
            return nil
        }
        let anchored = roots.contains { root in
            (root.subjectKeyHash == top.subjectKeyHash && root.subjectNameHash == top.subjectNameHash)
                || (root.subjectNameHash == top.issuerNameHash && services.isSigned(top, by: root))
        }
        return anchored ? nil : CertificateRefusal("not issued under an installed \(rootType)")
    }
}
