import OCPP

/// The certificates of one charge point (security whitepaper A02, A03, M03–M05): the root
/// certificates installed by the Central System and the charge point's own certificate with
/// its key. The cryptography is `EngineSettings.certificateServices`'.
struct CertificateStore: Sendable {
    struct Installed: Sendable {
        var type: V16.CertificateUse
        /// Facts with SHA-256 hashes, as reported by GetInstalledCertificateIds.
        var facts: CertificateFacts
        var hashData: V16.CertificateHashData
    }

    /// The certificate a connection with security profile 3 presents, and its key.
    struct Client: Sendable {
        /// Leaf first, then the sub-CA certificates that came with it.
        var chain: [CertificateFacts]
        var privateKeyPEM: String
        /// A03: a renewal was started for this certificate.
        var renewalRequested = false
    }

    var installed: [Installed] = []
    var client: Client?
    /// The key pair of the SignCertificate.req in progress, until CertificateSigned.req.
    var pending: SigningRequest?
}

extension ChargePointV16 {
    /// A03: renew the charge point certificate this long before it expires.
    static let certificateRenewalLead = Interval.seconds(30 * 86_400)

    // MARK: state read by the runtime

    /// The charge point certificate chain (PEM, leaf first) accepted in CertificateSigned.req,
    /// for a TLS connection with security profile 3; nil until one was accepted.
    public var clientCertificatePEM: String? {
        security.store?.value.client.map { $0.chain.map(\.pem).joined() }
    }

    /// The private key of `clientCertificatePEM` (PEM), for the TLS handshake only (A02.FR.05).
    public var clientPrivateKeyPEM: String? { security.store?.value.client?.privateKeyPEM }

    /// The installed root certificates of `type`, PEM, oldest first: for
    /// CentralSystemRootCertificate, the trust anchors a TLS connection verifies the Central
    /// System with.
    public func installedCertificatesPEM(_ type: V16.CertificateUse) -> [String] {
        security.store?.value.installed.filter { $0.type == type }.map(\.facts.pem) ?? []
    }

    private var certificateServices: (any CertificateServices)? { settings.certificateServices?.services }

    private var certificateStore: CertificateStore {
        get { security.store?.value ?? CertificateStore() }
        set { security.store = .value(newValue) }
    }

    // MARK: SignCertificate (A02, A03)

    /// ExtendedTriggerMessage(SignChargePointCertificate): starts a SignCertificate.req;
    /// false when the charge point cannot (the trigger is then Rejected): no certificate
    /// services, CpoName not set (A02 prerequisite) or no key pair could be made.
    mutating func triggerSignCertificate(now: Timestamp, into out: inout [EngineOutput]) -> Bool {
        guard let services = certificateServices, !configuration.cpoName.isEmpty else { return false }
        // One on its way already: a second would orphan the first key pair.
        if queue.contains(where: { $0.action == .signCertificate }) { return true }
        return requestCertificate(services, into: &out)
    }

    /// A02.FR.02–03, A02.FR.13: a new key pair, and its CSR with CN = the charge point's
    /// identity and O = CpoName.
    private mutating func requestCertificate(_ services: any CertificateServices, into out: inout [EngineOutput]) -> Bool {
        guard let request = services.makeSigningRequest(commonName: identity.id, organization: configuration.cpoName),
              request.csrPEM.unicodeScalars.count <= 5500 else { return false }
        certificateStore.pending = request
        enqueue(.feature(.signCertificate, payload: V16.SignCertificateRequest(csr: request.csrPEM).encoded), into: &out)
        return true
    }

    /// A03.FR.02: when the charge point certificate expires within a month, once per certificate.
    var certificateRenewalDue: Timestamp? {
        guard isConnected, registration == .accepted, !isQuiescing, certificateServices != nil,
              let client = security.store?.value.client, !client.renewalRequested, let leaf = client.chain.first
        else { return nil }
        return Timestamp(microseconds: leaf.notAfter.microseconds - Self.certificateRenewalLead.microseconds)
    }

    mutating func renewCertificateIfDue(now: Timestamp, into out: inout [EngineOutput]) {
        guard let due = certificateRenewalDue, due <= now, let services = certificateServices else { return }
        certificateStore.client?.renewalRequested = true
        guard !configuration.cpoName.isEmpty, !queue.contains(where: { $0.action == .signCertificate }) else { return }
        _ = requestCertificate(services, into: &out)
    }

    // MARK: CertificateSigned (A02.FR.06–10)

