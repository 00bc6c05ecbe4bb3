import CentralSystem
import Fleet
import FleetSpec
import Foundation
import InMemoryLogging
import LabPKI
import Logging
import NIOPosix
import OCPP
import Telemetry
import Testing

/// Security profiles 1, 2 and 3 end to end over loopback: a fleet against the embedded CSMS
/// in this process, with a throwaway CA and certificates made at test time, and the failures a
/// user meets (wrong password, untrusted, expired or misnamed server certificate, a missing
/// or foreign client certificate), each counted under its kind.
@Suite("Security profiles end to end against the embedded CSMS", .timeLimit(.minutes(5)))
struct SecurityProfileTests {
    static let password = "lab-password-0123456789"
    static let count = 4

    /// Certificates for one test, in their own temporary directory.
    final class PKI: Sendable {
        let directory: String
        let authority: LabCertificateAuthority
        let caFile: String

        init() throws {
            directory = NSTemporaryDirectory() + "ocpp-fleet-tls-test-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory + "/clients", withIntermediateDirectories: true)
            authority = try LabCertificateAuthority()
            caFile = directory + "/ca.pem"
            try Data(authority.certificatePEM().utf8).write(to: URL(fileURLWithPath: caFile))
        }

        /// Writes `<name>.pem` and `<name>.key` and returns their paths.
        func issue(_ name: String, commonName: String? = nil, role: LabCertificateAuthority.Role,
                   dnsNames: [String] = [], ipAddresses: [String] = [], expired: Bool = false,
                   by issuer: LabCertificateAuthority? = nil) throws -> (certificate: String, key: String) {
            let now = Date()
            let issued = try (issuer ?? authority).issue(
                commonName: commonName ?? name, role: role, dnsNames: dnsNames, ipAddresses: ipAddresses,
                notValidBefore: expired ? now - 10 * 86_400 : now - 3600,
                notValidAfter: expired ? now - 86_400 : now + 86_400)
            let paths = ("\(directory)/\(name).pem", "\(directory)/\(name).key")
            try issued.write(certificateTo: paths.0, keyTo: paths.1)
            return paths
        }

        /// The usual server certificate: for 127.0.0.1.
        func server() throws -> (certificate: String, key: String) {
            try issue("server", commonName: "localhost", role: .server, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        }

        /// A client certificate per charge point id, as `clients/<id>.pem`.
        func clients(_ ids: [String], by issuer: LabCertificateAuthority? = nil) throws {
            for id in ids { _ = try issue("clients/\(id)", commonName: id, role: .client, by: issuer) }
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The embedded CSMS in this process.
    struct Server {
        let server: CentralSystemServer
        let group: MultiThreadedEventLoopGroup
        let port: Int

        static func start(password: String? = nil, tls: CentralSystemTLS? = nil, logger: Logger? = nil) async throws -> Server {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var configuration = CentralSystemConfiguration()
            configuration.heartbeatInterval = 5
            configuration.password = password.map(Secret.init)
            configuration.tls = tls
            let server = CentralSystemServer(configuration: configuration, group: group, logger: logger ?? Logger(label: "csms"))
            let port = try await server.start(host: "127.0.0.1", port: 0)
            return Server(server: server, group: group, port: port)
        }

        func stop() async throws -> CentralSystemStats {
            let stats = server.stats
            try await server.shutdown()
            try await group.shutdownGracefully()
            return stats
        }
    }

    static func spec(url: String, csms: String, groups: String? = nil) -> String {
        """
        csms:
          url: \(url)
        \(csms.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        run: {seed: 3, callTimeout: 10s, stopTimeout: 5s, reconnectInitial: 200ms, reconnectMax: 1s}
        groups:
        \(groups ?? "  - {name: lab, count: \(count), idPattern: \"CP-{index}\"}")
        behaviours:
          default: {idleBetweenSessions: 1h}
        """
    }

    func run(_ yaml: String, against server: Server, scheme: String, seconds: Int = 3,
             logger: Logger? = nil) async throws -> FleetOutcome {
        try await runFleet(spec: yaml, file: "security.yaml", seconds: seconds,
                           against: "\(scheme)://127.0.0.1:\(server.port)/ocpp", logger: logger).0
    }

    /// Every charge point connected and booted; nothing failed.
    func expectAllConnected(_ outcome: FleetOutcome, _ count: Int = count, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.peakConnected == count, sourceLocation: sourceLocation)
        #expect(outcome.telemetry.bootAccepted == count, sourceLocation: sourceLocation)
        #expect(outcome.telemetry.connectionFailures.isEmpty, "\(outcome.telemetry.connectFailures)", sourceLocation: sourceLocation)
    }

    /// No charge point connected; every failed attempt is of `kind`, and every charge point failed at least once.
    func expectRefused(_ outcome: FleetOutcome, kind: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.peakConnected == 0, sourceLocation: sourceLocation)
        #expect(Set(outcome.telemetry.connectionFailures.keys) == [kind], "\(outcome.telemetry.connectFailures)",
                sourceLocation: sourceLocation)
        #expect((outcome.telemetry.connectionFailures[kind] ?? 0) >= Self.count, sourceLocation: sourceLocation)
    }

