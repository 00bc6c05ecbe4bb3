import Foundation
import FleetSpec
import NIOCore
import NIOSSL
import OCPP

/// What one connection attempt needs for its security profile: a TLS context (profiles 2
/// and 3) and the `Authorization` header value (profiles 1 and 2).
struct ClientSecurity: Sendable {
    struct TLS: Sendable {
        let context: NIOSSLContext
        /// Whether the CSMS's certificate is checked (`tls.verify`).
        let verifies: Bool
        let presentsClientCertificate: Bool
    }

    var tls: TLS?
    var authorization: Secret?

    static let plain = ClientSecurity(tls: nil, authorization: nil)
}

/// A group's security settings made ready for connections: the CA file read once, one TLS
/// context for the group (profile 2, or profile 3 with one certificate for all), and the
/// Basic-authentication header. Immutable and shared by the charge points of every loop.
final class GroupTransport: Sendable {
    let name: String
    let security: ConnectionSecurity
    private let trustRoots: NIOSSLTrustRoots
    private let groupContext: NIOSSLContext?

    init(name: String, security: ConnectionSecurity) throws(FleetSetupError) {
        self.name = name
        self.security = security
        if let caFile = security.tls.caFile, security.profile.usesTLS {
            trustRoots = .certificates(try Self.certificates(caFile, what: "tls.caFile", group: name))
        } else {
            trustRoots = .default
        }
        let perChargePoint = [security.tls.clientCertificate, security.tls.clientKey].contains { $0.map(isPerChargePointPath) ?? false }
        if security.profile.usesTLS, !(security.profile.usesClientCertificate && perChargePoint) {
            groupContext = try Self.context(security: security, trustRoots: trustRoots,
                                            certificate: security.tls.clientCertificate, key: security.tls.clientKey, group: name)
        } else {
            groupContext = nil
        }
    }

    /// The TLS context of one charge point: the group's, or its own when the certificate path
    /// names a file per charge point. Nil without TLS.
    func context(forChargePoint id: String, index: Int) throws(FleetSetupError) -> NIOSSLContext? {
        guard security.profile.usesTLS else { return nil }
        if let groupContext { return groupContext }
        return try Self.context(security: security, trustRoots: trustRoots,
                                certificate: security.tls.clientCertificate.map { expandPathPattern($0, id: id, index: index) },
                                key: security.tls.clientKey.map { expandPathPattern($0, id: id, index: index) },
                                group: name)
    }

    /// What a connection of charge point `id` presents.
    func clientSecurity(chargePointId id: String, context: NIOSSLContext?) -> ClientSecurity {
        var result = ClientSecurity.plain
        if let context {
            result.tls = ClientSecurity.TLS(context: context, verifies: security.tls.verify,
                                            presentsClientCertificate: security.profile.usesClientCertificate)
        }
        if security.profile.usesPassword, let password = security.password {
            result.authorization = Self.basicAuthorization(user: id, password: password)
        }
        return result
    }

    /// `Basic base64(<chargePointId>:<password>)` (RFC 7617; OCPP 1.6 Security Whitepaper, profile 1).
    static func basicAuthorization(user: String, password: Secret) -> Secret {
        Secret("Basic " + Data("\(user):\(password.reveal())".utf8).base64EncodedString())
    }

    private static func context(security: ConnectionSecurity, trustRoots: NIOSSLTrustRoots, certificate: String?,
                                key: String?, group: String) throws(FleetSetupError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        // The whitepaper asks for TLS 1.2 or later.
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = security.tls.verify ? .fullVerification : .none
        configuration.trustRoots = trustRoots
        if security.profile.usesClientCertificate, let certificate, let key {
            configuration.certificateChain = try Self.certificates(certificate, what: "tls.clientCertificate", group: group)
                .map { .certificate($0) }
            guard FileManager.default.fileExists(atPath: key) else {
                throw FleetSetupError(description: "group '\(group)': tls.clientKey: no such file: \(key)")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw FleetSetupError(description: "group '\(group)': tls.clientKey: cannot read a PEM private key from \(key): \(error)")
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw FleetSetupError(description: "group '\(group)': cannot set up TLS: \(error)")
        }
    }

    private static func certificates(_ path: String, what: String, group: String) throws(FleetSetupError) -> [NIOSSLCertificate] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FleetSetupError(description: "group '\(group)': \(what): no such file: \(path)")
        }
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(path)
            if !certificates.isEmpty { return certificates }
        } catch {
            throw FleetSetupError(description: "group '\(group)': \(what): cannot read PEM certificates from \(path): \(error)")
        }
        throw FleetSetupError(description: "group '\(group)': \(what): no PEM certificate in \(path)")
    }
}

/// Makes the TLS client handler. When the CSMS's certificate is verified, NIOSSL's
/// per-certificate callback watches BoringSSL's verdict (never changing it) and notes which
/// certificate failed and whether its dates were the reason, so an expired certificate is
/// reported as such rather than as "untrusted".
enum TLSClientHandlerFactory {
    static func make(context: NIOSSLContext, serverHostname: String?, observe state: TLSClientState?) throws -> NIOSSLClientHandler {
        guard let state else { return try NIOSSLClientHandler(context: context, serverHostname: serverHostname) }
        // NIOSSL marks the per-certificate callback deprecated in favour of callbacks that
        // replace BoringSSL's verification; we only observe, so call it through a protocol.
        let factory: any ObservingHandlerFactory.Type = ObservingHandler.self
        return try factory.make(context: context, serverHostname: serverHostname, state: state)
    }
}

private protocol ObservingHandlerFactory {
    static func make(context: NIOSSLContext, serverHostname: String?, state: TLSClientState) throws -> NIOSSLClientHandler
}

private enum ObservingHandler: ObservingHandlerFactory {
    @available(*, deprecated, message: "observes BoringSSL's certificate verdict without replacing it")
    static func make(context: NIOSSLContext, serverHostname: String?, state: TLSClientState) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname, verificationCallback: { result, certificate in
            if result == .failed, state.verification == nil {
                let now = time(nil)
                if certificate.notValidAfter < now {
                    state.verification = .expired
                } else if certificate.notValidBefore > now {
                    state.verification = .notYetValid
                } else {
                    state.verification = .untrusted
                }
            }
            return result
        })
    }
}
