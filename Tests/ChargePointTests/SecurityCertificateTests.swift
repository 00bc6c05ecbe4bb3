@testable import ChargePoint
import Foundation
import OCPP
import SecuritySupport
import Testing
import X509

/// Certificates valid around `ScriptedCSMS.start`, made at test time.
struct TestPKI {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)
    static let day: TimeInterval = 86_400
    let root: TestCertificateAuthority
    let manufacturer: TestCertificateAuthority

    init() throws {
        root = try TestCertificateAuthority(commonName: "CPO Root", serial: 0x0FFF, notBefore: Self.start - Self.day,
                                            notAfter: Self.start + 365 * Self.day)
        manufacturer = try TestCertificateAuthority(commonName: "Manufacturer Root", organization: "Test Manufacturer", serial: 0x80,
                                                    notBefore: Self.start - Self.day, notAfter: Self.start + 365 * Self.day)
    }
}

extension ScriptedCSMS {
    /// ExtendedTriggerMessage(SignChargePointCertificate) through the engine's seam.
    mutating func triggerSignCertificate() -> Bool {
        var accepted = false
        input {
            accepted = $0.triggerSignCertificate(now: $1, into: &$2)
            $0.pump(now: $1, into: &$2)  // as ExtendedTriggerMessage's input does after its answer
        }
        return accepted
    }