    mutating func certificateSigned(_ request: V16.CertificateSignedRequest, now: Timestamp,
                                    into out: inout [EngineOutput]) -> V16.CertificateSignedResponse {
        switch validateSignedChain(request.certificateChain, now: now) {
        case .failure(let reason):
            // A02.FR.07: discard it and report; the key pair stays for a corrected certificate.
            securityEvent(.invalidChargePointCertificate, techInfo: reason.text, now: now, into: &out)
            return V16.CertificateSignedResponse(status: .rejected)
        case .success(let chain):
            var store = certificateStore
            guard let key = store.pending?.privateKeyPEM else { return V16.CertificateSignedResponse(status: .rejected) }
            // A02.FR.08–09: the newest certificate is used from now on; no fallback is kept.
            store.client = CertificateStore.Client(chain: chain, privateKeyPEM: key)
            store.pending = nil
            certificateStore = store
            // TC_074: with client certificates in use, reconnect with the new one.
            if configuration.securityProfile == 3 { security.reconnectAt = now }
            return V16.CertificateSignedResponse(status: .accepted)
        }
    }

    /// A02.FR.06, checked by `SignedChainCheck` against this charge point's pending request and
    /// installed CentralSystemRootCertificates.
    private func validateSignedChain(_ text: String, now: Timestamp) -> Result<[CertificateFacts], CertificateRefusal> {
        SignedChainCheck.validate(text, maxSize: Configuration.certificateSignedMaxChainSize, pending: security.store?.value.pending,
                                  identity: identity.id, roots: validRoots(.centralSystemRootCertificate, now: now),
                                  services: certificateServices, now: now)
    }

    // MARK: SignedUpdateFirmware's signing certificate (L01)

    /// Why the firmware signing certificate of a SignedUpdateFirmware.req is refused, nil when
    /// it is valid (whitepaper L01 step 2, L01.FR.12, .23–24): it must be one readable X.509
    /// certificate (the first PEM block: no intermediates, L01 remark), valid now, and issued
    /// under an installed ManufacturerRootCertificate when there is one (`SignedChainCheck`'s
    /// anchor rule). Without certificate services only the PEM framing can be checked.
    func firmwareSigningCertificateRefusal(_ pem: String, now: Timestamp) -> CertificateRefusal? {
        guard let services = certificateServices else {
            return pem.contains("-----BEGIN CERTIFICATE-----") ? nil : CertificateRefusal("signing certificate is not PEM")
        }
        guard let signer = services.certificates(inPEM: pem, hashAlgorithm: .sha256)?.first else {
            return CertificateRefusal("signing certificate is not a PEM-encoded X.509 certificate")
        }
        guard signer.notBefore <= now, now < signer.notAfter else {
            return CertificateRefusal("signing certificate \(signer.serialNumber) is not valid now")
        }
        return SignedChainCheck.anchorRefusal(signer, roots: validRoots(.manufacturerRootCertificate, now: now),
                                              rootType: "ManufacturerRootCertificate", services: services)
    }

    // MARK: InstallCertificate (M05)

    mutating func installCertificate(_ request: V16.InstallCertificateRequest, now: Timestamp) -> V16.InstallCertificateResponse {
        guard let services = certificateServices else { return V16.InstallCertificateResponse(status: .failed) }
        // M05.FR.06: a single, readable CA certificate within its validity period.
        guard let parsed = services.certificates(inPEM: request.certificate, hashAlgorithm: .sha256), parsed.count == 1,
              let certificate = parsed.first, certificate.isCertificateAuthority, certificate.notAfter > now else {
            return V16.InstallCertificateResponse(status: .rejected)
        }
        var store = certificateStore
        // Its CertID needs the issuer's key: its own (a root), or an installed issuer's.
        let issuer: CertificateFacts?
        if certificate.isSelfIssued {
            issuer = services.isSigned(certificate, by: certificate) ? certificate : nil
        } else {
            issuer = store.installed.map(\.facts).first {
                $0.subjectNameHash == certificate.issuerNameHash && services.isSigned(certificate, by: $0)
            }
        }
        guard let issuer else { return V16.InstallCertificateResponse(status: .rejected) }
        let hashData = V16.CertificateHashData(hashAlgorithm: .sha256, issuerNameHash: certificate.issuerNameHash,
                                               issuerKeyHash: issuer.subjectKeyHash, serialNumber: certificate.serialNumber)
        if store.installed.contains(where: { $0.type == request.certificateType && $0.hashData == hashData }) {
            return V16.InstallCertificateResponse(status: .accepted)  // already there
        }
        // M05.FR.03: no room left.
        guard store.installed.count < Configuration.certificateStoreMaxLength else {
            return V16.InstallCertificateResponse(status: .rejected)
        }
        store.installed.append(CertificateStore.Installed(type: request.certificateType, facts: certificate, hashData: hashData))
        certificateStore = store
        return V16.InstallCertificateResponse(status: .accepted)
    }

    // MARK: GetInstalledCertificateIds (M03)

    func installedCertificateIds(_ request: V16.GetInstalledCertificateIdsRequest) -> V16.GetInstalledCertificateIdsResponse {
        let hashData = security.store?.value.installed.filter { $0.type == request.certificateType }.map(\.hashData) ?? []
        // M03.FR.02–04.
        return hashData.isEmpty ? V16.GetInstalledCertificateIdsResponse(status: .notFound)
            : V16.GetInstalledCertificateIdsResponse(status: .accepted, certificateHashData: hashData)
    }

