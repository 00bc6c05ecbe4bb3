import OCPP

/// State of the Security profile ("Improved security for OCPP 1.6-J", edition 2) of one
/// charge point. Small while unused: no event pending, no certificate store (it lives out of
/// line and exists only once a root certificate was installed or a key pair was made).
struct SecurityState: Sendable {
    /// Security events not yet confirmed by the Central System, oldest first; the first one
    /// is the one in the outbound queue, if any (bounded by `securityEventCapacity`).
    var pendingEvents: [PendingSecurityEvent] = []
    /// Root certificates, the charge point certificate and keys.
    var store: OutOfLine<CertificateStore>?
    /// Close the connection and connect again at this time: new credentials or security
    /// profile (A01, A05.FR.06) or a new charge point certificate under profile 3.
    var reconnectAt: Timestamp?
    /// StartupOfTheDevice is recorded on the next connection: after power-on or a reboot.
    var startupPending = true
}

/// A security event waiting to be delivered (A04.FR.02: queued while offline).
struct PendingSecurityEvent: Sendable, Equatable {
    var type: String
    var timestamp: Timestamp
    var techInfo: String?
    var critical: Bool
    /// Sends that timed out or got a CALLERROR.
    var failures: UInt8 = 0
}

/// A value kept behind one pointer: for state most charge points never use. Mutations copy
/// the value into a new box, so copies of an engine never share changes.
enum OutOfLine<Value: Sendable>: Sendable {
    indirect case value(Value)

    var value: Value {
        get { switch self { case .value(let value): value } }
        set { self = .value(newValue) }
    }
}

/// A failure of the secured transport that the runtime saw before any OCPP message could
/// flow (security whitepaper §2); each becomes a security event.
public enum TransportSecurityFailure: Sendable, Equatable, CaseIterable {
    /// The Central System refused the charge point's credentials: HTTP 401 on the upgrade
    /// (profiles 1, 2) or a TLS alert about the client certificate (profile 3).
    case rejectedByCentralSystem
    /// The Central System's credentials were refused by the charge point.
    case centralSystemFailedToAuthenticate
    /// The Central System's certificate was invalid or its path did not verify (A00.FR.309, A00.FR.413).
    case invalidCentralSystemCertificate
    /// The Central System offered only TLS below 1.2 (A00.FR.315, A00.FR.419).
    case invalidTLSVersion
    /// The Central System offered only cipher suites the whitepaper forbids (A00.FR.322, A00.FR.426).
    case invalidTLSCipherSuite

    public var eventType: V16.SecurityEventType {
        switch self {
        case .rejectedByCentralSystem: .failedToAuthenticateAtCentralSystem
        case .centralSystemFailedToAuthenticate: .centralSystemFailedToAuthenticate
        case .invalidCentralSystemCertificate: .invalidCentralSystemCertificate
        case .invalidTLSVersion: .invalidTLSVersion
        case .invalidTLSCipherSuite: .invalidTLSCipherSuite
        }
    }
}

extension ChargePointV16 {
    /// Most security events kept undelivered; beyond it the oldest non-critical one goes.
    static let securityEventCapacity = 16
    /// Sends of a critical event that may time out or get a CALLERROR before it is given up.
    static let securityEventAttempts: UInt8 = 3

    // MARK: routing (ChargePointV16+Features)

