@testable import ChargePoint
import ChargePointSecurity
import Foundation
import OCPP
import Testing

/// The crypto of the tests: one instance for every engine, as in a fleet.
let testCertificateServices = X509CertificateServices()

extension ScriptedCSMS {
    /// A booted charge point with the security extension: events on, certificate services,
    /// CpoName set.
    static func secured(events: Bool = true, certificates: Bool = true, heartbeat: Int = 86_400,
                        configuration: [(String, String)] = [("CpoName", "Test CPO")]) -> ScriptedCSMS {
        booted(settings: EngineSettings(securityEvents: events, certificateServices: certificates ? testCertificateServices : nil),
               configuration: configuration, heartbeat: heartbeat)
    }

    func securityEvents() throws -> [V16.SecurityEventNotificationRequest] {
        try decoded(V16.SecurityEventNotificationRequest.self)
    }

    mutating func raise(_ type: String, techInfo: String? = nil) {
        input {
            $0.securityEvent(type, techInfo: techInfo, now: $1, into: &$2)
            $0.pump(now: $1, into: &$2)  // as the input of the profile that raised it does
        }
    }
}

@Suite("Security events (security whitepaper A04)")
struct SecurityEventTests {
    @Test("StartupOfTheDevice waits for an Accepted boot, then follows the StatusNotifications")
    func notBeforeAccepted() throws {
        var csms = ScriptedCSMS(settings: EngineSettings(securityEvents: true))
        csms.bootStatus = .pending
        csms.bootInterval = 60
        csms.connect()
        csms.advance(by: .seconds(30))
        #expect(csms.actions == ["BootNotification"])
        csms.bootStatus = .accepted
        csms.advance(by: .seconds(31))
        #expect(csms.actions == ["BootNotification", "BootNotification", "StatusNotification", "StatusNotification",
                                 "StatusNotification", "SecurityEventNotification"])
        let events = try csms.securityEvents()
        #expect(events.map(\.type) == ["StartupOfTheDevice"])
        #expect(events.first?.timestamp == ScriptedCSMS.start, "when the charge point came up, not when it was sent")
    }

    @Test("After a Reset: ResetOrReboot at the reset, StartupOfTheDevice at the restart, once the new boot is Accepted",
          arguments: [V16.ResetType.hard, .soft])
    func afterReset(type: V16.ResetType) throws {
        var csms = ScriptedCSMS.secured()
        #expect(try csms.securityEvents().map(\.type) == ["StartupOfTheDevice"])
        csms.advance(by: .seconds(100))
        let resetAt = csms.now
        #expect(try csms.call(V16.ResetRequest(type: type)).status == .accepted)
        #expect(csms.reboots == [resetAt])
        let sentBefore = csms.calls.count
        csms.advance(by: .seconds(10))
        #expect(csms.engine.isAccepted)
        let after = csms.calls[sentBefore...].map(\.action)
        #expect(after.first == "BootNotification")
        #expect(Array(after.suffix(2)) == ["SecurityEventNotification", "SecurityEventNotification"])
        let events = try csms.securityEvents().dropFirst()
        #expect(events.map(\.type) == ["ResetOrReboot", "StartupOfTheDevice"])
        #expect(events.map(\.timestamp) == [resetAt, resetAt + .seconds(1)])
    }

    @Test("Without EngineSettings.securityEvents no event is recorded or sent")
    func off() throws {
        var csms = ScriptedCSMS.secured(events: false)
        csms.raise("TamperDetectionActivated")
        #expect(try csms.call(V16.ResetRequest(type: .hard)).status == .accepted)
        csms.advance(by: .seconds(10))
        #expect(csms.engine.isAccepted)
        #expect(csms.calls(.securityEventNotification).isEmpty)
        #expect(csms.engine.security.pendingEvents.isEmpty)
    }

    @Test("Events raised offline are queued and sent after the reconnect, oldest first, with their own time")
    func queuedAcrossDisconnect() throws {
        var csms = ScriptedCSMS.secured()
        csms.advance(by: .seconds(10))
        csms.disconnect()
        csms.advance(by: .seconds(10))
        csms.raise("TamperDetectionActivated", techInfo: "lid opened")
        csms.advance(by: .seconds(10))
        csms.raise("InvalidMessages")
        csms.advance(by: .seconds(10))
        #expect(csms.calls(.securityEventNotification).count == 1)
        csms.connect()
        let events = try csms.securityEvents().dropFirst()
        #expect(events.map(\.type) == ["TamperDetectionActivated", "InvalidMessages"])
        #expect(events.map(\.timestamp) == [ScriptedCSMS.start + .seconds(20), ScriptedCSMS.start + .seconds(30)])
        #expect(events.first?.techInfo == "lid opened")
        #expect(csms.actions.suffix(2) == ["SecurityEventNotification", "SecurityEventNotification"], "after the StatusNotifications")
        #expect(csms.engine.security.pendingEvents.isEmpty)
    }

    @Test("A critical event whose answer never came is sent again after the reconnect, and only then forgotten")
    func unansweredIsResent() throws {
        var csms = ScriptedCSMS.secured()
        csms.script["SecurityEventNotification"] = [.hold]
        csms.raise("SecurityLogWasCleared")
        #expect(csms.held.count == 1)
        csms.disconnect()
        csms.advance(by: .seconds(5))
        csms.connect()
        csms.advance(by: .seconds(60))
        let sent = csms.calls(.securityEventNotification).dropFirst()
        #expect(sent.count == 2)
        #expect(sent.map(\.payload) == Array(repeating: sent.first!.payload, count: 2))
        #expect(csms.engine.security.pendingEvents.isEmpty)
    }

    @Test("A refused critical event is tried three times, a refused non-critical one once; each loss is counted",
          arguments: [("TamperDetectionActivated", 3), ("ReconfigurationOfSecurityParameters", 1)])
    func refused(type: String, attempts: Int) throws {
        var csms = ScriptedCSMS.secured()
        csms.script["SecurityEventNotification"] = Array(repeating: .error(.notSupported), count: 5)
        csms.raise(type)
        csms.advance(by: .seconds(120))
        #expect(csms.calls(.securityEventNotification).count == 1 + attempts)
        #expect(csms.events.filter { $0 == .securityEventDropped(type: type) }.count == 1)
        #expect(csms.engine.security.pendingEvents.isEmpty)
    }

    @Test("An event that times out is retried while critical")
    func timeout() throws {
        var csms = ScriptedCSMS.secured()
        csms.script["SecurityEventNotification"] = [.hold]
        csms.raise("MemoryExhaustion")
        csms.advance(by: .seconds(31))
        #expect(csms.events.contains(.callTimedOut(action: "SecurityEventNotification")))
        #expect(csms.calls(.securityEventNotification).count == 3)
        #expect(csms.engine.security.pendingEvents.isEmpty)
    }

    @Test("The queue of undelivered events is bounded: the oldest non-critical event goes first, and every loss is counted")
    func bounded() throws {
        var csms = ScriptedCSMS.secured()
        csms.disconnect()
        csms.raise("InvalidMessages")
        for index in 1...16 { csms.raise("TamperDetectionActivated", techInfo: "#\(index)") }
        #expect(csms.events.last == .securityEventDropped(type: "InvalidMessages"))
        csms.raise("InvalidTLSVersion")  // non-critical and nothing else to give way: it goes itself
        #expect(csms.events.last == .securityEventDropped(type: "InvalidTLSVersion"))
        csms.raise("SecurityLogWasCleared")  // critical: the oldest critical one gives way
        #expect(csms.events.last == .securityEventDropped(type: "TamperDetectionActivated"))
        #expect(csms.engine.security.pendingEvents.count == ChargePointV16.securityEventCapacity)
        csms.connect()
        let events = try csms.securityEvents().dropFirst()
        #expect(events.map(\.techInfo) == (2...16).map { "#\($0)" } + [nil])
        #expect(events.last?.type == "SecurityLogWasCleared")
    }

    @Test("An overflowing transaction journal is reported once as MemoryExhaustion")
    func memoryExhaustion() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(queueCapacity: 10, securityEvents: true),
                                       configuration: [("MeterValueSampleInterval", "60"), ("AllowOfflineTxForUnknownId", "true")],
                                       heartbeat: 86_400)
        csms.disconnect()
        csms.plugIn(1)
        csms.present("OFFLINE", on: 1)
        csms.advance(by: .seconds(3600))
        #expect(csms.events.contains(.transactionMessageDropped(action: "MeterValues", reason: .overflow)))
        #expect(csms.engine.security.pendingEvents.map(\.type) == ["MemoryExhaustion"])
        csms.connect()
        csms.advance(by: .seconds(60))
        let events = try csms.securityEvents().filter { $0.type == "MemoryExhaustion" }
        #expect(events.count == 1)
        #expect(events.first?.techInfo == "transaction message queue full: MeterValues dropped")
    }

    @Test("Transport failures are reported after the next Accepted connection, once per kind while undelivered")
    func transportFailures() throws {
        var csms = ScriptedCSMS.secured()
        csms.disconnect()
        for _ in 0..<3 {
            csms.advance(by: .seconds(10))
            csms.input { $0.transportSecurityFailure(kind: .rejectedByCentralSystem, techInfo: "HTTP 401", now: $1, into: &$2) }
        }
        csms.input { $0.transportSecurityFailure(kind: .invalidTLSVersion, now: $1, into: &$2) }
        csms.connect()
        let events = try csms.securityEvents().dropFirst()
        #expect(events.map(\.type) == ["FailedToAuthenticateAtCentralSystem", "InvalidTLSVersion"])
        #expect(events.first?.timestamp == ScriptedCSMS.start + .seconds(10))
        #expect(events.first?.techInfo == "HTTP 401")
        #expect(Set(TransportSecurityFailure.allCases.map(\.eventType).map(\.isCritical)) == [false])
    }

    @Test("Type and techInfo are cut to the schema's lengths")
    func lengths() throws {
        var csms = ScriptedCSMS.secured()
        csms.raise("Vendor." + String(repeating: "x", count: 60), techInfo: String(repeating: "é", count: 300))
        let event = try #require(try csms.securityEvents().last)
        #expect(event.type.unicodeScalars.count == 50)
        #expect(event.techInfo?.unicodeScalars.count == 255)
    }
}

