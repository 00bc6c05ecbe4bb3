import Foundation
import OCPP
import Testing

@testable import FleetSpec

/// Security profiles in the `csms` section and in groups: defaults, the whitepaper's rules,
/// `${ENV}` passwords, TLS paths relative to the spec file, and a password that never prints.
@Suite("Security profiles in the fleet spec")
struct SecuritySpecTests {
    static let password = "s3cret-Pa55word-xyz"

    /// A directory with `ca.pem`, `certs/CP-1.pem`, `certs/CP-1.key` (contents do not matter here).
    static func folder() throws -> String {
        let directory = NSTemporaryDirectory() + "fleetspec-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/certs", withIntermediateDirectories: true)
        for name in ["ca.pem", "certs/CP-1.pem", "certs/CP-1.key", "shared.pem", "shared.key"] {
            _ = FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data("x".utf8))
        }
        return directory
    }

    func parse(_ yaml: String, file: String = "spec.yaml", environment: [String: String] = [:]) throws -> FleetSpec {
        try FleetSpec.parse(yaml: yaml, file: file, environment: environment)
    }

    func errors(_ yaml: String, file: String = "spec.yaml", environment: [String: String] = [:]) -> [String] {
        do {
            _ = try FleetSpec.parse(yaml: yaml, file: file, environment: environment)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    static let group = "groups:\n  - {count: 1, idPattern: \"CP-{index}\"}\n"

    @Test("ws:// defaults to profile 0, wss:// to profile 2, and the embedded CSMS to profile 0")
    func defaults() throws {
        #expect(try parse("csms: {url: ws://h:9/ocpp}\n" + Self.group).groups[0].security == .unsecured)
        #expect(try parse(Self.group).groups[0].security == .unsecured)
        let tls = try parse("csms: {url: wss://h:9/ocpp, password: \(Self.password)}\n" + Self.group).groups[0].security
        #expect(tls.profile == .tlsWithBasicAuth)
        #expect(tls.password?.reveal() == Self.password)
        #expect(tls.tls == TLSSettings(verify: true))
    }

    @Test("A password can come from the environment, with an optional fallback")
    func environmentPassword() throws {
        let yaml = "csms: {url: ws://h/ocpp, securityProfile: 1, password: \"${CSMS_PW}\"}\n" + Self.group
        let spec = try parse(yaml, environment: ["CSMS_PW": Self.password])
        #expect(spec.groups[0].security.password?.reveal() == Self.password)
        let fallback = "csms: {url: ws://h/ocpp, securityProfile: 1, password: \"${CSMS_PW:-fallback-password-1234}\"}\n"
        #expect(try parse(fallback + Self.group).groups[0].security.password?.reveal() == "fallback-password-1234")
        #expect(try parse(fallback + Self.group, environment: ["CSMS_PW": Self.password])
                .groups[0].security.password?.reveal() == Self.password)
    }

    @Test("A missing environment variable is an error that names it, at the password's place")
    func missingVariable() {
        let yaml = "csms:\n  url: ws://h/ocpp\n  securityProfile: 1\n  password: ${CSMS_PW}\n" + Self.group
        #expect(errors(yaml) == ["spec.yaml:4:13: csms.password: environment variable CSMS_PW is not set"])
    }

    @Test("A password outside the whitepaper's 16 to 40 characters is refused without being quoted")
    func passwordLength() {
        let short = errors("csms: {url: ws://h/ocpp, securityProfile: 1, password: shortpw}\n" + Self.group)
        #expect(short.count == 1)
        #expect(short.first?.contains("must be 16 to 40 characters") == true)
        #expect(short.first?.contains("shortpw") == false)
        let spaces = errors("csms: {url: ws://h/ocpp, securityProfile: 1, password: \"has spaces in the password\"}\n" + Self.group)
        #expect(spaces.first?.contains("printable ASCII") == true)
        #expect(spaces.first?.contains("has spaces") == false)
    }

    @Test("The profile must fit the URL's scheme and bring what it needs", arguments: [
        ("csms: {url: ws://h/ocpp, securityProfile: 2, password: s3cret-Pa55word-xyz}",
         "security profile 2 runs over TLS: the URL must be wss://"),
        ("csms: {url: wss://h/ocpp, securityProfile: 1, password: s3cret-Pa55word-xyz}",
         "security profile 1 is without TLS (ws://)"),
        ("csms: {url: ws://h/ocpp, securityProfile: 1}", "authenticates with HTTP Basic: set csms.password"),
        ("csms: {url: wss://h/ocpp}", "security profile 2 authenticates with HTTP Basic"),
        ("csms: {url: ws://h/ocpp, password: s3cret-Pa55word-xyz}", "a password is sent with security profiles 1 and 2 only"),
        ("csms: {url: ws://h/ocpp, tls: {verify: false}}", "TLS settings apply to security profiles 2 and 3"),
        ("csms: {url: wss://h/ocpp, securityProfile: 3}", "security profile 3 needs a client certificate and its key"),
        ("csms: {url: wss://h/ocpp, securityProfile: 4}", "must be in 0...3, got 4"),
        ("csms: {url: \"wss://cp:s3cret@h/ocpp\", securityProfile: 3}", "must not hold credentials"),
        ("csms: {url: wss://h/ocpp, securityProfile: 2, password: s3cret-Pa55word-xyz, tls: {cafile: x}}",
         "csms.tls.cafile: unknown key; did you mean 'caFile'?"),
        ("csms: {securityProfile: 2, password: s3cret-Pa55word-xyz, tls: {caFile: ca.pem}}",
         "the embedded CSMS (no csms.url) runs with a certificate authority the run makes for itself"),
    ])
    func rules(csms: String, message: String) {
        let found = errors(csms + "\n" + Self.group)
        #expect(found.contains { $0.contains(message) }, "\(found)")
        #expect(!found.contains { $0.contains("s3cret") }, "a password or URL credential was echoed: \(found)")
    }

    @Test("TLS paths are relative to the spec file, and {id} names a file per charge point")
    func relativePaths() throws {
        let directory = try Self.folder()
        let yaml = """
            csms:
              url: wss://csms.example:8443/ocpp
              securityProfile: 3
              tls: {caFile: ca.pem, clientCertificate: "certs/{id}.pem", clientKey: "certs/{id}.key", verify: false}
            groups:
              - {count: 1, idPattern: "CP-{index}"}
            """
        let spec = try parse(yaml, file: directory + "/fleet.yaml")
        let tls = spec.groups[0].security.tls
        #expect(tls.caFile == directory + "/ca.pem")
        #expect(tls.clientCertificate == directory + "/certs/{id}.pem")
        #expect(tls.verify == false)
        #expect(expandPathPattern(try #require(tls.clientKey), id: "CP-1", index: 1) == directory + "/certs/CP-1.key")
        #expect(isPerChargePointPath("certs/{id}.pem") && isPerChargePointPath("c/{index:04}.pem") && !isPerChargePointPath("c.pem"))
        #expect(expandPathPattern("c/{index:04}-{id}.pem", id: "X", index: 7) == "c/0007-X.pem")
    }

    @Test("A missing TLS file is an error with its resolved path (for the first charge point of a pattern)")
    func missingFiles() throws {
        let directory = try Self.folder()
        let yaml = """
            csms:
              url: wss://csms.example:8443/ocpp
              securityProfile: 3
              tls: {caFile: nope.pem, clientCertificate: "certs/{id}.pem", clientKey: "keys/{id}.key"}
            groups:
              - {count: 2, idPattern: "CP-{index}"}
            """
        let found = errors(yaml, file: directory + "/fleet.yaml")
        #expect(found.contains { $0.hasSuffix("csms.tls.caFile: no such file: \(directory)/nope.pem") }, "\(found)")
        #expect(found.contains { $0.hasSuffix("csms.tls.clientKey: no such file (for charge point CP-1): \(directory)/keys/CP-1.key") },
                "\(found)")
        #expect(!found.contains { $0.contains("clientCertificate") }, "\(found)")
    }

    @Test("A group overrides the fleet's profile; the fleet's password stays with the password groups")
    func groupOverride() throws {
        let directory = try Self.folder()
        let yaml = """
            csms:
              url: wss://csms.example/ocpp
              securityProfile: 2
              password: \(Self.password)
              tls: {caFile: ca.pem}
            groups:
              - {name: pw, count: 1, idPattern: "PW-{index}"}
              - name: cert
                count: 1
                idPattern: "CP-{index}"
                csms: {securityProfile: 3, tls: {clientCertificate: shared.pem, clientKey: shared.key}}
            """
        let spec = try parse(yaml, file: directory + "/fleet.yaml")
        #expect(spec.groups[0].security.profile == .tlsWithBasicAuth)
        #expect(spec.groups[0].security.password == Secret(Self.password))
        #expect(spec.groups[1].security.profile == .tlsWithClientCertificate)
        #expect(spec.groups[1].security.password == nil)
        #expect(spec.groups[1].security.tls.caFile == directory + "/ca.pem")
        #expect(spec.groups[1].security.tls.clientCertificate == directory + "/shared.pem")
    }

    @Test("The embedded CSMS is one server: groups agree on TLS and on the password")
    func embeddedAgreement() {
        let mixed = """
            csms: {securityProfile: 2, password: \(Self.password)}
            groups:
              - {count: 1, idPattern: "A-{index}"}
              - {count: 1, idPattern: "B-{index}", csms: {securityProfile: 1}}
            """
        #expect(errors(mixed).contains { $0.contains("groups[1].csms.securityProfile: the embedded CSMS serves one URL") })
        let passwords = """
            csms: {securityProfile: 1, password: \(Self.password)}
            groups:
              - {count: 1, idPattern: "A-{index}"}
              - {count: 1, idPattern: "B-{index}", csms: {password: another-password-1234}}
            """
        #expect(errors(passwords).contains { $0.contains("the embedded CSMS checks one password") })
        let url = "groups:\n  - {count: 1, idPattern: \"A-{index}\", csms: {url: \"ws://h/x\"}}\n"
        #expect(errors(url).contains { $0.contains("groups[0].csms.url: the CSMS URL is the same for the whole fleet") })
    }

    @Test("Printing a spec, its security or the password never shows the password")
    func redaction() throws {
        let spec = try parse("csms: {url: ws://h/ocpp, securityProfile: 1, password: \(Self.password)}\n" + Self.group)
        let secret = try #require(spec.groups[0].security.password)
        var dumped = ""
        dump(spec, to: &dumped)
        for text in [String(describing: spec), String(reflecting: spec), "\(spec.groups[0].security)", "\(secret)",
                     String(reflecting: secret), dumped] {
            #expect(!text.contains(Self.password))
        }
        #expect("\(secret)" == "***")
        #expect(secret.matches(Self.password) && !secret.matches(Self.password + "x") && !secret.matches("s3cret"))
    }
}
