import ChargePoint
import Crypto
import Foundation
import OCPP
import SwiftASN1
import X509

/// `CertificateServices` on swift-crypto and swift-certificates: P-256 key pairs, PKCS#10
/// requests signed with ECDSA-SHA256 (RFC 2986), and X.509 facts with RFC 6960 CertID
/// hashes. Stateless, so one instance serves every charge point of a process, on any thread.
public final class X509CertificateServices: CertificateServices {
    public init() {}

    public func makeSigningRequest(commonName: String, organization: String) -> SigningRequest? {
        let key = P256.Signing.PrivateKey()
        do {
            let subject = try DistinguishedName {
                OrganizationName(organization)
                CommonName(commonName)
            }
            let request = try CertificateSigningRequest(
                version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key),
                attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
            // The subjectPublicKey BIT STRING of an EC key holds the X9.63 point.
            return SigningRequest(csrPEM: try request.serializeAsPEM().pemString + "\n", privateKeyPEM: key.pemRepresentation + "\n",
                                  publicKeyHash: Self.hex(SHA256.hash(data: key.publicKey.x963Representation)))
        } catch {
            return nil
        }
    }

    public func certificates(inPEM pem: String, hashAlgorithm: V16.HashAlgorithm) -> [CertificateFacts]? {
        guard let documents = try? PEMDocument.parseMultiple(pemString: pem), !documents.isEmpty else { return nil }
        var facts: [CertificateFacts] = []
        for document in documents {
            guard document.discriminator == Certificate.defaultPEMDiscriminator,
                  let certificate = try? Certificate(derEncoded: document.derBytes),
                  let names = try? Self.rawNamesAndKey(of: certificate) else { return nil }
            let isCertificateAuthority: Bool
            switch try? certificate.extensions.basicConstraints {
            case .isCertificateAuthority?: isCertificateAuthority = true
            case .notCertificateAuthority?, nil: isCertificateAuthority = false
            }
            facts.append(CertificateFacts(
                pem: document.pemString + "\n",
                serialNumber: Self.serialNumber(certificate.serialNumber.bytes),
                issuerNameHash: Self.hash(names.issuer, hashAlgorithm),
                subjectNameHash: Self.hash(names.subject, hashAlgorithm),
                subjectKeyHash: Self.hash(names.publicKey, hashAlgorithm),
                commonName: Self.attribute(.RDNAttributeType.commonName, of: certificate.subject),
                organization: Self.attribute(.RDNAttributeType.organizationName, of: certificate.subject),
                notBefore: Self.timestamp(certificate.notValidBefore),
                notAfter: Self.timestamp(certificate.notValidAfter),
                isCertificateAuthority: isCertificateAuthority))
        }
        return facts
    }

    public func isSigned(_ certificate: CertificateFacts, by issuer: CertificateFacts) -> Bool {
        guard let child = try? Certificate(pemEncoded: certificate.pem),
              let parent = try? Certificate(pemEncoded: issuer.pem) else { return false }
        return parent.publicKey.isValidSignature(child.signature, for: child)
    }

    // MARK: RFC 6960 CertID parts

    /// The DER encodings of the issuer and subject Name fields and the value of the
    /// subjectPublicKey BIT STRING (without tag, length and unused-bits count), read from the
    /// certificate's own bytes rather than re-encoded.
    ///
    ///     TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber, signature,
    ///                                   issuer, validity, subject, subjectPublicKeyInfo, ... }
    static func rawNamesAndKey(of certificate: Certificate) throws -> (issuer: ArraySlice<UInt8>, subject: ArraySlice<UInt8>,
                                                                        publicKey: ArraySlice<UInt8>) {
        let tbs = try DER.parse(certificate.tbsCertificateBytes)
        guard case .constructed(let children) = tbs.content else { throw ASN1Error.invalidASN1Object(reason: "TBSCertificate") }
        var fields = Array(children)
        if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        guard fields.count >= 6 else { throw ASN1Error.invalidASN1Object(reason: "TBSCertificate is too short") }
        guard case .constructed(let keyInfo) = fields[5].content, let bits = Array(keyInfo).last else {
            throw ASN1Error.invalidASN1Object(reason: "SubjectPublicKeyInfo")
        }
        let publicKey = try ASN1BitString(derEncoded: bits)
        return (fields[2].encodedBytes, fields[4].encodedBytes, publicKey.bytes)
    }

    /// A non-negative integer of at most 20 bytes as uppercase hex without leading zeroes
    /// (whitepaper ed. 3 §6.1: 4095 is "FFF").
    static func serialNumber(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = bytes.map { String(format: "%02X", $0) }.joined().drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }

    static func hash(_ bytes: ArraySlice<UInt8>, _ algorithm: V16.HashAlgorithm) -> String {
        switch algorithm {
        case .sha256: hex(SHA256.hash(data: bytes))
        case .sha384: hex(SHA384.hash(data: bytes))
        case .sha512: hex(SHA512.hash(data: bytes))
        }
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    private static func attribute(_ type: ASN1ObjectIdentifier, of name: DistinguishedName) -> String? {
        for relativeName in name {
            for attribute in relativeName where attribute.type == type {
                return String(attribute.value)
            }
        }
        return nil
    }

    private static func timestamp(_ date: Date) -> Timestamp {
        Timestamp(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
