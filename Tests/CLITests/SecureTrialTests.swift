import Foundation
import Testing

/// Issue 5's trial as a test, with the built binary as a user runs it: `ocpp-fleet run
/// fleets/secure.yaml --duration 20s --report DIR` connects every charge point through TLS
/// against the embedded CSMS, each group with its own security profile, and the password
/// (the spec's lab value) appears in no output.
@Suite("Issue 5 trial: fleets/secure.yaml end to end", .timeLimit(.minutes(3)))
struct SecureTrialTests {
    @Test("secure.yaml for 20 s: all 20 charge points connect over wss:// and boot, profile 2 and profile 3 groups alike")
    func secureFleet() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secure-trial-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try EndToEndTests.Child(["run", "fleets/secure.yaml", "--duration", "20s", "--report", directory.path])
        let (code, stdout) = child.finish()
        #expect(code == 0, "\(child.stderrLines)")

        let data = try Data(contentsOf: directory.appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let url = try #require(jsonValue("csms.url", report) as? String)
        #expect(url.hasPrefix("wss://127.0.0.1:"))
        #expect(jsonValue("csms.embedded", report) as? Bool == true)
        #expect(jsonValue("chargePoints.configured", report) as? Int == 20)
        #expect(jsonValue("chargePoints.connected", report) as? Int == 20)
        #expect(jsonValue("chargePoints.bootAccepted", report) as? Int == 20)
        #expect((jsonValue("chargePoints.connectionFailures", report) as? [String: Int])?.isEmpty == true)
        for (group, profile) in [("depot-password", 2), ("park-mtls", 3)] {
            #expect(jsonValue("groups.\(group).securityProfile", report) as? Int == profile)
            #expect(jsonValue("groups.\(group).configured", report) as? Int == 10)
            #expect(jsonValue("groups.\(group).connected", report) as? Int == 10, "\(group)")
            #expect(jsonValue("groups.\(group).bootAccepted", report) as? Int == 10, "\(group)")
        }

        var outputs = [stdout] + child.stderrLines
        for file in ["report.json", "summary.md", "junit.xml", "report.html"] {
            outputs.append(try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8))
        }
        #expect(!outputs.contains { $0.contains("lab-password-0123456789") }, "the password is never printed")
    }

    /// The value at a dotted path (`groups.park-mtls.connected`) of a decoded JSON object.
    private func jsonValue(_ path: String, _ root: [String: Any]) -> Any? {
        var node: Any? = root
        for key in path.split(separator: ".") { node = (node as? [String: Any])?[String(key)] }
        return node
    }
}
