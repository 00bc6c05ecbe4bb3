import ChargePoint
import ChargePointSecurity
import Crypto
import Foundation
import OCPP
import SecuritySupport
import SwiftASN1
import Testing
import X509

@Suite("X509CertificateServices: key pairs, CSRs and certificate facts")
struct CertificateServicesTests {
    let services = X509CertificateServices()
    static let start = Date(timeIntervalSince1970: 1_780_000_000)
    static let year: TimeInterval = 365 * 86_400

    @Test("The CSR is a PKCS#10 request for CN = charge point id, O = CpoName, signed by the new key")
    func signingRequest() throws {
        let made = try #require(services.makeSigningRequest(commonName: "CP-0001", organization: "Test CPO"))
        #expect(made.csrPEM.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----\n"))
        let request = try CertificateSigningRequest(pemEncoded: made.csrPEM)
        #expect(request.version == .v1)
        #expect(request.publicKey.isValidSignature(request.signature, for: request))
        #expect(request.signatureAlgorithm == .ecdsaWithSHA256)
        let names = request.subject.flatMap { $0 }.map { ($0.type, String($0.value)) }
        #expect(names.map(\.0) == [.RDNAttributeType.organizationName, .RDNAttributeType.commonName])
        #expect(names.map(\.1) == ["Test CPO", "CP-0001"])
        // The private key belongs to the request, and the hash is of its public key bits.
        let key = try P256.Signing.PrivateKey(pemRepresentation: made.privateKeyPEM)
        #expect(Certificate.PublicKey(key.publicKey) == request.publicKey)
        let expected = SHA256.hash(data: key.publicKey.x963Representation).map { String(format: "%02x", $0) }.joined()
        #expect(made.publicKeyHash == expected)
        // Each request has a key pair of its own.
        let other = try #require(services.makeSigningRequest(commonName: "CP-0001", organization: "Test CPO"))
        #expect(other.privateKeyPEM != made.privateKeyPEM)
    }