    mutating func securityCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                               into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .certificateSigned:
            return certificateSigned(try V16.CertificateSignedRequest(json: payload), now: now, into: &out).encoded
        case .deleteCertificate:
            return deleteCertificate(try V16.DeleteCertificateRequest(json: payload), now: now).encoded
        case .getInstalledCertificateIds:
            return installedCertificateIds(try V16.GetInstalledCertificateIdsRequest(json: payload)).encoded
        case .installCertificate:
            return installCertificate(try V16.InstallCertificateRequest(json: payload), now: now).encoded
        default:
            throw CallError(.notSupported, "\(action.rawValue) is not supported by this charge point")
        }
    }

    mutating func securityAnswered(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                   into out: inout [EngineOutput]) throws(CallError) {
        switch action {
        case .securityEventNotification:
            _ = try V16.SecurityEventNotificationResponse(json: payload)
            if !security.pendingEvents.isEmpty { security.pendingEvents.removeFirst() }
            feedSecurityEvent(into: &out)
        case .signCertificate:
            let response = try V16.SignCertificateResponse(json: payload)
            // Accepted: the CA's answer comes as CertificateSigned.req, whenever it comes (A02:
            // no retry from the charge point). Rejected: the key pair has no use any more.
            if response.status == .rejected { security.store?.value.pending = nil }
        default:
            break
        }
    }

    /// A SecurityEventNotification or SignCertificate CALL of ours failed: the connection was
    /// lost (the engine is already offline), it timed out, or the CSMS answered a CALLERROR.
    mutating func securityCallFailed(_ action: V16.Action, now: Timestamp, into out: inout [EngineOutput]) {
        switch action {
        case .securityEventNotification:
            // An unanswered event stays first in line; a lost connection does not count.
            guard isConnected, !security.pendingEvents.isEmpty else { return }
            security.pendingEvents[0].failures += 1
            let event = security.pendingEvents[0]
            if !event.critical || event.failures >= Self.securityEventAttempts {
                security.pendingEvents.removeFirst()
                out.append(.event(.securityEventDropped(type: event.type)))
            }
        case .signCertificate:
            security.store?.value.pending = nil
        default:
            break
        }
    }

    var securityWakeup: Timestamp? {
        var earliest = security.reconnectAt
        func consider(_ time: Timestamp?) {
            if let time, earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        if mayFeedSecurityEvent, let first = security.pendingEvents.first { consider(first.timestamp) }
        consider(certificateRenewalDue)
        return earliest
    }

    mutating func securityTick(now: Timestamp, into out: inout [EngineOutput]) {
        if let at = security.reconnectAt, at <= now {
            security.reconnectAt = nil
            if isConnected {
                // Close and connect again with the new settings: the registration stays
                // Accepted (no BootNotification) and queued messages are kept (A01 step 3).
                disconnected(now: now, into: &out)
                out.append(.reconnect(after: .seconds(1)))
                return
            }
        }
        renewCertificateIfDue(now: now, into: &out)
        feedSecurityEvent(into: &out)
    }

    // MARK: security events (whitepaper A04)

    /// Reports a security event (whitepaper §8), e.g. "FirmwareUpdated", "InvalidFirmwareSignature",
    /// "ResetOrReboot". Other profiles call this. Every event is queued (bounded) and sent once
    /// the boot is Accepted, oldest first; critical ones are kept across disconnects and
    /// reboots until confirmed (A04.FR.02), non-critical ones are the first to go when the
    /// queue is full and are not sent again after a failure. Nothing is recorded unless
    /// `EngineSettings.securityEvents` is on. Like `enqueue`, it leaves the sending to the
    /// caller's `pump` (so an answer being built still goes out first).
    mutating func securityEvent(_ type: String, techInfo: String? = nil, now: Timestamp, into out: inout [EngineOutput]) {
        guard settings.securityEvents else { return }
        let event = PendingSecurityEvent(type: Self.clipped(type, to: 50), timestamp: now,
                                         techInfo: techInfo.map { Self.clipped($0, to: 255) },
                                         critical: V16.SecurityEventType(rawValue: type)?.isCritical ?? false)
        if security.pendingEvents.count >= Self.securityEventCapacity {
            // The first event may be in the outbound queue: its answer must find it first.
            let first = securityEventQueued ? 1 : 0
            let victim = security.pendingEvents.indices.dropFirst(first).first { !security.pendingEvents[$0].critical }
                ?? (event.critical ? security.pendingEvents.indices.dropFirst(first).first : nil)
            guard let victim else {
                out.append(.event(.securityEventDropped(type: event.type)))
                return
            }
            out.append(.event(.securityEventDropped(type: security.pendingEvents.remove(at: victim).type)))
        }
        security.pendingEvents.append(event)
        feedSecurityEvent(into: &out)
    }

    mutating func securityEvent(_ type: V16.SecurityEventType, techInfo: String? = nil, now: Timestamp,
                                into out: inout [EngineOutput]) {
        securityEvent(type.rawValue, techInfo: techInfo, now: now, into: &out)
    }

    /// The runtime could not set up a secured connection (whitepaper §2): reported as a
    /// security event once a connection is Accepted again. Repeats of a failure that is still
    /// undelivered are not queued again (every reconnect attempt would add one).
    public mutating func transportSecurityFailure(kind: TransportSecurityFailure, techInfo: String? = nil,
                                                  now: Timestamp, into out: inout [EngineOutput]) {
        let type = kind.eventType.rawValue
        guard !security.pendingEvents.dropFirst(securityEventQueued ? 1 : 0).contains(where: { $0.type == type }) else { return }
        securityEvent(type, techInfo: techInfo, now: now, into: &out)
        pump(now: now, into: &out)
    }

    /// Hook of `connected`: the charge point is up, after power-on or a reboot.
    mutating func securityConnected(now: Timestamp, into out: inout [EngineOutput]) {
        guard security.startupPending else { return }
        security.startupPending = false
        securityEvent(.startupOfTheDevice, now: now, into: &out)
    }

    /// Hook of `reboot`: a Reset (or another reboot) ends this power cycle.
    mutating func securityRebooting(now: Timestamp, into out: inout [EngineOutput]) {
        security.startupPending = true
        security.reconnectAt = nil
        securityEvent(.resetOrReboot, now: now, into: &out)
    }

    /// Hook of `enqueue`: the transaction journal was full and lost `dropped` for `call`.
    /// One MemoryExhaustion stays pending at a time, however many messages go.
    mutating func securityJournalFull(dropped: PendingCall, for call: PendingCall, into out: inout [EngineOutput]) {
        guard settings.securityEvents, let now = call.timestamp ?? dropped.timestamp,
              !security.pendingEvents.contains(where: { $0.type == V16.SecurityEventType.memoryExhaustion.rawValue })
        else { return }
        securityEvent(.memoryExhaustion, techInfo: "transaction message queue full: \(dropped.action.rawValue) dropped",
                      now: now, into: &out)
    }

    /// A SecurityEventNotification is in the outbound queue or in flight.
    private var securityEventQueued: Bool {
        !security.pendingEvents.isEmpty && queue.contains { $0.action == .securityEventNotification }
    }

    /// Events go out one at a time, only on an Accepted connection (OCPP 1.6 §4.2.1) that is
    /// not about to close, and only when the outbound queue has room.
    private var mayFeedSecurityEvent: Bool {
        !security.pendingEvents.isEmpty && isConnected && registration == .accepted && !isQuiescing
            && security.reconnectAt == nil && queue.count < queue.capacity && !securityEventQueued
    }

    private mutating func feedSecurityEvent(into out: inout [EngineOutput]) {
        guard mayFeedSecurityEvent, let event = security.pendingEvents.first else { return }
        let request = V16.SecurityEventNotificationRequest(type: event.type, timestamp: event.timestamp, techInfo: event.techInfo)
        enqueue(.feature(.securityEventNotification, payload: request.encoded), into: &out)
    }

    private static func clipped(_ text: String, to length: Int) -> String {
        text.unicodeScalars.count <= length ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(length)))
    }

    // MARK: configuration keys (whitepaper §7, A01, A05)

    /// ChangeConfiguration of SecurityProfile: the status that refuses it when the whitepaper
    /// says so (A05.FR.01–04), or nil to let the key's own validation decide.
    func securityRefusal(key: String, value: String, now: Timestamp) -> V16.ConfigurationStatus? {
        guard Configuration.key(named: key)?.name == "SecurityProfile", let profile = Int(value.trimmingSpaces) else {
            return nil
        }
        if profile <= configuration.securityProfile { return .rejected }                                     // A05.FR.01
        if (1...2).contains(profile), configuration.authorizationKey.isEmpty { return .rejected }            // A05.FR.02
        if (2...3).contains(profile), !hasValidRootCertificate(.centralSystemRootCertificate, now: now) {     // A05.FR.03
            return .rejected
        }
        if profile == 3, !hasValidClientCertificate(now: now) { return .rejected }                            // A05.FR.04
        return nil
    }

    /// After an accepted ChangeConfiguration of a security key: the event and the reconnect.
    mutating func securityParametersChanged(_ key: String, now: Timestamp, into out: inout [EngineOutput]) {
        switch key {
        // The reconnect comes first: the event goes out on the new connection.
        case "SecurityProfile":
            security.reconnectAt = now                                                                         // A05.FR.06
            securityEvent(.reconfigurationOfSecurityParameters,
                          techInfo: "SecurityProfile set to \(configuration.securityProfile)", now: now, into: &out)
        case "AuthorizationKey":
            if (1...2).contains(configuration.securityProfile) { security.reconnectAt = now }                  // A01 step 3
            // The key itself never appears in a log or event (A01.FR.12).
            securityEvent(.reconfigurationOfSecurityParameters, techInfo: "AuthorizationKey changed", now: now, into: &out)
        default:
            break
        }
    }
}

extension PendingCall {
    /// When a transaction message's fact happened.
    var timestamp: Timestamp? {
        switch self {
        case .startTransaction(_, _, _, _, let timestamp), .stopTransaction(_, _, _, let timestamp, _, _): timestamp
        case .meterValues(_, _, let values): values.first?.timestamp
        case .statusNotification(_, _, _, let timestamp): timestamp
        case .bootNotification, .heartbeat, .authorize, .feature: nil
        }
    }
}
