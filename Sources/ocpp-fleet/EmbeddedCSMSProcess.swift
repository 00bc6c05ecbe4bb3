import CentralSystem
import Foundation
import Logging
import OCPP

/// The embedded CSMS as a child process (`ocpp-fleet serve` on an ephemeral loopback
/// port), so the fleet process's CPU and memory are measured alone. The child ends on
/// SIGTERM, or by itself when our end of its stdin closes (if we die first).
final class EmbeddedCSMSProcess: @unchecked Sendable {
    // @unchecked: `process` and the pipes are used by the thread that created them;
    // `lines` is guarded by `lock`.
    private let process: Process
    private let stdinPipe: Pipe
    private let lock = NSLock()
    private var lines: [String] = []
    private var ended = false
    private let condition = NSCondition()
    let port: Int

    struct Summary {
        var openTransactions: Int
        var transactionsStarted: Int
        var transactionsStopped: Int
        /// The scenario's CALLs: action → ("sent" or an answer: a status, "CallError <code>",
        /// "invalid", "timeout", "skipped") → count.
        var callsSent: [String: [String: Int]] = [:]
        /// CALLs received by action, CALLERRORs answered by code, protocol violations seen.
        var callsReceived: [String: Int] = [:]
        var callErrorsSent: [String: Int] = [:]
        var violations = 0
    }

    private init(process: Process, stdinPipe: Pipe, port: Int) {
        self.process = process
        self.stdinPipe = stdinPipe
        self.port = port
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The environment variable that hands the password to the child (never its arguments,
    /// which any user can list).
    static let passwordVariable = "OCPP_FLEET_EMBEDDED_CSMS_PASSWORD"

    /// Starts `serve` on an ephemeral loopback port; with `tls` it serves wss://, with
    /// `password` it asks for HTTP Basic credentials.
    /// `scenario` is a JSON file of CS→CP calls (`serve --scenario`). Each process keeps a loop
    /// per core: with one loop per CSMS process the 50,000 trial's three CSMS processes got a third
    /// of the two cores instead of half (the machine shares CPU by thread) and 15,124 charge points
    /// never connected (docs/performance.md, "The embedded CSMS").
    static func start(logger: Logger, tls: CentralSystemTLS? = nil, password: Secret? = nil,
                      scenario: String? = nil) throws -> EmbeddedCSMSProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath())
        var arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof", "--log-level", "warning"]
        if let tls {
            arguments += ["--tls-certificate", tls.certificateChain, "--tls-key", tls.privateKey,
                          "--client-certificates", tls.clientCertificates.rawValue]
            if let clientCA = tls.clientCA { arguments += ["--client-ca", clientCA] }
        }
        if let scenario { arguments += ["--scenario", scenario] }
        if let password {
            var environment = ProcessInfo.processInfo.environment
            environment[passwordVariable] = password.reveal()
            process.environment = environment
            arguments += ["--password-env", passwordVariable]
        }
        process.arguments = arguments
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.standardError
        try process.run()

        let reader = LineReader(handle: stdout.fileHandleForReading)
        let deadline = Date().addingTimeInterval(15)
        var port: Int?
        while port == nil, Date() < deadline, let line = reader.nextLine() {
            if line.hasPrefix("listening on "), let colon = line.lastIndex(of: ":") {
                port = Int(line[line.index(after: colon)...])
            }
        }
        guard let port else {
            process.terminate()
            throw ChildError(message: "the embedded CSMS did not report its port (exit status \(process.isRunning ? "running" : String(process.terminationStatus)))")
        }
        let child = EmbeddedCSMSProcess(process: process, stdinPipe: stdin, port: port)
        let thread = Thread {
            while let line = reader.nextLine() { child.append(line) }
            child.finishReading()
        }
        thread.start()
        logger.info("embedded CSMS started", metadata: ["pid": "\(process.processIdentifier)", "port": "\(port)"])
        return child
    }

    private func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    private func finishReading() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the child and returns what it said about its transactions.
    func stop() -> Summary? {
        if process.isRunning { process.terminate() }
        condition.lock()
        let deadline = Date().addingTimeInterval(10)
        while !ended, condition.wait(until: deadline) {}
        condition.unlock()
        process.waitUntilExit()
        lock.lock()
        defer { lock.unlock() }
        guard let line = lines.last(where: { $0.hasPrefix("stats ") }),
              let data = line.dropFirst("stats ".count).data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var summary = Summary(openTransactions: object["openTransactions"] as? Int ?? 0,
                              transactionsStarted: object["transactionsStarted"] as? Int ?? 0,
                              transactionsStopped: object["transactionsStopped"] as? Int ?? 0)
        summary.callsReceived = object["callsReceived"] as? [String: Int] ?? [:]
        summary.callErrorsSent = object["callErrorsSent"] as? [String: Int] ?? [:]
        let violations = object["violations"] as? [String: Int] ?? [:]
        summary.violations = violations.values.reduce(0, +)
        for (action, value) in object["callsSent"] as? [String: Any] ?? [:] {
            guard let counts = value as? [String: Any] else { continue }
            var flat: [String: Int] = [:]
            flat["sent"] = counts["sent"] as? Int ?? 0
            for (status, n) in counts["results"] as? [String: Int] ?? [:] { flat[status] = n }
            for (code, n) in counts["callErrors"] as? [String: Int] ?? [:] { flat["CallError \(code)"] = n }
            for key in ["invalidResults", "timeouts", "skipped"] {
                if let n = counts[key] as? Int, n > 0 { flat[key] = n }
            }
            summary.callsSent[action] = flat
        }
        return summary
    }

    struct ChildError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Reads newline-terminated lines from a pipe, blocking.
final class LineReader: @unchecked Sendable {
    // @unchecked: used by one thread at a time (the starter, then the reader thread).
    private let handle: FileHandle
    private var buffer = Data()

    init(handle: FileHandle) { self.handle = handle }

    func nextLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty {
                guard !buffer.isEmpty else { return nil }
                let line = String(decoding: buffer, as: UTF8.self)
                buffer.removeAll()
                return line
            }
            buffer.append(chunk)
        }
    }
}