    // MARK: profile 1

    @Test("Profile 1: ws:// with the right password connects every charge point")
    func basicAuth() async throws {
        let server = try await Server.start(password: Self.password)
        let url = "ws://127.0.0.1:\(server.port)/ocpp"
        let outcome = try await run(Self.spec(url: url, csms: "securityProfile: 1\npassword: \(Self.password)"),
                                    against: server, scheme: "ws")
        let stats = try await server.stop()
        expectAllConnected(outcome)
        #expect(stats.authenticationFailures == 0)
    }

    @Test("Profile 1: a wrong or missing password is refused with HTTP 401, counted as http-401",
          arguments: ["securityProfile: 1\npassword: wrong-password-0123456789", "securityProfile: 0"])
    func wrongPassword(csms: String) async throws {
        let server = try await Server.start(password: Self.password)
        let outcome = try await run(Self.spec(url: "ws://127.0.0.1:\(server.port)/ocpp", csms: csms),
                                    against: server, scheme: "ws")
        let stats = try await server.stop()
        expectRefused(outcome, kind: "http-401")
        #expect(stats.authenticationFailures >= Self.count)
        #expect(stats.connectionsAccepted == 0)
    }

    // MARK: profile 2

    @Test("Profile 2: wss:// with the server verified against the CA file, and the password, connects every charge point")
    func tlsWithPassword() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let (certificate, key) = try pki.server()
        let server = try await Server.start(password: Self.password, tls: CentralSystemTLS(certificateChain: certificate, privateKey: key))
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile)}")
        let outcome = try await run(yaml, against: server, scheme: "wss")
        let stats = try await server.stop()
        expectAllConnected(outcome)
        #expect(stats.tlsHandshakesFailed == 0)
    }

    enum BadServerCertificate: String, CaseIterable, CustomTestStringConvertible {
        case untrusted, expired, wrongHost
        var testDescription: String { rawValue }
        var kind: String {
            switch self {
            case .untrusted: "tls-untrusted"
            case .expired: "tls-expired"
            case .wrongHost: "tls-hostname"
            }
        }
    }

    @Test("Profile 2: an untrusted, expired or misnamed server certificate is refused and counted by kind",
          arguments: BadServerCertificate.allCases)
    func badServerCertificate(_ problem: BadServerCertificate) async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let files: (certificate: String, key: String)
        switch problem {
        case .untrusted:
            files = try pki.issue("server", role: .server, ipAddresses: ["127.0.0.1"], by: try LabCertificateAuthority(name: "stranger"))
        case .expired:
            files = try pki.issue("server", role: .server, ipAddresses: ["127.0.0.1"], expired: true)
        case .wrongHost:
            files = try pki.issue("server", commonName: "csms.example", role: .server, dnsNames: ["csms.example"])
        }
        let server = try await Server.start(password: Self.password,
                                            tls: CentralSystemTLS(certificateChain: files.certificate, privateKey: files.key))
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile)}")
        let outcome = try await run(yaml, against: server, scheme: "wss", seconds: 2)
        let stats = try await server.stop()
        expectRefused(outcome, kind: problem.kind)
        #expect(stats.connectionsAccepted == 0)
    }

    @Test("Profile 2 with verify: false accepts a certificate from an unknown CA (self-signed lab backends)")
    func verifyOff() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let files = try pki.issue("server", role: .server, dnsNames: ["csms.example"], by: try LabCertificateAuthority(name: "lab"))
        let server = try await Server.start(password: Self.password,
                                            tls: CentralSystemTLS(certificateChain: files.certificate, privateKey: files.key))
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile), verify: false}")
        let outcome = try await run(yaml, against: server, scheme: "wss")
        _ = try await server.stop()
        expectAllConnected(outcome)
    }

    // MARK: profile 3

    func mutualTLSServer(_ pki: PKI, mode: CentralSystemTLS.ClientCertificates, password: String? = nil) async throws -> Server {
        let (certificate, key) = try pki.server()
        return try await Server.start(password: password, tls: CentralSystemTLS(
            certificateChain: certificate, privateKey: key, clientCA: pki.caFile, clientCertificates: mode))
    }

    @Test("Profile 3: mutual TLS with a client certificate per charge point ({id} in the path) connects every charge point")
    func mutualTLS() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        try pki.clients((1...Self.count).map { "CP-\($0)" })
        let server = try await mutualTLSServer(pki, mode: .required)
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp", csms: """
            securityProfile: 3
            tls: {caFile: \(pki.caFile), clientCertificate: "\(pki.directory)/clients/{id}.pem", clientKey: "\(pki.directory)/clients/{id}.key"}
            """)
        let outcome = try await run(yaml, against: server, scheme: "wss")
        let stats = try await server.stop()
        expectAllConnected(outcome)
        #expect(stats.tlsHandshakesFailed == 0 && stats.authenticationFailures == 0)
    }

    @Test("Profile 3: a charge point without a client certificate fails the TLS handshake, counted as tls-client-certificate-required")
    func missingClientCertificate() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let server = try await mutualTLSServer(pki, mode: .required)
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile)}")
        let outcome = try await run(yaml, against: server, scheme: "wss", seconds: 2)
        let stats = try await server.stop()
        expectRefused(outcome, kind: "tls-client-certificate-required")
        #expect(stats.tlsHandshakesFailed >= Self.count)
    }

    @Test("Profile 3: a client certificate from a foreign CA is refused by the CSMS, counted as tls-client-certificate-rejected")
    func foreignClientCertificate() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        try pki.clients((1...Self.count).map { "CP-\($0)" }, by: try LabCertificateAuthority(name: "stranger"))
        let server = try await mutualTLSServer(pki, mode: .required)
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp", csms: """
            securityProfile: 3
            tls: {caFile: \(pki.caFile), clientCertificate: "\(pki.directory)/clients/{id}.pem", clientKey: "\(pki.directory)/clients/{id}.key"}
            """)
        let outcome = try await run(yaml, against: server, scheme: "wss", seconds: 2)
        _ = try await server.stop()
        expectRefused(outcome, kind: "tls-client-certificate-rejected")
    }

    @Test("Profile 3: a certificate for another charge point is refused with HTTP 403")
    func certificateForAnotherChargePoint() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let shared = try pki.issue("shared", commonName: "SOMEONE-ELSE", role: .client)
        let server = try await mutualTLSServer(pki, mode: .required)
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp", csms: """
            securityProfile: 3
            tls: {caFile: \(pki.caFile), clientCertificate: \(shared.certificate), clientKey: \(shared.key)}
            """)
        let outcome = try await run(yaml, against: server, scheme: "wss", seconds: 2)
        _ = try await server.stop()
        expectRefused(outcome, kind: "http-403")
    }

    @Test("Profiles 2 and 3 side by side on one CSMS (client certificates optional): every charge point connects")
    func mixedProfiles() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        try pki.clients((Self.count + 1...2 * Self.count).map { "MTLS-\($0)" })
        let server = try await mutualTLSServer(pki, mode: .optional, password: Self.password)
        let groups = """
              - {name: password, count: \(Self.count), idPattern: "PW-{index}"}
              - name: certificate
                count: \(Self.count)
                idPattern: "MTLS-{index}"
                csms:
                  securityProfile: 3
                  tls: {clientCertificate: "\(pki.directory)/clients/{id}.pem", clientKey: "\(pki.directory)/clients/{id}.key"}
            """
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile)}", groups: groups)
        let outcome = try await run(yaml, against: server, scheme: "wss")
        let stats = try await server.stop()
        expectAllConnected(outcome, 2 * Self.count)
        #expect(stats.authenticationFailures == 0)
    }

    @Test("Failures stay with their group: a wrong password and a foreign CA each fail their own group, counted under it by kind, while the group set up right connects")
    func failuresPerGroup() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let (certificate, key) = try pki.server()
        let strangerFile = pki.directory + "/stranger-ca.pem"
        try Data(try LabCertificateAuthority(name: "stranger").certificatePEM().utf8).write(to: URL(fileURLWithPath: strangerFile))
        let server = try await Server.start(password: Self.password, tls: CentralSystemTLS(certificateChain: certificate, privateKey: key))
        let groups = """
              - {name: right, count: \(Self.count), idPattern: "OK-{index}"}
              - {name: wrong-password, count: \(Self.count), idPattern: "PW-{index}", csms: {password: wrong-password-0123456789}}
              - {name: foreign-ca, count: \(Self.count), idPattern: "CA-{index}", csms: {tls: {caFile: \(strangerFile)}}}
            """
        let yaml = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile)}", groups: groups)
        let outcome = try await run(yaml, against: server, scheme: "wss")
        _ = try await server.stop()

        #expect(outcome.groups.count == 3)
        let (right, password, authority) = (outcome.groups[0], outcome.groups[1], outcome.groups[2])
        #expect(right.peakConnected == Self.count && right.bootAccepted == Self.count)
        #expect(right.connectionFailures.isEmpty, "\(right.connectionFailures)")
        #expect(password.peakConnected == 0 && password.bootAccepted == 0)
        #expect(Set(password.connectionFailures.keys) == ["http-401"], "\(password.connectionFailures)")
        #expect((password.connectionFailures["http-401"] ?? 0) >= Self.count)
        #expect(authority.peakConnected == 0 && authority.bootAccepted == 0)
        #expect(Set(authority.connectionFailures.keys) == ["tls-untrusted"], "\(authority.connectionFailures)")
        #expect((authority.connectionFailures["tls-untrusted"] ?? 0) >= Self.count)
        // The fleet's kinds are the groups' (its counts may run past the last second sampled).
        #expect(Set(outcome.groups.flatMap(\.connectionFailures.keys)) == Set(outcome.telemetry.connectionFailures.keys))
    }

    // MARK: the password stays secret

    @Test("The password appears in no log line (trace level, both sides) and in no report format")
    func passwordNeverShown() async throws {
        let pki = try PKI()
        defer { pki.remove() }
        let (certificate, key) = try pki.server()
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "secret-test") { _ in logs }
        logger.logLevel = .trace
        let server = try await Server.start(password: Self.password,
                                            tls: CentralSystemTLS(certificateChain: certificate, privateKey: key), logger: logger)
        let good = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                             csms: "securityProfile: 2\npassword: \(Self.password)\ntls: {caFile: \(pki.caFile)}")
        let wrongPassword = "wrong-" + Self.password
        let bad = Self.spec(url: "wss://127.0.0.1:\(server.port)/ocpp",
                            csms: "securityProfile: 2\npassword: \(wrongPassword)\ntls: {caFile: \(pki.caFile)}")
        let accepted = try await run(good, against: server, scheme: "wss", logger: logger)
        let refused = try await run(bad, against: server, scheme: "wss", seconds: 2, logger: logger)
        _ = try await server.stop()
        expectAllConnected(accepted)
        expectRefused(refused, kind: "http-401")

        var texts = logs.entries.map { "\($0.message) \($0.metadata)" }
        #expect(texts.contains { $0.contains("http-401") }, "the failure is logged once per group and kind")
        #expect(texts.filter { $0.contains("connection failed") }.count == 1, "one line for the group, not one per charge point")
        for outcome in [accepted, refused] {
            let report = RunReport.build(
                snapshot: outcome.telemetry,
                run: RunMetadata(tool: .init(version: "test"), seed: 3, startedAt: Date(), durationSeconds: 3,
                                 csms: .init(url: "wss://127.0.0.1:\(server.port)/ocpp", embedded: true),
                                 configuredChargePoints: Self.count),
                peakConnected: outcome.peakConnected, baseline: ProcessSample.now(), end: ProcessSample.now(),
                availableCores: 2)
            texts.append(renderText(report: report))
            texts.append(String(decoding: try report.jsonData(), as: UTF8.self))
            texts.append(renderMarkdown(report: report, checks: report.defaultChecks))
            texts.append(renderJUnit(report: report, checks: report.defaultChecks))
            #expect(report.chargePoints.connectionFailures == outcome.telemetry.connectionFailures)
        }
        let encoded = Data("CP-1:\(Self.password)".utf8).base64EncodedString()
        for text in texts {
            #expect(!text.contains(Self.password) && !text.contains(wrongPassword) && !text.contains(encoded))
        }
    }
}