    /// Triggers a SignCertificate.req and answers it with a certificate `authority` signs
    /// (followed by `intermediates`); returns the CertificateSigned.conf status.
    @discardableResult
    mutating func obtainCertificate(from authority: TestCertificateAuthority, intermediates: String = "", serial: UInt64 = 42,
                                    validity: TimeInterval = 365 * TestPKI.day,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws -> V16.CertificateSignedStatus {
        #expect(triggerSignCertificate() == true, sourceLocation: sourceLocation)
        let request = try #require(try decoded(V16.SignCertificateRequest.self).last, sourceLocation: sourceLocation)
        let now = Date(timeIntervalSince1970: TimeInterval(self.now.microseconds / 1_000_000))
        let chain = try authority.issue(csrPEM: request.csr, serial: Certificate.SerialNumber(serial), notBefore: now,
                                        notAfter: now + validity) + intermediates
        return try call(V16.CertificateSignedRequest(certificateChain: chain), sourceLocation: sourceLocation).status
    }

    mutating func install(_ authority: TestCertificateAuthority, as type: V16.CertificateUse = .centralSystemRootCertificate,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> V16.InstallCertificateStatus {
        try call(V16.InstallCertificateRequest(certificateType: type, certificate: authority.pem), sourceLocation: sourceLocation).status
    }

    mutating func installedIds(_ type: V16.CertificateUse) throws -> V16.GetInstalledCertificateIdsResponse {
        try call(V16.GetInstalledCertificateIdsRequest(certificateType: type))
    }

    mutating func delete(_ data: V16.CertificateHashData) throws -> V16.DeleteCertificateStatus {
        try call(V16.DeleteCertificateRequest(certificateHashData: data)).status
    }
}

extension CertID {
    func hashData(_ algorithm: V16.HashAlgorithm = .sha256) -> V16.CertificateHashData {
        V16.CertificateHashData(hashAlgorithm: algorithm, issuerNameHash: issuerNameHash, issuerKeyHash: issuerKeyHash,
                                serialNumber: serialNumber)
    }

    init(_ data: V16.CertificateHashData) {
        self.init(issuerNameHash: data.issuerNameHash, issuerKeyHash: data.issuerKeyHash, serialNumber: data.serialNumber)
    }

    /// OpenSSL's computation where it is installed, and a re-encoding by swift-certificates in
    /// any case; the two must agree.
    static func expected(certificatePEM: String, issuerPEM: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CertID {
        let reencoded = try reencoded(certificatePEM: certificatePEM, issuerPEM: issuerPEM)
        if let openssl = try openssl(certificatePEM: certificatePEM, issuerPEM: issuerPEM, digest: "sha256") {
            #expect(openssl == reencoded, sourceLocation: sourceLocation)
        } else {
            print("SKIPPED the OpenSSL CertID check: openssl is not on PATH")
        }
        return reencoded
    }
}

@Suite("Charge point certificate: SignCertificate and CertificateSigned (security whitepaper A02, A03)")
struct ChargePointCertificateTests {
    @Test("SignCertificate.req carries a PKCS#10 CSR for this charge point; the signed certificate is Accepted and used")
    func signAndInstall() throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured()
        #expect(try csms.install(pki.root) == .accepted)
        #expect(csms.engine.clientCertificatePEM == nil)
        #expect(csms.triggerSignCertificate() == true)
        let request = try #require(try csms.decoded(V16.SignCertificateRequest.self).first)
        let csr = try CertificateSigningRequest(pemEncoded: request.csr)
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        let subject = csr.subject.flatMap { $0 }.map { "\($0.type == .RDNAttributeType.commonName ? "CN" : "O")=\(String($0.value) ?? "")" }
        #expect(subject == ["O=Test CPO", "CN=CP-0001"])
        let chain = try pki.root.issue(csrPEM: request.csr, serial: 42, notBefore: TestPKI.start, notAfter: TestPKI.start + 60 * TestPKI.day)
        #expect(try csms.call(V16.CertificateSignedRequest(certificateChain: chain)).status == .accepted)
        #expect(csms.engine.clientCertificatePEM == chain)
        let key = try Certificate.PrivateKey(pemEncoded: try #require(csms.engine.clientPrivateKeyPEM))
        #expect(key.publicKey == csr.publicKey)
        #expect(csms.engine.security.store?.value.pending == nil, "the request is done")
        #expect(try csms.securityEvents().map(\.type) == ["StartupOfTheDevice"])
        // The same certificate again finds no request waiting for it.
        #expect(try csms.call(V16.CertificateSignedRequest(certificateChain: chain)).status == .rejected)
        #expect(csms.engine.clientCertificatePEM == chain)
    }

    @Test("A chain through a sub-CA under the installed root is Accepted")
    func subordinateChain() throws {
        let pki = try TestPKI()
        let sub = try pki.root.subordinate(commonName: "CPO Sub-CA", serial: 9, notBefore: TestPKI.start - TestPKI.day,
                                           notAfter: TestPKI.start + 90 * TestPKI.day)
        var csms = ScriptedCSMS.secured()
        #expect(try csms.install(pki.root) == .accepted)
        #expect(try csms.obtainCertificate(from: sub, intermediates: sub.pem) == .accepted)
        #expect(csms.engine.clientCertificatePEM?.hasSuffix(sub.pem) == true)
    }

    enum BadChain: String, CaseIterable {
        case noRequest, otherKey, otherCommonName, noOrganization, expired, brokenChain, foreignRoot, notPEM
    }

    @Test("An invalid certificate is Rejected and reported as InvalidChargePointCertificate (A02.FR.07)",
          arguments: BadChain.allCases)
    func invalid(bad: BadChain) throws {
        let pki = try TestPKI()
        let other = try TestCertificateAuthority(commonName: "Other Root", notBefore: TestPKI.start - TestPKI.day,
                                                 notAfter: TestPKI.start + 365 * TestPKI.day)
        var csms = ScriptedCSMS.secured()
        #expect(try csms.install(pki.root) == .accepted)
        if bad != .noRequest { #expect(csms.triggerSignCertificate() == true) }
        let csr = try csms.decoded(V16.SignCertificateRequest.self).last?.csr
        let stranger = try #require(testCertificateServices.makeSigningRequest(commonName: "CP-0001", organization: "Test CPO")).csrPEM
        let start = TestPKI.start
        let chain: String
        switch bad {
        case .noRequest, .otherKey:
            chain = try pki.root.issue(csrPEM: stranger, serial: 5, notBefore: start, notAfter: start + TestPKI.day)
        case .otherCommonName:
            chain = try pki.root.issue(csrPEM: try #require(csr), serial: 5, notBefore: start, notAfter: start + TestPKI.day,
                                       subject: try DistinguishedName { OrganizationName("Test CPO"); CommonName("CP-9999") })
        case .noOrganization:
            chain = try pki.root.issue(csrPEM: try #require(csr), serial: 5, notBefore: start, notAfter: start + TestPKI.day,
                                       subject: try DistinguishedName { CommonName("CP-0001") })
        case .expired:
            chain = try pki.root.issue(csrPEM: try #require(csr), serial: 5, notBefore: start - 10 * TestPKI.day,
                                       notAfter: start - TestPKI.day)
        case .brokenChain:
            chain = try pki.root.issue(csrPEM: try #require(csr), serial: 5, notBefore: start, notAfter: start + TestPKI.day) + other.pem
        case .foreignRoot:
            chain = try other.issue(csrPEM: try #require(csr), serial: 5, notBefore: start, notAfter: start + TestPKI.day) + other.pem
        case .notPEM:
            chain = "MIIBszCCAVmgAwIBAgIU"
        }
        #expect(try csms.call(V16.CertificateSignedRequest(certificateChain: chain)).status == .rejected)
        #expect(csms.engine.clientCertificatePEM == nil)
        let event = try #require(try csms.securityEvents().last)
        #expect(event.type == "InvalidChargePointCertificate")
        #expect(event.techInfo?.isEmpty == false)
        if bad != .noRequest {
            // The key pair waits for a valid certificate.
            #expect(try csms.call(V16.CertificateSignedRequest(
                certificateChain: try pki.root.issue(csrPEM: try #require(csr), serial: 6, notBefore: start, notAfter: start + TestPKI.day)))
                .status == .accepted)
        }
    }

    @Test("Without a root installed, a self-signed issuer must verify; any chain that links up is taken")
    func noAnchor() throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured()
        #expect(try csms.obtainCertificate(from: pki.root, intermediates: pki.root.pem) == .accepted)
    }

    @Test("Without certificate services or CpoName the trigger is refused; without services nothing is installed")
    func unable() throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured(certificates: false)
        #expect(csms.triggerSignCertificate() == false)
        #expect(try csms.install(pki.root) == .failed)
        #expect(try csms.installedIds(.centralSystemRootCertificate).status == .notFound)
        #expect(try csms.call(V16.CertificateSignedRequest(certificateChain: pki.root.pem)).status == .rejected)
        var unnamed = ScriptedCSMS.secured(configuration: [])
        #expect(unnamed.triggerSignCertificate() == false)
        #expect(unnamed.calls(.signCertificate).isEmpty)
    }

    @Test("A second trigger while a SignCertificate.req is on its way sends no second one")
    func triggerTwice() throws {
        var csms = ScriptedCSMS.secured()
        csms.script["SignCertificate"] = [.hold]
        #expect(csms.triggerSignCertificate() == true)
        #expect(csms.triggerSignCertificate() == true)
        #expect(csms.calls(.signCertificate).count == 1)
    }

    @Test("SignCertificate.conf Rejected, or no answer, discards the key pair",
          arguments: [ScriptedCSMS.Reply.conf(V16.SignCertificateResponse(status: .rejected)), .error(.internalError)])
    func signingRefused(reply: ScriptedCSMS.Reply) throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured()
        csms.script["SignCertificate"] = [reply]
        #expect(csms.triggerSignCertificate() == true)
        #expect(csms.engine.security.store?.value.pending == nil)
        let csr = try #require(try csms.decoded(V16.SignCertificateRequest.self).last).csr
        let chain = try pki.root.issue(csrPEM: csr, serial: 1, notBefore: TestPKI.start, notAfter: TestPKI.start + TestPKI.day)
        #expect(try csms.call(V16.CertificateSignedRequest(certificateChain: chain)).status == .rejected)
    }

    @Test("A certificate that expires within a month is renewed once (A03.FR.02)")
    func renewal() throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured()
        try csms.obtainCertificate(from: pki.root, validity: 40 * TestPKI.day)
        #expect(csms.calls(.signCertificate).count == 1)
        csms.advance(by: .seconds(9 * 86_400))
        #expect(csms.calls(.signCertificate).count == 1)
        csms.advance(by: .seconds(2 * 86_400))
        #expect(csms.calls(.signCertificate).count == 2)
        csms.advance(by: .seconds(20 * 86_400))
        #expect(csms.calls(.signCertificate).count == 2, "once per certificate, never retried (A02 error handling)")
    }
}

@Suite("Root certificates: InstallCertificate, GetInstalledCertificateIds, DeleteCertificate (security whitepaper M03–M05)")
struct RootCertificateTests {
    @Test("Installed roots are listed by type with their CertID as OpenSSL computes it, and deleted by it")
    func installListDelete() throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured()
        #expect(try csms.installedIds(.centralSystemRootCertificate) == V16.GetInstalledCertificateIdsResponse(status: .notFound))
        #expect(try csms.install(pki.root) == .accepted)
        #expect(try csms.install(pki.manufacturer, as: .manufacturerRootCertificate) == .accepted)
        let root = try CertID.expected(certificatePEM: pki.root.pem, issuerPEM: pki.root.pem)
        let manufacturer = try CertID.expected(certificatePEM: pki.manufacturer.pem, issuerPEM: pki.manufacturer.pem)
        #expect(root.serialNumber == "FFF" && manufacturer.serialNumber == "80")
        #expect(try csms.installedIds(.centralSystemRootCertificate)
                == V16.GetInstalledCertificateIdsResponse(status: .accepted, certificateHashData: [root.hashData()]))
        #expect(try csms.installedIds(.manufacturerRootCertificate).certificateHashData == [manufacturer.hashData()])
        #expect(csms.engine.installedCertificatesPEM(.centralSystemRootCertificate) == [pki.root.pem])
        // CiString: case does not matter; a leading zero in the serial number neither.
        var shouted = manufacturer.hashData()
        shouted.issuerNameHash = shouted.issuerNameHash.uppercased()
        shouted.serialNumber = "0080"
        #expect(try csms.delete(shouted) == .accepted)
        #expect(try csms.installedIds(.manufacturerRootCertificate) == V16.GetInstalledCertificateIdsResponse(status: .notFound))
        #expect(try csms.delete(manufacturer.hashData()) == .notFound)
        #expect(try csms.delete(root.hashData(.sha384)) == .notFound, "the algorithm is part of the identity")
        #expect(try csms.delete(root.hashData()) == .accepted, "profile 0: nothing depends on it")
        #expect(csms.engine.installedCertificatesPEM(.centralSystemRootCertificate).isEmpty)
    }

