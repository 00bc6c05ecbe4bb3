import OCPP

/// The OCPP 1.6 security profiles (OCPP 1.6 Security Whitepaper ed. 2, §2 "Security profiles"):
/// how a charge point proves who it is and whether the connection is encrypted. Profile 0 is
/// "no security profile", the plain OCPP-J 1.6 connection.
public enum SecurityProfile: Int, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// ws://, no authentication.
    case unsecured = 0
    /// ws:// with HTTP Basic authentication (`<chargePointId>:<password>`).
    case basicAuth = 1
    /// wss:// (TLS, the server's certificate verified) with HTTP Basic authentication.
    case tlsWithBasicAuth = 2
    /// wss:// with mutual TLS: the charge point presents its own client certificate; no password.
    case tlsWithClientCertificate = 3

    /// Profiles 2 and 3 run over TLS (wss://); 0 and 1 do not (ws://).
    public var usesTLS: Bool { self == .tlsWithBasicAuth || self == .tlsWithClientCertificate }
    /// Profiles 1 and 2 send `Authorization: Basic …`.
    public var usesPassword: Bool { self == .basicAuth || self == .tlsWithBasicAuth }
    /// Profile 3 presents a client certificate.
    public var usesClientCertificate: Bool { self == .tlsWithClientCertificate }

    public var description: String {
        switch self {
        case .unsecured: "0 (no security profile)"
        case .basicAuth: "1 (Basic authentication over ws://)"
        case .tlsWithBasicAuth: "2 (TLS with Basic authentication)"
        case .tlsWithClientCertificate: "3 (TLS with a client certificate)"
        }
    }
}

/// TLS settings of security profiles 2 and 3. Paths are absolute (the spec's relative paths
/// are resolved against the spec file's directory).
public struct TLSSettings: Sendable, Equatable {
    /// PEM file of the certificate authorities that may sign the CSMS's certificate; `nil`: the
    /// system's trust store.
    public var caFile: String?
    /// PEM certificate (chain) the charge point presents in profile 3. A path pattern: `{id}`
    /// (the charge point id), `{index}` and `{index:0N}` make one file per charge point
    /// (``expandPathPattern(_:id:index:)``).
    public var clientCertificate: String?
    /// PEM private key of `clientCertificate`; a path pattern too.
    public var clientKey: String?
    /// Whether the CSMS's certificate is verified (chain, validity, host name); `false` accepts
    /// any certificate, for self-signed lab backends.
    public var verify: Bool

    public init(caFile: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil, verify: Bool = true) {
        self.caFile = caFile
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.verify = verify
    }

    /// No TLS file named and verification on.
    public var isDefault: Bool { self == TLSSettings() }
}

/// How a group's charge points connect: the security profile and what it needs. Printing it
/// never shows the password (``Secret``).
public struct ConnectionSecurity: Sendable, Equatable {
    public var profile: SecurityProfile
    /// The Basic-authentication password (profiles 1 and 2).
    public var password: Secret?
    public var tls: TLSSettings

    public init(profile: SecurityProfile = .unsecured, password: Secret? = nil, tls: TLSSettings = TLSSettings()) {
        self.profile = profile
        self.password = password
        self.tls = tls
    }

    /// Profile 0: plain ws://, no authentication.
    public static let unsecured = ConnectionSecurity()
}
