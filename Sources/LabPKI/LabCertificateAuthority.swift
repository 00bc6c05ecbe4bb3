import Crypto
import Foundation
import SwiftASN1
import X509

/// A throwaway certificate authority with P-256 keys, made in memory at run or test time: TLS
/// material for runs against the embedded CSMS (security profiles 2 and 3) and for tests.
/// Nothing it makes is meant to outlive the run, and nothing private is ever committed.
public struct LabCertificateAuthority: Sendable {
    public let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// A self-signed CA certificate, valid from an hour ago (clock skew) for `validFor`.
    public init(name: String = "ocpp-fleet throwaway CA", notValidBefore: Date = Date() - 3600,
                notValidAfter: Date = Date() + 7 * 86_400) throws {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("ocpp-fleet")
            CommonName(name)
        }
        self.certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        self.key = key
    }

    /// What a certificate is for: the CSMS (TLS server) or a charge point (TLS client, profile 3).
    public enum Role: Sendable {
        case server
        case client
    }

    /// A certificate and its key, signed by this CA. Server certificates name `dnsNames` and
    /// `ipAddresses` (dotted IPv4 or IPv6 text) as subject alternative names; a charge point's
    /// client certificate has its id as common name (OCPP 1.6 Security Whitepaper: the CSMS
    /// checks the certificate belongs to the charge point).
    public func issue(commonName: String, role: Role, dnsNames: [String] = [], ipAddresses: [String] = [],
                      notValidBefore: Date = Date() - 3600, notValidAfter: Date = Date() + 86_400) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            guard let bytes = Self.addressBytes(address) else { throw InvalidAddress(text: address) }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        let subject = try DistinguishedName {
            OrganizationName("ocpp-fleet")
            CommonName(commonName)
        }
        let usage: ExtendedKeyUsage.Usage = role == .server ? .serverAuth : .clientAuth
        let authorityKey = try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                if let authorityKey { AuthorityKeyIdentifier(keyIdentifier: authorityKey) }
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: Certificate.PrivateKey(self.key))
        return IssuedCertificate(
            certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
    }

    /// The CA certificate as PEM: the trust anchor to give clients (`tls.caFile`) or a server.
    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }

    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    public struct InvalidAddress: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "'\(text)' is not an IP address" }
    }
}

/// A certificate and its private key, PEM-encoded.
public struct IssuedCertificate: Sendable {
    public var certificatePEM: String
    /// PKCS#8 PEM. Written with mode 0600 by ``write(certificateTo:keyTo:)``.
    public var privateKeyPEM: String

    /// Writes both files (the key readable by its owner only).
    public func write(certificateTo certificatePath: String, keyTo keyPath: String) throws {
        try Data(certificatePEM.utf8).write(to: URL(fileURLWithPath: certificatePath))
        _ = FileManager.default.createFile(atPath: keyPath, contents: nil, attributes: [.posixPermissions: 0o600])
        try Data(privateKeyPEM.utf8).write(to: URL(fileURLWithPath: keyPath))
    }
}
