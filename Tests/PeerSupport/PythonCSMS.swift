import Foundation

/// A Python test peer (`Tests/peer/csms.py`, `csms201.py`) as a child process on an ephemeral
/// loopback port, for the integration and command-line tests.
public struct PythonCSMS {
    public let process: Process
    public let port: Int
    public let summaryPath: String

    /// The 1.6 peer unless `script` names another (`Tests/peer/csms201.py` for OCPP 2.0.1).
    public static func start(python: String, script: String = "Tests/peer/csms.py", arguments: [String]) throws -> PythonCSMS {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port").path
        let summary = directory.appendingPathComponent("summary.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PeerPython.path(script), "--host", "127.0.0.1", "--port", "0",
                             "--port-file", portFile, "--summary", summary, "--log-level", "warning"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return PythonCSMS(process: process, port: port, summaryPath: summary)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw PeerError(message: "the Python CSMS did not start (exit \(process.isRunning ? "running" : "\(process.terminationStatus)"))")
    }

    /// SIGTERM: the peer writes its summary and exits.
    public func stop() throws -> [String: Any] {
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw PeerError(message: "the Python CSMS did not exit within 15 s of SIGTERM")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PeerError(message: "the peer's summary is not a JSON object")
        }
        return object
    }

    public struct PeerError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
