import Foundation
import NIOCore
import NIOSSL
import OCPP
import X509

/// The embedded CSMS's TLS and authentication (OCPP 1.6 Security Whitepaper ed. 2, security
/// profiles 1 to 3).
enum ServerSecurity {
    /// The server's TLS context: its certificate, TLS 1.2 or later, and client certificates
    /// asked for (verified against `clientCA`) as configured.
    static func makeContext(_ tls: CentralSystemTLS) throws -> NIOSSLContext {
        func fail(_ message: String) -> CentralSystemServer.StartError { .init(description: message) }
        func certificates(_ path: String, _ what: String) throws -> [NIOSSLCertificate] {
            guard FileManager.default.fileExists(atPath: path) else { throw fail("\(what): no such file: \(path)") }
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(path)
                if !certificates.isEmpty { return certificates }
            } catch {
                throw fail("\(what): cannot read PEM certificates from \(path): \(error)")
            }
            throw fail("\(what): no PEM certificate in \(path)")
        }
        let chain = try certificates(tls.certificateChain, "TLS certificate")
        guard FileManager.default.fileExists(atPath: tls.privateKey) else {
            throw fail("TLS key: no such file: \(tls.privateKey)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
        } catch {
            throw fail("TLS key: cannot read a PEM private key from \(tls.privateKey): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        switch tls.clientCertificates {
        case .none:
            configuration.certificateVerification = .none
        case .optional, .required:
            guard let clientCA = tls.clientCA else {
                throw fail("client certificates (\(tls.clientCertificates.rawValue)) need the CA that signs them")
            }
            configuration.trustRoots = .certificates(try certificates(clientCA, "client CA"))
            configuration.certificateVerification = tls.clientCertificates == .required
                ? .noHostnameVerification : .optionalVerification
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw fail("cannot set up TLS: \(error)")
        }
    }

    /// The common name of the client certificate this connection's TLS handshake verified, if
    /// the charge point presented one. Runs on the channel's loop.
    static func clientCertificateName(_ channel: any Channel) -> String? {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let peer = handler.peerCertificate,
              let der = try? peer.toDERBytes(),
              let certificate = try? Certificate(derEncoded: der)
        else { return nil }
        for relative in certificate.subject {
            for attribute in relative where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return ""
    }

    /// `(user, password)` from an `Authorization: Basic …` header value (RFC 7617).
    static func basicCredentials(_ header: String) -> (user: String, password: String)? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

/// What a connection proved besides the id in its path, for `Handshake`.
struct Credentials: Equatable {
    /// The password the server requires (profiles 1 and 2); nil: none.
    var password: Secret?
    /// The common name of the verified client certificate (profile 3); nil: none presented.
    var certificateName: String?

    static let none = Credentials()

    init(password: Secret? = nil, certificateName: String? = nil) {
        self.password = password
        self.certificateName = certificateName
    }

    init(channel: any Channel, password: Secret?) {
        self.init(password: password, certificateName: ServerSecurity.clientCertificateName(channel))
    }
}
