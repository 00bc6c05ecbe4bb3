import Foundation

/// Finds the Python that has the PyPI `ocpp` package (the independent test peer):
/// `OCPP_PEER_PYTHON`, else `<package root>/.venv/bin/python` (made by `scripts/test`).
public enum PeerPython {
    public enum Lookup: Sendable {
        case found(python: String)
        /// Why there is none, and whether that must fail the test (under `CI=true`, or
        /// when `OCPP_PEER_PYTHON` names something that is not executable).
        case missing(note: String, isFailure: Bool)
    }

    /// The package root, three levels above this file (symlinks resolved).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String {
        packageRoot.appendingPathComponent(relative).path
    }

    public static func locate() -> Lookup {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["OCPP_PEER_PYTHON"], !configured.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: configured) else {
                return .missing(note: "OCPP_PEER_PYTHON=\(configured) is not an executable", isFailure: true)
            }
            return .found(python: configured)
        }
        let venv = path(".venv/bin/python")
        if FileManager.default.isExecutableFile(atPath: venv) { return .found(python: venv) }
        let note = "no Python peer (set OCPP_PEER_PYTHON to a python with the 'ocpp' package, or run scripts/test)"
        return .missing(note: note, isFailure: environment["CI"] == "true")
    }

    /// The Python for `test`, or nil when there is none: then the loud skip note, or `fail` with
    /// the reason when a missing peer must fail the test (under CI).
    public static func forTest(_ test: String, fail: (String) -> Void) -> String? {
        switch locate() {
        case .found(let python):
            return python
        case .missing(let note, let isFailure):
            if isFailure { fail("\(test): \(note)") } else { announceSkip(test, note) }
            return nil
        }
    }

    /// Prints the loud skip note a test without its peer must leave.
    public static func announceSkip(_ test: String, _ note: String) {
        FileHandle.standardError.write(Data("\n*** SKIPPED: \(test): \(note) ***\n\n".utf8))
    }
}
