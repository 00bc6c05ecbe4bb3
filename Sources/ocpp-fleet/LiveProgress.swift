import Fleet
import Foundation
import Synchronization
import Telemetry

/// Live progress on stderr while a fleet runs: on a terminal one status block redrawn every
/// second; otherwise (CI logs) one plain line every 10 s. `--quiet` creates none.
final class LiveProgress: Sendable {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Seconds between plain lines when stderr is not a terminal.
    static let lineInterval = 10

    /// What one status shows; every figure is measured, none is filled in.
    struct Figures: Equatable {
        var elapsedSeconds: Int
        var totalSeconds: Int
        var connected: Int
        var configured: Int
        /// CALLs sent per second over `windowSeconds`.
        var callsPerSecond: Double
        var windowSeconds: Int
        /// Since the start of the run.
        var callErrors: Int
        var timeouts: Int
        /// The largest p99 over the actions answered in the window, and which action; nil without answers.
        var worstP99: (micros: Int64, action: String)?
        /// Client CPU over the window as a share of all cores.
        var cpuShare: Double?
        var rssBytes: Int?
        var finishing: Bool

        static func == (lhs: Figures, rhs: Figures) -> Bool {
            lhs.elapsedSeconds == rhs.elapsedSeconds && lhs.totalSeconds == rhs.totalSeconds
                && lhs.connected == rhs.connected && lhs.configured == rhs.configured
                && lhs.callsPerSecond == rhs.callsPerSecond && lhs.windowSeconds == rhs.windowSeconds
                && lhs.callErrors == rhs.callErrors && lhs.timeouts == rhs.timeouts
                && lhs.worstP99?.micros == rhs.worstP99?.micros && lhs.worstP99?.action == rhs.worstP99?.action
                && lhs.cpuShare == rhs.cpuShare && lhs.rssBytes == rhs.rssBytes && lhs.finishing == rhs.finishing
        }
    }

    private struct State {
        var window: [FleetSample] = []
        var callErrors = 0
        var timeouts = 0
        var linesDrawn = 0
        var lastLineAt = 0
    }

    private let totalSeconds: Int
    private let configured: Int
    private let cores: Int
    private let terminal: Bool
    private let state = Mutex(State())
    private let write: @Sendable (String) -> Void

    init(total: Duration, configured: Int, cores: Int, terminal: Bool,
         write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.totalSeconds = Int(total.components.seconds)
        self.configured = configured
        self.cores = max(1, cores)
        self.terminal = terminal
        self.write = write
    }

    /// Takes one second of the fleet and, when due, draws the status.
    func update(_ sample: FleetSample) {
        guard !sample.isFinal else { return }
        let output: String? = state.withLock { state in
            state.callErrors += sample.fleet.actions.values.reduce(0) { $0 + $1.callErrors }
            state.timeouts += sample.fleet.actions.values.reduce(0) { $0 + $1.timeouts }
            state.window.append(sample)
            let keep = terminal ? 1 : Self.lineInterval
            if state.window.count > keep { state.window.removeFirst(state.window.count - keep) }
            let elapsed = Int(sample.elapsed.components.seconds)
            if terminal {
                let lines = Self.render(figures(state), terminal: true)
                // Move up over the previous block, clear it, draw the new one.
                let up = state.linesDrawn > 0 ? "\u{1B}[\(state.linesDrawn)F\u{1B}[J" : ""
                state.linesDrawn = lines.count
                return up + lines.joined(separator: "\n") + "\n"
            }
            guard elapsed - state.lastLineAt >= Self.lineInterval else { return nil }
            state.lastLineAt = elapsed
            return Self.render(figures(state), terminal: false).joined(separator: "\n") + "\n"
        }
        if let output { write(output) }
    }

    private func figures(_ state: State) -> Figures {
        let window = state.window
        let seconds = max(1, window.count)
        let sent = window.reduce(0) { $0 + $1.fleet.sent }
        var latencies: [String: SparseHistogram] = [:]
        for sample in window {
            for (name, action) in sample.fleet.actions {
                guard let latency = action.latency else { continue }
                latencies[name, default: SparseHistogram()].add(latency)
            }
        }
        var worst: (micros: Int64, action: String)?
        for (name, histogram) in latencies.sorted(by: { $0.key < $1.key }) {
            if let p99 = histogram.value(atPercentile: 99), p99 > (worst?.micros ?? -1) { worst = (p99, name) }
        }
        let cpu = window.reduce(0.0) { $0 + $1.cpuSeconds }
        let last = window.last
        return Figures(
            elapsedSeconds: Int(last?.elapsed.components.seconds ?? 0), totalSeconds: totalSeconds,
            connected: last?.connected ?? 0, configured: configured,
            callsPerSecond: Double(sent) / Double(seconds), windowSeconds: seconds,
            callErrors: state.callErrors, timeouts: state.timeouts, worstP99: worst,
            cpuShare: window.isEmpty ? nil : cpu / (Double(seconds) * Double(cores)),
            rssBytes: last.flatMap { $0.process.rssBytes > 0 ? $0.process.rssBytes : nil },
            finishing: Int(last?.elapsed.components.seconds ?? 0) > totalSeconds)
    }

    /// The status as lines: a block of three on a terminal, one line otherwise.
    static func render(_ figures: Figures, terminal: Bool) -> [String] {
        let time = figures.finishing
            ? "\(clock(figures.elapsedSeconds)) finishing"
            : "\(clock(figures.elapsedSeconds)) / \(clock(figures.totalSeconds))"
        let rate = figures.windowSeconds == 1 ? "calls/s" : "calls/s (\(figures.windowSeconds) s avg)"
        let calls = "\(String(format: "%.0f", figures.callsPerSecond)) \(rate)"
        let errors = "errors \(figures.callErrors + figures.timeouts) (\(figures.callErrors) CALLERRORs, "
            + "\(figures.timeouts) timeouts)"
        let p99 = figures.worstP99.map {
            "worst p99 \(String(format: "%.2f", Double($0.micros) / 1000)) ms (\($0.action))"
        } ?? "worst p99 – (no answers)"
        let cpu = figures.cpuShare.map { "client CPU \(Int(($0 * 100).rounded()))%" } ?? "client CPU –"
        let rss = figures.rssBytes.map { "RSS \(String(format: "%.1f", Double($0) / 1_048_576)) MiB" } ?? "RSS –"
        let connected = "connected \(figures.connected)/\(figures.configured)"
        if terminal {
            return [
                "ocpp-fleet \(time) · \(connected)",
                "  \(calls) · \(errors) · \(p99)",
                "  \(cpu) · \(rss)",
            ]
        }
        return ["ocpp-fleet [\(time)] \(connected) · \(calls) · \(errors) · \(p99) · \(cpu) · \(rss)"]
    }

    private static func clock(_ seconds: Int) -> String {
        let hours = seconds / 3600
        let minutes = (seconds % 3600) / 60
        let rest = seconds % 60
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%02d:%02d", minutes, rest)
    }
}
