import OCPP

/// The station's own certificate (A02, A03): the key pair of the pending signing request, and
/// the chain the CSMS signed for it with its private key, for the runtime's TLS only.
struct StationCertificateV201: Sendable {
    var pending: SigningRequest?
    var chain: [CertificateFacts] = []
    var privateKeyPEM: String?
}

/// Functional block A's certificate part: TriggerMessage(SignChargingStationCertificate) makes a
/// key pair and a CSR (CN = identity, O = SecurityCtrlr.OrganizationName) with the injected
/// `CertificateServices`, sends SignCertificate, and CertificateSigned installs the chain after
/// the checks the 1.6 security profile uses (`SignedChainCheck`); a refused chain is a
/// SecurityEventNotification InvalidChargingStationCertificate.
extension ChargePointV201 {
    /// The most a CertificateSigned chain may be (characters).
    static let maxCertificateChainSize = 10_000

    private var certificateServices: (any CertificateServices)? { settings.certificateServices?.services }

    /// The station's certificate chain, leaf first, PEM; nil before a CertificateSigned was accepted.
    public var clientCertificatePEM: String? {
        guard let chain = stationCertificate?.value.chain, !chain.isEmpty else { return nil }
        return chain.map(\.pem).joined()
    }

    /// The private key of `clientCertificatePEM`, for the TLS handshake only (A02.FR.05).
    public var clientPrivateKeyPEM: String? { stationCertificate?.value.privateKeyPEM }

    /// A02.FR.02-03: false (the trigger is Rejected) without certificate services or an
    /// OrganizationName, or when no key pair could be made.
    mutating func requestStationCertificate(into out: inout [EngineOutput]) -> Bool {
        let organization = deviceModel.string(.organizationName)
        guard let services = certificateServices, !organization.isEmpty else { return false }
        if queue.contains(where: { $0.action == .signCertificate }) { return true }
        guard let request = services.makeSigningRequest(commonName: identity.id, organization: organization),
              request.csrPEM.unicodeScalars.count <= 5500 else { return false }
        var certificate = stationCertificate?.value ?? StationCertificateV201()
        certificate.pending = request
        stationCertificate = .value(certificate)
        enqueue(.other(.signCertificate, payload: V201.SignCertificateRequest(
            csr: request.csrPEM, certificateType: .chargingStationCertificate).encoded), into: &out)
        return true
    }

    mutating func certificateSigned(_ request: V201.CertificateSignedRequest, now: Timestamp,
                                    into out: inout [EngineOutput]) -> V201.CertificateSignedResponse {
        guard request.certificateType != .v2GCertificate else {
            return V201.CertificateSignedResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "NoISO15118"))
        }
        var certificate = stationCertificate?.value ?? StationCertificateV201()
        switch SignedChainCheck.validate(request.certificateChain, maxSize: Self.maxCertificateChainSize,
                                         pending: certificate.pending, identity: identity.id, roots: [],
                                         services: certificateServices, now: now) {
        case .failure(let refusal):
            // A02.FR.07: discard it and report; the key pair stays for a corrected chain.
            enqueue(.other(.securityEventNotification, payload: V201.SecurityEventNotificationRequest(
                type: "InvalidChargingStationCertificate", timestamp: now, techInfo: String(refusal.text.prefix(255))).encoded),
                    into: &out)
            return V201.CertificateSignedResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "InvalidCertificate"))
        case .success(let chain):
            // A02.FR.08-09: the new certificate is used from now on.
            certificate.chain = chain
            certificate.privateKeyPEM = certificate.pending?.privateKeyPEM
            certificate.pending = nil
            stationCertificate = .value(certificate)
            return V201.CertificateSignedResponse(status: .accepted)
        }
    }
}
