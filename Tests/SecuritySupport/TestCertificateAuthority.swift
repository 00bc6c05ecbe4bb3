import Crypto
import SwiftASN1
import Foundation
import X509

/// A certificate authority made at test time, so that no private key is ever committed:
/// a self-signed P-256 root, sub-CAs and leaf certificates issued from PKCS#10 requests.
public struct TestCertificateAuthority: Sendable {
    public let name: DistinguishedName
    public let key: P256.Signing.PrivateKey
    public let certificate: Certificate

    public var pem: String { (try? certificate.serializeAsPEM().pemString).map { $0 + "\n" } ?? "" }

    /// A self-signed root CA valid from `notBefore` to `notAfter`.
    public init(commonName: String, organization: String = "Test CPO", serial: UInt64 = 1,
                notBefore: Date, notAfter: Date) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CountryName("NL")
            OrganizationName(organization)
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(serial), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        self.init(name: name, key: key, certificate: certificate)
    }

    private init(name: DistinguishedName, key: P256.Signing.PrivateKey, certificate: Certificate) {
        self.name = name
        self.key = key
        self.certificate = certificate
    }

    /// A sub-CA issued by this authority.
    public func subordinate(commonName: String, serial: UInt64, notBefore: Date, notAfter: Date) throws -> TestCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CountryName("NL")
            OrganizationName("Test CPO")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(serial), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: self.name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(self.key))
        return TestCertificateAuthority(name: name, key: key, certificate: certificate)
    }

    /// Signs the PKCS#10 request in `csrPEM` after checking its self-signature; `subject`
    /// replaces the requested subject (a CA that rewrites names, or a test that lies).
    public func issue(csrPEM: String, serial: Certificate.SerialNumber, notBefore: Date, notAfter: Date,
                      subject: DistinguishedName? = nil) throws -> String {
        let request = try CertificateSigningRequest(pemEncoded: csrPEM)
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw TestCertificateAuthorityError.badRequestSignature
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: serial, publicKey: request.publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: subject ?? request.subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(key))
        return try certificate.serializeAsPEM().pemString + "\n"
    }

    /// A leaf certificate for a fresh key (not from a request), e.g. one that is not a CA.
    public func leaf(commonName: String, serial: UInt64, notBefore: Date, notAfter: Date) throws -> String {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("Test CPO")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(serial), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(self.key))
        return try certificate.serializeAsPEM().pemString + "\n"
    }
}

public enum TestCertificateAuthorityError: Error {
    case badRequestSignature
}

/// Runs a program found on PATH; nil when it is not there.
public func runTool(_ name: String, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String)? {
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    guard let directory = paths.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }) else {
        return nil
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "\(directory)/\(name)")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    if let input {
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
    } else {
        try process.run()
    }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// An RFC 6960 CertID as hex strings (serial number without leading zeroes, uppercase).
public struct CertID: Equatable, Sendable, CustomStringConvertible {
    public var issuerNameHash: String
    public var issuerKeyHash: String
    public var serialNumber: String

    public init(issuerNameHash: String, issuerKeyHash: String, serialNumber: String) {
        self.issuerNameHash = issuerNameHash.lowercased()
        self.issuerKeyHash = issuerKeyHash.lowercased()
        let digits = serialNumber.uppercased().drop { $0 == "0" }
        self.serialNumber = digits.isEmpty ? "0" : String(digits)
    }

    public var description: String { "CertID(\(issuerNameHash), \(issuerKeyHash), \(serialNumber))" }

    /// Computed the way OpenSSL's OCSP client does (`openssl ocsp -reqout`, then `-req_text`):
    /// an implementation independent of ours. Nil when openssl is not installed.
    /// `digest` is "sha256", "sha384" or "sha512".
    public static func openssl(certificatePEM: String, issuerPEM: String, digest: String) throws -> CertID? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem")
        let issuer = directory.appendingPathComponent("issuer.pem")
        let request = directory.appendingPathComponent("request.der")
        try Data(certificatePEM.utf8).write(to: certificate)
        try Data(issuerPEM.utf8).write(to: issuer)
        guard let made = try runTool("openssl", ["ocsp", "-\(digest)", "-issuer", issuer.path, "-cert", certificate.path,
                                                 "-no_nonce", "-reqout", request.path]) else { return nil }
        guard made.status == 0, let text = try runTool("openssl", ["ocsp", "-reqin", request.path, "-req_text"]), text.status == 0 else {
            throw CertIDError.openssl(made.output)
        }
        // Long hex values continue on the next line after a backslash.
        let output = text.output.replacingOccurrences(of: "\\\n", with: "")
        func field(_ name: String) throws -> String {
            guard let line = output.split(separator: "\n").first(where: { $0.contains("\(name):") }),
                  let value = line.split(separator: ":", maxSplits: 1).last else { throw CertIDError.openssl(text.output) }
            return value.trimmingCharacters(in: .whitespaces)
        }
        return CertID(issuerNameHash: try field("Issuer Name Hash"), issuerKeyHash: try field("Issuer Key Hash"),
                      serialNumber: try field("Serial Number"))
    }

    /// Computed from swift-certificates' model: the issuer name re-encoded in DER and the
    /// issuer's P-256 key as an X9.63 point (the subjectPublicKey bits of an EC key).
    public static func reencoded(certificatePEM: String, issuerPEM: String) throws -> CertID {
        let certificate = try Certificate(pemEncoded: certificatePEM)
        let issuer = try Certificate(pemEncoded: issuerPEM)
        var serializer = DER.Serializer()
        try serializer.serialize(certificate.issuer)
        guard let key = P256.Signing.PublicKey(issuer.publicKey) else { throw CertIDError.notP256 }
        func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { digest.map { String(format: "%02x", $0) }.joined() }
        return CertID(issuerNameHash: hex(SHA256.hash(data: serializer.serializedBytes)),
                      issuerKeyHash: hex(SHA256.hash(data: key.x963Representation)),
                      serialNumber: certificate.serialNumber.bytes.map { String(format: "%02X", $0) }.joined())
    }
}

public enum CertIDError: Error {
    case openssl(String)
    case notP256
}
