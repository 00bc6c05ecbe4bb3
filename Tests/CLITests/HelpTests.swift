import ArgumentParser
import Foundation
import Testing

@testable import ocpp_fleet

/// Whole help screens at 80 columns, kept as golden files in `Snapshots/`. A missing
/// snapshot, or `RECORD_SNAPSHOTS=1`, records it and fails that run, so a change of help
/// text is always reviewed.
@Suite("Command-line help and validation")
struct HelpTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = Self.snapshots.appendingPathComponent("\(name).txt")
        let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
        if record || !FileManager.default.fileExists(atPath: file.path) {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
            Issue.record("recorded snapshot \(file.lastPathComponent); run again to compare", sourceLocation: sourceLocation)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "help for \(name) changed; RECORD_SNAPSHOTS=1 to accept", sourceLocation: sourceLocation)
    }

    @Test("Each command's help, at 80 columns, matches its snapshot",
          arguments: ["ocpp-fleet", "run", "serve", "validate"])
    func help(command: String) throws {
        let type: any ParsableCommand.Type = switch command {
        case "run": Run.self
        case "serve": Serve.self
        case "validate": Validate.self
        default: OCPPFleet.self
        }
        try assertSnapshot(OCPPFleet.helpMessage(for: type, columns: 80), named: command)
    }

    @Test("The top-level help lists the exit codes")
    func exitCodes() {
        let help = OCPPFleet.helpMessage(columns: 80)
        #expect(help.contains("Exit codes: 0 success; 1"))
        #expect(help.contains("2 bad command line or fleet spec"))
    }

    @Test("Bad options are refused before anything runs", arguments: [
        ["run", "fleets/smoke.yaml", "--charge-points", "0"],
        ["run", "fleets/smoke.yaml", "--threads", "0"],
        ["run", "fleets/smoke.yaml", "--duration", "soon"],
        ["run", "fleets/smoke.yaml", "--format", "xml"],
        ["run", "fleets/smoke.yaml", "--threshold", "latency.p99 < 800"],
        ["run", "fleets/smoke.yaml", "--threshold", "nonsense"],
        ["run", "fleets/smoke.yaml", "--prometheus", "9464"],
        ["serve", "--port", "70000"],
        ["serve"],
        ["serve", "--port", "0", "--ocpp-version", "2.1"],
    ])
    func rejected(arguments: [String]) {
        #expect(throws: (any Error).self) { _ = try OCPPFleet.parseAsRoot(arguments) }
        do {
            _ = try OCPPFleet.parseAsRoot(arguments)
        } catch {
            #expect(OCPPFleet.exitCode(for: error) == .validationFailure, "maps to exit code 2")
        }
    }

    @Test("A valid command line parses into the right command with its options")
    func parses() throws {
        let command = try OCPPFleet.parseAsRoot(["run", "fleets/smoke.yaml", "--csms", "ws://127.0.0.1:9000/ocpp",
                                                  "--charge-points", "50", "--duration", "40s", "--seed", "9"])
        let run = try #require(command as? Run)
        #expect(run.csms == "ws://127.0.0.1:9000/ocpp")
        #expect(run.chargePoints == 50)
        #expect(run.duration == "40s")
        #expect(run.seed == 9)
    }

    @Test("serve --ocpp-version restricts the versions served; without it both are")
    func serveVersions() throws {
        let only = try #require(try OCPPFleet.parseAsRoot(["serve", "--port", "0", "--ocpp-version", "2.0.1"]) as? Serve)
        #expect(only.ocppVersions == [.v201])
        let both = try #require(try OCPPFleet.parseAsRoot(["serve", "--port", "0"]) as? Serve)
        #expect(both.ocppVersions.isEmpty)
    }
}
