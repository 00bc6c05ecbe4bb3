import Foundation

/// The open-file limit that decides how many connections one process can hold: each connection
/// is a descriptor, and the hard limit cannot be raised without privileges (20,000 on our
/// 2-core machines; docs/scaling.md).
enum FileDescriptorLimit {
    /// Descriptors a fleet process keeps for itself besides its connections: event loops,
    /// pipes to its children, report and trace files, the metrics socket.
    static let reserve = 200

    /// Raises the soft RLIMIT_NOFILE to the hard limit (any process may) and returns the limit
    /// now in force; nil when it cannot be read.
    @discardableResult
    static func raiseSoftToHard() -> Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all ones) clamps to Int.max
    }

    /// Connections one process can hold under `limit` descriptors.
    static func connectionsPerProcess(limit: Int) -> Int { max(1, limit - reserve) }

    #if os(Linux)
    private static let resource = __rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue))
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}

/// Child processes of this executable started and watched together: the workers of
/// `run --processes` and `serve --processes`. Each child's stderr is copied to ours with every
/// line prefixed by the child's name; its stdout is collected line by line. The children ignore
/// SIGINT (`--worker`, `--exit-on-stdin-eof`), so a terminal's Ctrl-C reaches them once, as the
/// SIGTERM we pass on; and they end by themselves when our end of their stdin closes (we died).
final class ChildProcesses: @unchecked Sendable {
    // @unchecked: `children` and `inputs` are appended before `forwardTerminationSignals` and
    // only read after; `lines` and `ended` are guarded by `condition`.
    private struct Child {
        let name: String
        let process: Process
    }

    private var children: [Child] = []
    private var inputs: [Pipe] = []
    private var lines: [[String]] = []
    private var ended: [Bool] = []
    private let condition = NSCondition()
    private var signals: SignalWatch?

    var count: Int { children.count }

    /// Starts `ocpp-fleet <arguments>` as a child named `name`.
    func start(name: String, arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EmbeddedCSMSProcess.executablePath())
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        let index = children.count
        children.append(Child(name: name, process: process))
        inputs.append(input)
        condition.withLock {
            lines.append([])
            ended.append(false)
        }
        let errorLines = LineReader(handle: errors.fileHandleForReading)
        Thread { while let line = errorLines.nextLine() { printError("[\(name)] \(line)") } }.start()
        let outputLines = LineReader(handle: output.fileHandleForReading)
        Thread {
            while let line = outputLines.nextLine() {
                self.condition.withLock {
                    self.lines[index].append(line)
                    self.condition.broadcast()
                }
            }
            self.condition.withLock {
                self.ended[index] = true
                self.condition.broadcast()
            }
        }.start()
    }

    /// The first stdout line of child `index` that starts with `prefix`, waiting up to `timeout`;
    /// nil if the child ends or the time passes first.
    func line(of index: Int, startingWith prefix: String, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while true {
                if let line = lines[index].first(where: { $0.hasPrefix(prefix) }) { return line }
                if ended[index] || !condition.wait(until: deadline) { return nil }
            }
        }
    }

    /// From now on, SIGINT and SIGTERM reaching us are passed on to every child as SIGTERM (a
    /// second one as a second SIGTERM: the children's own "hurry").
    func forwardTerminationSignals() {
        let processes = children.map(\.process)
        signals = SignalWatch {
            for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        }
    }

    /// Sends SIGTERM to every child still running.
    func terminateAll() {
        for child in children where child.process.isRunning { child.process.terminate() }
    }

    /// Waits until every child has exited and its stdout is read; the exit codes, in start order.
    func waitForAll() async -> [Int32] {
        var codes: [Int32] = []
        for child in children {
            let process = child.process
            codes.append(await withCheckedContinuation { continuation in
                Thread {
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                }.start()
            })
        }
        condition.withLock {
            while ended.contains(false) { _ = condition.wait(until: Date().addingTimeInterval(1)) }
        }
        signals?.cancel()
        signals = nil
        return codes
    }

    /// Every stdout line child `index` wrote.
    func stdoutLines(of index: Int) -> [String] { condition.withLock { lines[index] } }

    func name(of index: Int) -> String { children[index].name }
}

/// When the parent dies, our stdin closes: end too (SIGTERM to ourselves), so no worker or CSMS
/// is left behind.
func endWhenStdinCloses() {
    Thread {
        while !FileHandle.standardInput.availableData.isEmpty {}
        kill(getpid(), SIGTERM)
    }.start()
}