    // MARK: DeleteCertificate (M04)

    mutating func deleteCertificate(_ request: V16.DeleteCertificateRequest, now: Timestamp) -> V16.DeleteCertificateResponse {
        let wanted = request.certificateHashData
        var store = certificateStore
        // M04.FR.07: the Central System names the certificate with the algorithm of its
        // installation; for another algorithm than ours the hashes are computed anew.
        let installed: [V16.CertificateHashData]
        let client: V16.CertificateHashData?
        if wanted.hashAlgorithm == .sha256 {
            installed = store.installed.map(\.hashData)
            client = store.client.flatMap { clientHashData($0.chain, store: store, algorithm: .sha256) }
        } else {
            guard let services = certificateServices else { return V16.DeleteCertificateResponse(status: .notFound) }
            let rehashed = store.installed.compactMap { services.certificates(inPEM: $0.facts.pem, hashAlgorithm: wanted.hashAlgorithm)?.first }
            guard rehashed.count == store.installed.count else { return V16.DeleteCertificateResponse(status: .failed) }
            installed = rehashed.map { facts in
                let issuer = facts.isSelfIssued ? facts : rehashed.first { $0.subjectNameHash == facts.issuerNameHash }
                return V16.CertificateHashData(hashAlgorithm: wanted.hashAlgorithm, issuerNameHash: facts.issuerNameHash,
                                               issuerKeyHash: issuer?.subjectKeyHash ?? "", serialNumber: facts.serialNumber)
            }
            client = store.client.flatMap { current in
                services.certificates(inPEM: current.chain.map(\.pem).joined(), hashAlgorithm: wanted.hashAlgorithm)
                    .flatMap { clientHashData($0, store: store, algorithm: wanted.hashAlgorithm) }
            }
        }
        // M04.FR.05: the charge point certificate cannot be deleted this way.
        if let client, Self.sameCertificate(client, wanted) { return V16.DeleteCertificateResponse(status: .failed) }
        guard let index = installed.firstIndex(where: { Self.sameCertificate($0, wanted) }) else {
            return V16.DeleteCertificateResponse(status: .notFound)                                              // M04.FR.04
        }
        // M04.FR.06: a CentralSystemRootCertificate in use to verify the Central System stays.
        // Which root verified the connection is the transport's knowledge; the engine knows
        // that with TLS (profile 2, 3) the last one is necessarily the one in use.
        if store.installed[index].type == .centralSystemRootCertificate, configuration.securityProfile >= 2,
           store.installed.filter({ $0.type == .centralSystemRootCertificate }).count == 1 {
            return V16.DeleteCertificateResponse(status: .failed)
        }
        store.installed.remove(at: index)
        certificateStore = store
        return V16.DeleteCertificateResponse(status: .accepted)                                                  // M04.FR.02
    }

    /// The CertID of the charge point certificate: its issuer is the next certificate of
    /// its chain, or an installed root.
    private func clientHashData(_ chain: [CertificateFacts], store: CertificateStore,
                                algorithm: V16.HashAlgorithm) -> V16.CertificateHashData? {
        guard let leaf = chain.first else { return nil }
        let issuer = chain.count > 1 ? chain[1] : store.installed.map(\.facts).first { $0.subjectNameHash == leaf.issuerNameHash }
        guard let issuer, algorithm == .sha256 || chain.count > 1 else { return nil }
        return V16.CertificateHashData(hashAlgorithm: algorithm, issuerNameHash: leaf.issuerNameHash,
                                       issuerKeyHash: issuer.subjectKeyHash, serialNumber: leaf.serialNumber)
    }

    /// CertificateHashDataType's strings are case-insensitive (CiString); a serial number
    /// may come with leading zeroes from a lenient Central System.
    static func sameCertificate(_ a: V16.CertificateHashData, _ b: V16.CertificateHashData) -> Bool {
        func serial(_ text: String) -> String {
            let digits = text.uppercased().drop { $0 == "0" }
            return digits.isEmpty ? "0" : String(digits)
        }
        return a.hashAlgorithm == b.hashAlgorithm && a.issuerNameHash.lowercased() == b.issuerNameHash.lowercased()
            && a.issuerKeyHash.lowercased() == b.issuerKeyHash.lowercased() && serial(a.serialNumber) == serial(b.serialNumber)
    }

    // MARK: prerequisites (A05)

    private func validRoots(_ type: V16.CertificateUse, now: Timestamp) -> [CertificateFacts] {
        security.store?.value.installed.filter { $0.type == type && $0.facts.notBefore <= now && now < $0.facts.notAfter }
            .map(\.facts) ?? []
    }

    func hasValidRootCertificate(_ type: V16.CertificateUse, now: Timestamp) -> Bool {
        !validRoots(type, now: now).isEmpty
    }

    func hasValidClientCertificate(now: Timestamp) -> Bool {
        guard let leaf = security.store?.value.client?.chain.first else { return false }
        return leaf.notBefore <= now && now < leaf.notAfter
    }
}
