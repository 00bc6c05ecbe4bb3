import Foundation
import Testing

@testable import ocpp_fleet

/// What `validate` and `run` print for a bad fleet spec: every problem, one per line, with file,
/// line, column, field path, what was expected and a "did you mean" for misspelt keys; exit 2.
@Suite("Spec errors on the command line")
struct SpecErrorOutputTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A spec with six problems in four sections.
    static let badSpec = """
        groups:
          - count: 0
            idPattern: "CP-{index}"
            conectors: 2
            behaviour: commuter
        run:
          duration: soon
        behaviours:
          commuter:
            arival: {exponential: 5m}
            powerKW: {choice: [{value: 11, weight: 0}]}
            faults: {ratePerHour: 1, errorCode: GroundFailur}
        """

    static let expectedLines = [
        "bad.yaml:2:12: groups[0].count: must be in 1...1000000, got 0",
        "bad.yaml:4:5: groups[0].conectors: unknown key; did you mean 'connectors'?",
        "bad.yaml:7:13: run.duration: must be a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds, got 'soon'",
        "bad.yaml:10:5: behaviours.commuter.arival: unknown key; did you mean 'arrival'?",
        "bad.yaml:11:44: behaviours.commuter.powerKW.choice[0].weight: must be > 0, got 0",
        "bad.yaml:12:41: behaviours.commuter.faults.errorCode: unknown value 'GroundFailur'; did you mean 'GroundFailure'?",
        "bad.yaml: 6 problems",
    ]

    /// Writes `text` as `name` in a fresh directory and runs `body` with that directory, cleaning up after.
    func withSpec<T>(_ text: String, named name: String = "bad.yaml", _ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spec-errors-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        return try body(directory)
    }

    /// The expected lines for a spec at `path`.
    static func expected(at path: String) -> [String] {
        expectedLines.map { $0.replacingOccurrences(of: "bad.yaml", with: path) }
    }

    @Test("validate prints every problem in file order, then how many, and exits 2")
    func validateEveryProblem() throws {
        var output: [String] = []
        var errors: [String] = []
        let (code, path) = try withSpec(Self.badSpec) { directory -> (Int32?, String) in
            let path = directory.appendingPathComponent("bad.yaml").path
            do {
                try Validate.parse([path]).check(output: { output.append($0) }, errors: { errors.append($0) })
                return (nil, path)
            } catch let exit as Exit {
                return (exit.code, path)
            }
        }
        #expect(code == 2)
        #expect(output.isEmpty)
        #expect(errors == Self.expected(at: path))
    }

    @Test("run loads its spec the same way: the same lines, exit 2, before anything starts")
    func runEveryProblem() throws {
        var errors: [String] = []
        let path = try withSpec(Self.badSpec) { directory -> String in
            let path = directory.appendingPathComponent("bad.yaml").path
            #expect(throws: Exit.self) { try loadFleetSpec(path, errors: { errors.append($0) }) }
            return path
        }
        #expect(errors == Self.expected(at: path))
    }

    @Test("run --csms with user:password@ is refused as a usage error (exit 2) before anything prints the URL, and the message keeps the password out",
          arguments: ["ws://fleet:SeCrEt-0123456789@127.0.0.1:9000/ocpp", "http://fleet:SeCrEt-0123456789@127.0.0.1:9000/ocpp"])
    func csmsURLWithCredentials(url: String) {
        #expect {
            _ = try Run.parse(["fleets/smoke.yaml", "--csms", url])
        } throws: { error in
            let message = Run.message(for: error)
            return Run.exitCode(for: error) == .validationFailure
                && message.contains("--csms: the URL must not hold credentials") && !message.contains("SeCrEt")
        }
    }

    /// Every file in fleets/, read from the folder so a new example is covered without a list to keep.
    static let exampleFleets = ((try? FileManager.default.contentsOfDirectory(
        atPath: packageRoot.appendingPathComponent("fleets").path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()

    @Test("fleets/ is read: it holds the seven examples of the fleet-spec issue")
    func exampleFleetsFound() {
        let named = ["smoke", "depot", "highway", "mixed-city", "secure", "chaos", "soak"].map { "\($0).yaml" }
        #expect(Set(named).isSubset(of: Self.exampleFleets), "\(Self.exampleFleets)")
    }

    @Test("validate accepts every example fleet in fleets/", arguments: exampleFleets)
    func examples(name: String) throws {
        let path = Self.packageRoot.appendingPathComponent("fleets/\(name)").path
        var output: [String] = []
        var errors: [String] = []
        try Validate.parse([path]).check(output: { output.append($0) }, errors: { errors.append($0) })
        #expect(errors.isEmpty)
        #expect(output.count == 1 && output[0].hasPrefix("\(path): ok — "))
    }

    @Test("The ocpp-fleet binary: validate and run exit 2 on a misspelt key appended to an example, naming key and line",
          arguments: ["validate", "run"])
    func binary(command: String) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("ocpp-fleet")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            FileHandle.standardError.write(Data("\n*** SKIPPED: ocpp-fleet \(command): no binary at \(binary.path) ***\n\n".utf8))
            return
        }
        var text = try String(contentsOf: Self.packageRoot.appendingPathComponent("fleets/depot.yaml"), encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count
        text += "behaviour: overnight\n"
        let (status, stderr) = try withSpec(text, named: "depot-copy.yaml") { directory -> (Int32, String) in
            let process = Process()
            process.executableURL = binary
            process.currentDirectoryURL = directory
            process.arguments = [command, "depot-copy.yaml"]
            let errorPipe = Pipe()
            process.standardError = errorPipe
            process.standardOutput = Pipe()
            try process.run()
            let data = errorPipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        #expect(status == 2)
        #expect(stderr == "depot-copy.yaml:\(line):1: behaviour: unknown key; did you mean 'behaviours'?\n")
    }
}
