import NIOCore
import NIOSSL

/// Why a charge point's connection attempt failed, in words a user can act on, with a short
/// stable ``kind`` that the report counts (`chargePoints.connectionFailures`).
enum ConnectFailure: Error, Equatable, CustomStringConvertible {
    case connect(String)
    case connectTimeout
    case httpStatus(Int, String)
    case subprotocolRejected(offered: String, got: String?)
    case handshakeTimeout
    case closedDuringHandshake
    case tls(TLSFailure)

    /// The report's key for this failure: `http-401`, `tls-untrusted`, ….
    var kind: String {
        switch self {
        case .connect: "connect"
        case .connectTimeout: "connect-timeout"
        case .httpStatus(let code, _): "http-\(code)"
        case .subprotocolRejected: "subprotocol"
        case .handshakeTimeout: "handshake-timeout"
        case .closedDuringHandshake: "closed-during-handshake"
        case .tls(let failure): failure.kind
        }
    }

    var description: String {
        switch self {
        case .connect(let reason): "cannot connect: \(reason)"
        case .connectTimeout: "cannot connect: connect timed out"
        case .httpStatus(401, let reason):
            "WebSocket upgrade refused: HTTP 401 \(reason): the CSMS did not accept the charge point id and password (csms.password)"
        case .httpStatus(let code, let reason): "WebSocket upgrade refused: HTTP \(code) \(reason)"
        case .subprotocolRejected(let offered, let got):
            "the server did not accept subprotocol \(offered) (it answered \(got.map { "'\($0)'" } ?? "none"))"
        case .handshakeTimeout: "WebSocket handshake timed out"
        case .closedDuringHandshake: "connection closed during the WebSocket handshake"
        case .tls(let failure): "TLS: \(failure)"
        }
    }
}

/// Why TLS failed, seen from the charge point.
enum TLSFailure: Equatable, CustomStringConvertible {
    /// The CSMS's certificate does not chain to a trusted CA (`tls.caFile`, or the system's store).
    case untrusted
    /// The CSMS's certificate (or one in its chain) has expired.
    case expired
    /// The CSMS's certificate (or one in its chain) is not valid yet.
    case notYetValid
    /// The certificate does not name the host of the CSMS URL.
    case hostname(String)
    /// The CSMS asked for a client certificate (security profile 3) and the charge point had none.
    case clientCertificateRequired
    /// The CSMS refused the charge point's client certificate (alert from the server).
    case clientCertificateRejected(String)
    /// Anything else in the TLS handshake (versions, ciphers, a plain-HTTP server, …).
    case handshake(String)

    var kind: String {
        switch self {
        case .untrusted: "tls-untrusted"
        case .expired: "tls-expired"
        case .notYetValid: "tls-not-yet-valid"
        case .hostname: "tls-hostname"
        case .clientCertificateRequired: "tls-client-certificate-required"
        case .clientCertificateRejected: "tls-client-certificate-rejected"
        case .handshake: "tls-handshake"
        }
    }

    var description: String {
        switch self {
        case .untrusted:
            "the CSMS certificate is not signed by a trusted CA (tls.caFile; tls.verify: false accepts any certificate)"
        case .expired: "the CSMS certificate (or its CA) has expired"
        case .notYetValid: "the CSMS certificate (or its CA) is not valid yet"
        case .hostname(let host): "the CSMS certificate is not for host '\(host)' (its subject alternative names do not match)"
        case .clientCertificateRequired:
            "the CSMS requires a client certificate and none was presented (security profile 3 sets tls.clientCertificate)"
        case .clientCertificateRejected(let alert): "the CSMS refused the client certificate (\(alert))"
        case .handshake(let reason): "handshake failed: \(reason)"
        }
    }

    /// Alerts a server sends when it refuses the client certificate it was shown.
    static let clientCertificateAlerts = [
        "ALERT_UNKNOWN_CA", "ALERT_CERTIFICATE_EXPIRED", "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_REVOKED",
        "ALERT_UNSUPPORTED_CERTIFICATE", "ALERT_CERTIFICATE_UNKNOWN", "ALERT_ACCESS_DENIED", "ALERT_DECRYPT_ERROR",
    ]

    /// The BoringSSL reasons (`…:OPENSSL_internal:REASON`) in an error's description.
    static func reasons(in error: any Error) -> [String] {
        let text = "\(error)"
        var reasons: [String] = []
        var rest = Substring(text)
        while let marker = rest.range(of: "OPENSSL_internal:") {
            let reason = rest[marker.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !reason.isEmpty { reasons.append(String(reason)) }
            rest = rest[marker.upperBound...]
        }
        return reasons
    }

    /// Classifies a TLS error; `verification` is what the certificate check noticed, if it ran.
    init?(_ error: any Error, verification: TLSFailure?, host: String) {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            self = .hostname(host)
            return
        }
        let isTLSError = error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
        guard isTLSError else { return nil }
        if case NIOSSLError.uncleanShutdown = error { return nil }
        let reasons = Self.reasons(in: error)
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
            self = verification ?? .untrusted
        } else if reasons.contains(where: { $0.hasSuffix("ALERT_CERTIFICATE_REQUIRED") || $0 == "PEER_DID_NOT_RETURN_A_CERTIFICATE" }) {
            self = .clientCertificateRequired
        } else if let alert = reasons.first(where: { reason in
            Self.clientCertificateAlerts.contains { reason.hasSuffix($0) }
        }) {
            self = .clientCertificateRejected(alert)
        } else if let reason = reasons.first {
            self = .handshake(reason)
        } else {
            self = .handshake("\(error)")
        }
    }
}