    @Test("openssl req -verify accepts the CSR and reads its subject")
    func opensslVerifiesRequest() throws {
        let made = try #require(services.makeSigningRequest(commonName: "CP-0001", organization: "Test CPO"))
        guard let verify = try runTool("openssl", ["req", "-verify", "-noout"], input: Data(made.csrPEM.utf8)) else {
            print("SKIPPED openssl req -verify: openssl is not on PATH")
            return
        }
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("verify OK"), "\(verify.output)")
        let subject = try #require(try runTool("openssl", ["req", "-noout", "-subject", "-nameopt", "RFC2253"],
                                               input: Data(made.csrPEM.utf8)))
        #expect(subject.output.contains("CN=CP-0001,O=Test CPO"), "\(subject.output)")
        // A tampered request fails the same check.
        var serializer = DER.Serializer()
        try serializer.serialize(try CertificateSigningRequest(pemEncoded: made.csrPEM))
        var der = serializer.serializedBytes
        der[der.count - 5] ^= 0x01
        let tampered = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString + "\n"
        let refused = try #require(try runTool("openssl", ["req", "-verify", "-noout"], input: Data(tampered.utf8)))
        // OpenSSL 3.0 exits 0 after a failed self-signature check; its words tell.
        #expect(!refused.output.contains("verify OK"), "\(refused.output)")
        #expect(refused.status != 0 || refused.output.contains("verify failure"), "\(refused.output)")
    }

    @Test("CertID hashes and serial numbers agree with OpenSSL's OCSP client and with a re-encoding",
          arguments: [UInt64(1), 4095, 0x80, 0x00FF_FFFF_FFFF_FFFF, UInt64.max])
    func certID(serial: UInt64) throws {
        let root = try TestCertificateAuthority(commonName: "Root \(serial)", serial: serial, notBefore: Self.start,
                                                notAfter: Self.start + Self.year)
        let leafPEM = try root.leaf(commonName: "CP-0001", serial: serial, notBefore: Self.start, notAfter: Self.start + Self.year)
        let facts = try #require(services.certificates(inPEM: root.pem + leafPEM, hashAlgorithm: .sha256))
        try #require(facts.count == 2)
        let rootFacts = facts[0], leaf = facts[1]
        let ours = CertID(issuerNameHash: leaf.issuerNameHash, issuerKeyHash: rootFacts.subjectKeyHash, serialNumber: leaf.serialNumber)
        #expect(ours == (try CertID.reencoded(certificatePEM: leafPEM, issuerPEM: root.pem)))
        #expect(leaf.serialNumber == String(serial, radix: 16, uppercase: true))
        // A root is its own issuer.
        #expect(rootFacts.isSelfIssued && rootFacts.issuerNameHash == rootFacts.subjectNameHash)
        #expect(CertID(issuerNameHash: rootFacts.issuerNameHash, issuerKeyHash: rootFacts.subjectKeyHash, serialNumber: rootFacts.serialNumber)
                == (try CertID.reencoded(certificatePEM: root.pem, issuerPEM: root.pem)))
        for (algorithm, digest) in [(V16.HashAlgorithm.sha256, "sha256"), (.sha384, "sha384"), (.sha512, "sha512")] {
            guard let expected = try CertID.openssl(certificatePEM: leafPEM, issuerPEM: root.pem, digest: digest) else {
                print("SKIPPED the OpenSSL CertID comparison: openssl is not on PATH")
                return
            }
            let hashed = try #require(services.certificates(inPEM: root.pem + leafPEM, hashAlgorithm: algorithm))
            #expect(CertID(issuerNameHash: hashed[1].issuerNameHash, issuerKeyHash: hashed[0].subjectKeyHash,
                           serialNumber: hashed[1].serialNumber) == expected, "\(digest)")
        }
    }

    @Test("Facts name the subject, the validity period and whether the certificate is a CA")
    func facts() throws {
        let root = try TestCertificateAuthority(commonName: "Fleet Root", organization: "Fleet CPO", serial: 7,
                                                notBefore: Self.start, notAfter: Self.start + Self.year)
        let facts = try #require(services.certificates(inPEM: root.pem, hashAlgorithm: .sha256)?.first)
        #expect(facts.commonName == "Fleet Root" && facts.organization == "Fleet CPO")
        #expect(facts.isCertificateAuthority)
        #expect(facts.notBefore == Timestamp(seconds: 1_780_000_000))
        #expect(facts.notAfter == Timestamp(seconds: 1_780_000_000 + 365 * 86_400))
        #expect(facts.pem == root.pem)
        #expect(facts.issuerNameHash.count == 64 && facts.subjectKeyHash.count == 64)
        let sha512 = try #require(services.certificates(inPEM: root.pem, hashAlgorithm: .sha512)?.first)
        #expect(sha512.issuerNameHash.count == 128)
        let leaf = try #require(services.certificates(inPEM: try root.leaf(commonName: "CP", serial: 2, notBefore: Self.start,
                                                                              notAfter: Self.start + 60), hashAlgorithm: .sha256)?.first)
        #expect(!leaf.isCertificateAuthority && !leaf.isSelfIssued && leaf.issuerNameHash == facts.subjectNameHash)
    }

    @Test("Signatures verify against the issuer only")
    func signatures() throws {
        let root = try TestCertificateAuthority(commonName: "Root A", notBefore: Self.start, notAfter: Self.start + Self.year)
        let other = try TestCertificateAuthority(commonName: "Root A", notBefore: Self.start, notAfter: Self.start + Self.year)
        let sub = try root.subordinate(commonName: "Sub A", serial: 3, notBefore: Self.start, notAfter: Self.start + Self.year)
        let parsed = try #require(services.certificates(inPEM: root.pem + other.pem + sub.pem, hashAlgorithm: .sha256))
        #expect(services.isSigned(parsed[0], by: parsed[0]))
        #expect(services.isSigned(parsed[2], by: parsed[0]))
        // Same name, other key: the hashes of the names agree, the signature does not verify.
        #expect(parsed[1].subjectNameHash == parsed[0].subjectNameHash)
        #expect(!services.isSigned(parsed[2], by: parsed[1]))
        #expect(!services.isSigned(parsed[0], by: parsed[2]))
    }

    @Test("Text that is not a PEM certificate chain gives no facts",
          arguments: ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
    func garbage(text: String) {
        #expect(services.certificates(inPEM: text, hashAlgorithm: .sha256) == nil)
    }

    @Test("A PEM block of another kind, even beside a certificate, gives no facts")
    func otherBlocks() throws {
        let made = try #require(services.makeSigningRequest(commonName: "CP-0001", organization: "Test CPO"))
        let root = try TestCertificateAuthority(commonName: "Root", notBefore: Self.start, notAfter: Self.start + Self.year)
        #expect(services.certificates(inPEM: made.csrPEM, hashAlgorithm: .sha256) == nil)
        #expect(services.certificates(inPEM: root.pem + made.privateKeyPEM, hashAlgorithm: .sha256) == nil)
        #expect(services.certificates(inPEM: root.pem, hashAlgorithm: .sha256)?.count == 1)
    }
}
