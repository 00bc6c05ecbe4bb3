import Foundation
import NIOCore
import OCPP

/// How the embedded CSMS answers: registration, heartbeat interval, which idTags may
/// charge, and the limits of one connection. Immutable once the server starts, shared by
/// every connection.
public struct CentralSystemConfiguration: Sendable {
    /// The status of every BootNotification.conf (OCPP 1.6 §4.2; the same three values answer a
    /// 2.0.1 BootNotificationResponse). Pending and Rejected keep charge points from sending
    /// anything else; what they still send is counted as a violation.
    public var bootStatus: V16.RegistrationStatus = .accepted
    /// `interval` of an Accepted BootNotification.conf: the heartbeat interval in seconds.
    public var heartbeatInterval: Int = 300
    /// `interval` of a Pending or Rejected BootNotification.conf: seconds before the charge
    /// point retries.
    public var bootRetryInterval: Int = 60
    /// Which idTags Authorize, StartTransaction and StopTransaction accept (1.6), and which
    /// idTokens Authorize and TransactionEvent accept (2.0.1).
    public var idTagPolicy: IdTagPolicy = .default
    /// The OCPP versions served: a charge point must offer the subprotocol of one of them
    /// (`ocpp1.6`, `ocpp2.0.1`); of several, its first choice is taken.
    public var ocppVersions: Set<OCPPVersion> = Set(OCPPVersion.allCases)
    /// DataTransfer.req with this vendorId is Accepted; any other gets UnknownVendorId.
    public var vendorId: String = "ocpp-fleet"
    /// The largest WebSocket message (after reassembly of fragments), in bytes.
    public var maxMessageSize: Int = 1 << 20
    /// How long a WebSocket close waits for the peer's close frame before the socket is
    /// closed anyway (on shutdown and when a connection is replaced).
    public var closeGrace: TimeAmount = .seconds(2)
    /// The wall clock for `currentTime`; tests pass a fixed one.
    public var clock: WallClock = .system
    /// Security profiles 1 and 2: when set, a charge point must send HTTP Basic credentials
    /// `<its id>:<password>` with its upgrade request, or is refused with 401. A charge point
    /// that presented a verified client certificate (profile 3) needs none.
    public var password: Secret?
    /// Security profiles 2 and 3: serve wss:// (TLS) with this certificate; nil serves ws://.
    public var tls: CentralSystemTLS?
    /// CS→CP CALLs to send on its own (remote starts, boot-time profiles, periodic triggers…);
    /// nil: the CSMS only answers.
    public var scenario: CentralSystemScenario?

    public init(bootStatus: V16.RegistrationStatus = .accepted, heartbeatInterval: Int = 300,
                bootRetryInterval: Int = 60, idTagPolicy: IdTagPolicy = .default) {
        self.bootStatus = bootStatus
        self.heartbeatInterval = heartbeatInterval
        self.bootRetryInterval = bootRetryInterval
        self.idTagPolicy = idTagPolicy
    }
}

/// The TLS side of the embedded CSMS (security profiles 2 and 3): its certificate and key,
/// and whether charge points must present a client certificate signed by `clientCA`.
public struct CentralSystemTLS: Sendable, Equatable {
    /// PEM file: the server certificate, then any intermediates.
    public var certificateChain: String
    /// PEM file: the certificate's private key.
    public var privateKey: String
    /// PEM file of the CAs that sign charge point certificates; needed unless `clientCertificates` is `.none`.
    public var clientCA: String?
    public var clientCertificates: ClientCertificates

    /// Whether charge points present certificates (security profile 3).
    public enum ClientCertificates: String, Sendable, CaseIterable {
        /// Not asked for (profile 2 only).
        case none
        /// Asked for and verified when presented; a charge point without one must send the
        /// password (profiles 2 and 3 side by side).
        case optional
        /// Required: a connection without a valid client certificate fails in the TLS handshake (profile 3 only).
        case required
    }

    public init(certificateChain: String, privateKey: String, clientCA: String? = nil,
                clientCertificates: ClientCertificates = .none) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.clientCertificates = clientCertificates
    }
}

/// Where `currentTime` comes from. The system clock by default; a fixed instant in tests.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Timestamp

    public init(_ read: @escaping @Sendable () -> Timestamp) { self.read = read }

    public var now: Timestamp { read() }

    /// The system's real-time clock.
    public static let system = WallClock {
        Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// Always the same instant.
    public static func fixed(_ instant: Timestamp) -> WallClock { WallClock { instant } }
}

/// Decides the `idTagInfo.status` the CSMS answers for an idTag (OCPP 1.6 §7.27), in
/// Authorize.conf, StartTransaction.conf and StopTransaction.conf.
///
/// The default accepts every tag except those whose first characters say otherwise:
/// `BLOCKED…` → Blocked, `EXPIRED…` → Expired, `INVALID…` → Invalid. IdToken is a
/// CiString20, so prefixes match ASCII case-insensitively (`blocked-7` is Blocked too).
/// Fleet specs use these prefixes to script refused sessions without a tag database.
public enum IdTagPolicy: Sendable, Equatable {
    /// Every idTag is Accepted.
    case acceptAll
    /// The first rule whose prefix starts the tag decides; otherwise `otherwise`.
    case prefixes([PrefixRule], otherwise: V16.AuthorizationStatus)

    /// One prefix and the status a tag starting with it gets.
    public struct PrefixRule: Sendable, Equatable {
        public var prefix: String
        public var status: V16.AuthorizationStatus

        public init(_ prefix: String, _ status: V16.AuthorizationStatus) {
            self.prefix = prefix
            self.status = status
        }
    }

    /// Accepted, except `BLOCKED…` → Blocked, `EXPIRED…` → Expired, `INVALID…` → Invalid.
    public static let `default` = IdTagPolicy.prefixes(
        [PrefixRule("BLOCKED", .blocked), PrefixRule("EXPIRED", .expired), PrefixRule("INVALID", .invalid)],
        otherwise: .accepted)

    /// The status for `idTag`.
    public func status(for idTag: String) -> V16.AuthorizationStatus {
        switch self {
        case .acceptAll:
            return .accepted
        case .prefixes(let rules, let otherwise):
            for rule in rules where Self.hasPrefixIgnoringASCIICase(idTag, rule.prefix) {
                return rule.status
            }
            return otherwise
        }
    }

    private static func hasPrefixIgnoringASCIICase(_ text: String, _ prefix: String) -> Bool {
        var remaining = text.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let actual = remaining.next(), lowercased(actual) == lowercased(expected) else { return false }
        }
        return true
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