    @Test("Hash data of another algorithm is computed anew for DeleteCertificate (M04.FR.07)", arguments: ["sha384", "sha512"])
    func otherAlgorithm(digest: String) throws {
        let pki = try TestPKI()
        var csms = ScriptedCSMS.secured()
        #expect(try csms.install(pki.root) == .accepted)
        let algorithm: V16.HashAlgorithm = digest == "sha384" ? .sha384 : .sha512
        let facts = try #require(testCertificateServices.certificates(inPEM: pki.root.pem, hashAlgorithm: algorithm)?.first)
        let ours = CertID(issuerNameHash: facts.issuerNameHash, issuerKeyHash: facts.subjectKeyHash, serialNumber: facts.serialNumber)
        if let openssl = try CertID.openssl(certificatePEM: pki.root.pem, issuerPEM: pki.root.pem, digest: digest) {
            #expect(openssl == ours)
        } else {
            print("SKIPPED the OpenSSL CertID check: openssl is not on PATH")
        }
        #expect(try csms.delete(ours.hashData(algorithm)) == .accepted)
    }

    @Test("A sub-CA is installed when its issuer is, and listed with its issuer's key hash")
    func subordinate() throws {
        let pki = try TestPKI()
        let sub = try pki.root.subordinate(commonName: "CPO Sub-CA", serial: 0x1234, notBefore: TestPKI.start - TestPKI.day,
                                           notAfter: TestPKI.start + 90 * TestPKI.day)
        var csms = ScriptedCSMS.secured()
        #expect(try csms.install(sub) == .rejected, "its issuer is unknown: no CertID, no trust")
        #expect(try csms.install(pki.root) == .accepted)
        #expect(try csms.install(sub) == .accepted)
        let expected = try CertID.expected(certificatePEM: sub.pem, issuerPEM: pki.root.pem)
        #expect(try csms.installedIds(.centralSystemRootCertificate).certificateHashData?.last == expected.hashData())
    }