@Suite("Security configuration keys (security whitepaper §7, A01, A05)")
struct SecurityConfigurationTests {
    static let secret = "0123456789ABCDEF0123456789ABCDEF01234567"

    @Test("AuthorizationKey is write-only: listed without a value, never on the wire from the charge point, never printed")
    func authorizationKeyHidden() throws {
        var csms = ScriptedCSMS.secured()
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "AuthorizationKey", value: Self.secret)).status == .accepted)
        #expect(csms.engine.configuration.authorizationKey == Self.secret, "the runtime reads it for HTTP Basic")
        let all = try csms.call(V16.GetConfigurationRequest())
        let listed = try #require(all.configurationKey?.first { $0.key == "AuthorizationKey" })
        #expect(listed == V16.KeyValue(key: "AuthorizationKey", readonly: false, value: nil))
        let one = try csms.call(V16.GetConfigurationRequest(key: ["authorizationkey"]))
        #expect(one.configurationKey == [V16.KeyValue(key: "AuthorizationKey", readonly: false, value: nil)])
        csms.advance(by: .seconds(10))
        for frame in csms.wire where frame.fromEngine {
            #expect(!String(decoding: frame.bytes, as: UTF8.self).contains(Self.secret))
        }
        let events = try csms.securityEvents().filter { $0.type == "ReconfigurationOfSecurityParameters" }
        #expect(events.map(\.techInfo) == ["AuthorizationKey changed"])
        var dumped = ""
        dump(csms.engine, to: &dumped)
        for text in [String(describing: csms.engine), String(reflecting: csms.engine.configuration), dumped] {
            #expect(!text.contains(Self.secret))
        }
        #expect(csms.reconnects.isEmpty, "profile 0 does not use the key: no reconnect")
    }

    @Test("AuthorizationKey takes 16 to 40 characters", arguments: [(15, false), (16, true), (32, true), (40, true), (41, false)])
    func authorizationKeyLength(length: Int, accepted: Bool) throws {
        var csms = ScriptedCSMS.secured(events: false)
        let answer = try csms.call(V16.ChangeConfigurationRequest(key: "AuthorizationKey", value: String(repeating: "a", count: length)))
        #expect(answer.status == (accepted ? .accepted : .rejected))
    }

    @Test("CpoName takes 1 to 64 characters (the CSR's organizationName)",
          arguments: [(0, false), (1, true), (64, true), (65, false)])
    func cpoName(length: Int, accepted: Bool) throws {
        var csms = ScriptedCSMS.secured(events: false)
        let value = String(repeating: "é", count: length)
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "CpoName", value: value)).status == (accepted ? .accepted : .rejected))
        #expect(csms.engine.configuration.cpoName == (accepted ? value : "Test CPO"))
    }

    @Test("A changed AuthorizationKey in use (profile 1, 2) makes the charge point reconnect, without a new boot")
    func authorizationKeyReconnect() throws {
        var csms = ScriptedCSMS.secured(configuration: [("CpoName", "Test CPO"), ("AuthorizationKey", String(repeating: "k", count: 20)),
                                                        ("SecurityProfile", "1")])
        csms.advance(by: .seconds(5))
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "AuthorizationKey", value: Self.secret)).status == .accepted)
        #expect(csms.reconnects == [csms.now], "closed after the answer went out")
        csms.advance(by: .seconds(5))
        #expect(csms.isConnected && csms.engine.isAccepted)
        #expect(csms.calls(.bootNotification).count == 1)
        #expect(csms.actions.last == "SecurityEventNotification", "reported on the new connection")
    }

    @Test("SecurityProfile only rises, and only with its prerequisites (A05.FR.01–05); each rise reconnects")
    func securityProfile() throws {
        var csms = ScriptedCSMS.secured()
        func change(_ value: String) throws -> V16.ConfigurationStatus {
            let status = try csms.call(V16.ChangeConfigurationRequest(key: "SecurityProfile", value: value)).status
            csms.advance(by: .seconds(5))
            return status
        }
        #expect(try change("0") == .rejected)                       // not higher
        #expect(try change("1") == .rejected)                       // no AuthorizationKey
        #expect(try change("4") == .rejected)                       // no such profile
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "AuthorizationKey", value: Self.secret)).status == .accepted)
        #expect(try change("1") == .accepted)
        #expect(csms.reconnects.count == 1 && csms.engine.isAccepted)
        #expect(try change("2") == .rejected)                       // no CentralSystemRootCertificate
        let pki = try TestPKI()
        #expect(try csms.call(V16.InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: pki.root.pem)).status
                == .accepted)
        #expect(try change("2") == .accepted)
        #expect(try change("3") == .rejected)                       // no charge point certificate
        try csms.obtainCertificate(from: pki.root)
        #expect(csms.reconnects.count == 2, "no reconnect for a new certificate below profile 3")
        #expect(try change("3") == .accepted)
        #expect(try change("2") == .rejected)                       // never lower (A00.FR.005)
        #expect(csms.engine.configuration.securityProfile == 3)
        #expect(csms.reconnects.count == 3)
        #expect(csms.calls(.bootNotification).count == 1)
        let techInfo = try csms.securityEvents().filter { $0.type == "ReconfigurationOfSecurityParameters" }.map(\.techInfo)
        #expect(techInfo == ["AuthorizationKey changed", "SecurityProfile set to 1", "SecurityProfile set to 2", "SecurityProfile set to 3"])
        // Under profile 3 a new certificate is used on a new connection (TC_074).
        try csms.obtainCertificate(from: pki.root)
        #expect(csms.reconnects.count == 4)
    }

    @Test("The fleet spec may set any profile before the first connection (A00.FR.004), never a lower one")
    func configuredProfile() {
        var engine = ChargePointV16(identity: ScriptedCSMS.identity)
        #expect(engine.configure([(key: "SecurityProfile", value: "3")]).isEmpty)
        #expect(engine.configure([(key: "SecurityProfile", value: "2")]) == ["SecurityProfile"])
    }

    @Test("The read-only keys report the charge point's limits; a longer certificateChain is a CALLERROR")
    func readOnlyKeys() throws {
        var csms = ScriptedCSMS.secured(events: false)
        let report = try csms.call(V16.GetConfigurationRequest(key: ["AdditionalRootCertificateCheck", "CertificateSignedMaxChainSize",
                                                                     "CertificateStoreMaxLength"]))
        #expect(report.configurationKey == [V16.KeyValue(key: "AdditionalRootCertificateCheck", readonly: true, value: "false"),
                                            V16.KeyValue(key: "CertificateSignedMaxChainSize", readonly: true, value: "10000"),
                                            V16.KeyValue(key: "CertificateStoreMaxLength", readonly: true, value: "8")])
        for key in ["AdditionalRootCertificateCheck", "CertificateSignedMaxChainSize", "CertificateStoreMaxLength"] {
            #expect(try csms.call(V16.ChangeConfigurationRequest(key: key, value: "1")).status == .rejected)
        }
        let tooLong = String(repeating: "A", count: Configuration.certificateSignedMaxChainSize + 1)
        let answer = csms.send("CertificateSigned", .object([("certificateChain", .string(tooLong))]))
        guard case .callError(_, let code, _, _)? = answer else {
            Issue.record("expected a CALLERROR, got \(String(describing: answer))")
            return
        }
        #expect(code == "TypeConstraintViolation")
    }

    @Test("An idle engine keeps the Security profile's state small")
    func memory() {
        let csms = ScriptedCSMS.booted()
        #expect(MemoryLayout<SecurityState>.size <= 32)
        #expect(csms.engine.security.store == nil)
        #expect(csms.engine.security.pendingEvents.capacity == 0)
    }
}
