import Foundation
import OCPP
import PeerSupport
import Testing

/// The schema oracle: `Tests/peer/validate_payloads.py` run by a Python that has the PyPI
/// `ocpp` package. Found through `OCPP_PEER_PYTHON`, else `<package root>/.venv/bin/python`.
/// Without one the tests that need it print a SKIPPED note and pass, unless `CI` is "true".
struct PythonPeer {
    let python: String
    let script: String

    /// The peer, or nil after reporting why it is missing: a SKIPPED note on stderr
    /// locally, a recorded issue under CI.
    static func find(for test: String, sourceLocation: SourceLocation = #_sourceLocation) -> PythonPeer? {
        let script = PeerPython.path("Tests/peer/validate_payloads.py")
        switch PeerPython.locate() {
        case .found(let python):
            return PythonPeer(python: python, script: script)
        case .missing(let note, let isFailure):
            if isFailure {
                Issue.record("\(test): \(note)", sourceLocation: sourceLocation)
            } else {
                PeerPython.announceSkip(test, note)
            }
            return nil
        }
    }

    struct Failure: Sendable {
        /// 1-based input line.
        var line: Int
        /// jsonschema validator names ("required", "maxLength", ...).
        var validators: [String]
        var text: String
    }

    struct Result: Sendable {
        var status: Int32
        var failures: [Failure]
        var stderr: String
    }

    /// Validates one payload per line; see the script for the line format.
    func validate(lines: [String]) throws -> Result {
        let (status, out, err) = try run(arguments: [], input: lines.joined(separator: "\n") + "\n")
        var failures: [Failure] = []
        for text in out.split(separator: "\n") where !text.isEmpty {
            guard let json = try? JSONParser.parse(String(text)),
                  case .integer(let line)? = json["line"], case .array(let errors)? = json["errors"] else {
                failures.append(Failure(line: 0, validators: ["unparsed"], text: String(text)))
                continue
            }
            let validators = errors.compactMap { error -> String? in
                if case .string(let name)? = error["validator"] { return name }
                return nil
            }
            failures.append(Failure(line: Int(line), validators: validators, text: String(text)))
        }
        return Result(status: status, failures: failures, stderr: err)
    }

    /// The directory of the 1.6 JSON schemas in the `ocpp` package, or with `version` "2.0.1"
    /// of the 2.0.1 ones.
    func schemaDirectory(version: String? = nil) throws -> URL {
        let (status, out, err) = try run(arguments: ["--schema-dir"] + (version.map { [$0] } ?? []), input: "")
        guard status == 0 else { throw PeerError(message: "--schema-dir failed (\(status)): \(err)") }
        return URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    struct PeerError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs the script with stdin, stdout and stderr in temporary files (no pipe can fill up).
    private func run(arguments: [String], input: String) throws -> (Int32, String, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocpp-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdin = directory.appendingPathComponent("in.jsonl")
        let stdout = directory.appendingPathComponent("out.jsonl")
        let stderr = directory.appendingPathComponent("err.txt")
        try Data(input.utf8).write(to: stdin)
        try Data().write(to: stdout)
        try Data().write(to: stderr)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let input = try FileHandle(forReadingFrom: stdin)
        let output = try FileHandle(forWritingTo: stdout)
        let errors = try FileHandle(forWritingTo: stderr)
        defer { try? input.close(); try? output.close(); try? errors.close() }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus,
                String(decoding: try Data(contentsOf: stdout), as: UTF8.self),
                String(decoding: try Data(contentsOf: stderr), as: UTF8.self))
    }
}