    @Test("InstallCertificate rejects what is not a valid CA certificate (M05.FR.06)")
    func invalid() throws {
        let pki = try TestPKI()
        let expired = try TestCertificateAuthority(commonName: "Old Root", notBefore: TestPKI.start - 100 * TestPKI.day,
                                                   notAfter: TestPKI.start - TestPKI.day)
        let leaf = try pki.root.leaf(commonName: "Not a CA", serial: 3, notBefore: TestPKI.start, notAfter: TestPKI.start + TestPKI.day)
        var csms = ScriptedCSMS.secured()
        #expect(try csms.install(expired) == .rejected)
        for text in [leaf, pki.root.pem + pki.manufacturer.pem, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", ""] {
            #expect(try csms.call(V16.InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: text)).status
                    == .rejected)
        }
        #expect(csms.engine.installedCertificatesPEM(.centralSystemRootCertificate).isEmpty)
    }

    @Test("The store holds CertificateStoreMaxLength roots; beyond, Rejected (M05.FR.03); a repeat changes nothing")
    func full() throws {
        var csms = ScriptedCSMS.secured()
        var roots: [TestCertificateAuthority] = []
        for index in 0...Configuration.certificateStoreMaxLength {
            roots.append(try TestCertificateAuthority(commonName: "Root \(index)", serial: UInt64(index + 1),
                                                      notBefore: TestPKI.start - TestPKI.day, notAfter: TestPKI.start + TestPKI.day))
        }
        for root in roots.dropLast() { #expect(try csms.install(root, as: .manufacturerRootCertificate) == .accepted) }
        #expect(try csms.install(roots[0], as: .manufacturerRootCertificate) == .accepted)
        #expect(try csms.install(roots[Configuration.certificateStoreMaxLength]) == .rejected)
        #expect(try csms.installedIds(.manufacturerRootCertificate).certificateHashData?.count == Configuration.certificateStoreMaxLength)
        let value = try csms.call(V16.GetConfigurationRequest(key: ["CertificateStoreMaxLength"])).configurationKey?.first?.value
        #expect(value == String(Configuration.certificateStoreMaxLength))
    }

    @Test("The charge point certificate and the last CentralSystemRootCertificate in use cannot be deleted (M04.FR.05, .06)")
    func undeletable() throws {
        let pki = try TestPKI()
        let second = try TestCertificateAuthority(commonName: "CPO Root 2", serial: 2, notBefore: TestPKI.start - TestPKI.day,
                                                  notAfter: TestPKI.start + TestPKI.day)
        var csms = ScriptedCSMS.secured(configuration: [("CpoName", "Test CPO"), ("SecurityProfile", "2")])
        #expect(try csms.install(pki.root) == .accepted)
        #expect(try csms.obtainCertificate(from: pki.root, serial: 0x77) == .accepted)
        let client = try CertID.expected(certificatePEM: try #require(csms.engine.clientCertificatePEM), issuerPEM: pki.root.pem)
        #expect(client.serialNumber == "77")
        #expect(try csms.delete(client.hashData()) == .failed)
        let root = try CertID.expected(certificatePEM: pki.root.pem, issuerPEM: pki.root.pem)
        #expect(try csms.delete(root.hashData()) == .failed, "TLS verifies the Central System with it")
        #expect(try csms.install(second) == .accepted)
        #expect(try csms.delete(root.hashData()) == .accepted, "another root remains")
    }
}

@Suite("Firmware signing certificate: SignedUpdateFirmware (security whitepaper L01)")
struct FirmwareSigningCertificateTests {
    static func update(_ requestId: Int, signer: String, csms: ScriptedCSMS) -> V16.SignedUpdateFirmwareRequest {
        V16.SignedUpdateFirmwareRequest(requestId: requestId, firmware: V16.Firmware(
            location: "ftp://firmware.example/fw-2.bin", retrieveDateTime: csms.now + .seconds(3600),
            signingCertificate: signer, signature: "MEUCIQ=="))
    }

    @Test("A signing certificate that does not verify is InvalidCertificate, reported, and starts nothing (L01.FR.23-24, L01.FR.02); one under the installed ManufacturerRootCertificate is Accepted")
    func signingCertificateVerified() throws {
        let pki = try TestPKI()
        let rogue = try TestCertificateAuthority(commonName: "Rogue Root", organization: "Rogue", serial: 0x66,
                                                 notBefore: TestPKI.start - TestPKI.day, notAfter: TestPKI.start + 365 * TestPKI.day)
        let garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
        let expired = try pki.manufacturer.leaf(commonName: "Firmware Signer", serial: 7, notBefore: TestPKI.start - 30 * TestPKI.day,
                                                notAfter: TestPKI.start - TestPKI.day)
        let signer = try pki.manufacturer.leaf(commonName: "Firmware Signer", serial: 8, notBefore: TestPKI.start - TestPKI.day,
                                               notAfter: TestPKI.start + 30 * TestPKI.day)
        let rogueSigner = try rogue.leaf(commonName: "Firmware Signer", serial: 9, notBefore: TestPKI.start - TestPKI.day,
                                         notAfter: TestPKI.start + 30 * TestPKI.day)
        var csms = ScriptedCSMS.secured()
        #expect(try csms.call(Self.update(1, signer: garbage, csms: csms)).status == .invalidCertificate)
        #expect(try csms.call(Self.update(2, signer: expired, csms: csms)).status == .invalidCertificate)
        #expect(try csms.install(pki.manufacturer, as: .manufacturerRootCertificate) == .accepted)
        #expect(try csms.call(Self.update(3, signer: rogueSigner, csms: csms)).status == .invalidCertificate)
        #expect(try csms.call(Self.update(4, signer: signer, csms: csms)).status == .accepted)
        let events = try csms.securityEvents().filter { $0.type == "InvalidFirmwareSigningCertificate" }
        #expect(events.map(\.techInfo) == ["signing certificate is not a PEM-encoded X.509 certificate",
                                           "signing certificate 7 is not valid now",
                                           "not issued under an installed ManufacturerRootCertificate"])
        // Only the accepted update reports anything (DownloadScheduled: its retrieveDateTime is ahead).
        #expect(try csms.decoded(V16.SignedFirmwareStatusNotificationRequest.self)
            == [V16.SignedFirmwareStatusNotificationRequest(status: .downloadScheduled, requestId: 4)])
    }

    @Test("Without a ManufacturerRootCertificate there is no anchor: a readable signer is taken; without crypto only the PEM framing is checked")
    func noManufacturerRoot() throws {
        let pki = try TestPKI()
        let signer = try pki.manufacturer.leaf(commonName: "Firmware Signer", serial: 8, notBefore: TestPKI.start - TestPKI.day,
                                               notAfter: TestPKI.start + 30 * TestPKI.day)
        var csms = ScriptedCSMS.secured()
        #expect(try csms.call(Self.update(1, signer: signer, csms: csms)).status == .accepted)
        var plain = ScriptedCSMS.secured(certificates: false)
        #expect(try plain.call(Self.update(1, signer: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                           csms: plain)).status == .accepted, "without crypto only the PEM framing is checked")
        #expect(try plain.call(Self.update(2, signer: "MIIB", csms: plain)).status == .invalidCertificate)
    }
}
