import ArgumentParser
import Dispatch
import Fleet
import FleetSpec
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Telemetry

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fleet of simulated OCPP 1.6J charge points against a Central System.",
        discussion: """
            Without --csms and without csms.url in the spec, an embedded CSMS is started as a child \
            process on a loopback port and ended with the run, so the client figures are the fleet's alone. \
            At the end (duration up, or SIGINT/SIGTERM) sessions stop, running transactions are stopped \
            with reason Local, their answers are awaited (run.stopTimeout), every WebSocket is closed \
            normally, and a summary is printed.
            """)

    @Argument(help: "The fleet spec (YAML), e.g. fleets/smoke.yaml.")
    var spec: String

    @Option(help: "CSMS base URL (ws://host:port/path); the charge point id is appended. Overrides csms.url.")
    var csms: String?

    @Option(name: .long, help: "Total number of charge points (split over groups in proportion to their counts).")
    var chargePoints: Int?

    @Option(help: "Run duration, wall clock: 40s, 15m, 8h, 1h30m. Overrides run.duration.")
    var duration: String?

    @Option(help: "Seed of every random choice. Overrides run.seed.")
    var seed: UInt64?

    @Option(help: "Directory for report.json, summary.md and junit.xml (created if missing).")
    var report: String?

    @Option(help: "Summary on stdout: text (a table) or json (the report, as in report.json).")
    var format: OutputFormat = .text

    @Option(help: """
        At the end: stop-transactions (stop each with reason Local and await the CSMS's answers, \
        up to run.stopTimeout) or leave (close the connections; transactions stay open on the CSMS).
        """)
    var onExit: FleetRunner.OnExit = .stopTransactions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let chargePoints, chargePoints < 1 { throw ValidationError("--charge-points must be at least 1, got \(chargePoints)") }
        if let duration, parseDuration(duration) == nil {
            throw ValidationError("--duration: '\(duration)' is not a duration (e.g. 40s, 15m, 8h)")
        }
    }

    func run() async throws {
        unblockTerminationSignals()
        let logger = logging.bootstrap()
        let fleet = try loadFleetSpec(spec, errors: printError)
        let runDuration = duration.flatMap(parseDuration) ?? fleet.run.duration
        let runSeed = seed ?? fleet.run.seed
        let plans = fleet.chargePoints(overrideTotal: chargePoints)

        var embedded: EmbeddedCSMSProcess?
        let endpoint: CSMSEndpoint
        do {
            if let url = csms ?? fleet.csmsURL {
                endpoint = try CSMSEndpoint(url: url)
            } else {
                let child = try EmbeddedCSMSProcess.start(logger: logger)
                embedded = child
                endpoint = try CSMSEndpoint(url: "ws://127.0.0.1:\(child.port)/ocpp")
            }
        } catch let invalid as CSMSEndpoint.Invalid {
            printError("csms: \(invalid.description)")
            throw Exit(code: ExitStatus.badInput)
        } catch {
            printError("cannot start the embedded CSMS: \(error)")
            throw Exit(code: ExitStatus.failedRun)
        }

        let cores = System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: cores)
        let configuration = FleetConfiguration(spec: fleet, plans: plans, endpoint: endpoint, seed: runSeed)
        let runner = FleetRunner(configuration: configuration, group: group, logger: logger)

        printError("ocpp-fleet: \(plans.count) charge points → \(endpoint)\(embedded == nil ? "" : " (embedded CSMS)"), "
                   + "\(formatDuration(runDuration)), seed \(runSeed)")
        let baseline = ProcessSample.now()
        let startedAt = Date()
        let started = ContinuousClock.now
        try await runner.start()
        let interrupted = try await waitForEnd(runDuration, logger: logger)
        // From here a second SIGINT/SIGTERM cuts the end short: no more waiting, a partial report.
        let secondSignal = SecondSignal { runner.hurry() }
        let outcome = await runner.finish(onExit: onExit)
        let hurried = secondSignal.fired
        secondSignal.cancel()
        let elapsed = ContinuousClock.now - started
        let end = ProcessSample.now()
        try? await group.shutdownGracefully()
        let backend = embedded?.stop()

        var result = RunReport.build(
            snapshot: outcome.telemetry,
            run: RunMetadata(
                tool: .init(version: OCPPFleet.version), seed: runSeed, startedAt: startedAt,
                durationSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                csms: .init(url: endpoint.description, embedded: embedded != nil),
                configuredChargePoints: plans.count),
            peakConnected: outcome.peakConnected, baseline: baseline, end: end, availableCores: cores)
        if interrupted {
            result.warnings.append("the run was interrupted (SIGINT/SIGTERM) after "
                + "\(formatDuration(elapsed)) of \(formatDuration(runDuration))")
        }
        var failed: [String] = []
        if outcome.peakConnected == 0 {
            let reason = outcome.connectFailures.max(by: { $0.value < $1.value })?.key ?? "no reason recorded"
            failed.append("no charge point could connect to \(endpoint): \(reason)")
        }
        if hurried {
            result.warnings.append("partial report: a second signal cut the end of the run short "
                + "(no further wait for the CSMS's answers or for close handshakes)")
        }
        if onExit == .leave {
            result.warnings.append("--on-exit leave: \(outcome.openTransactions) transaction(s) left running")
        } else if outcome.openTransactions > 0 || outcome.unconfirmedTransactionMessages > 0 {
            result.warnings.append("\(outcome.openTransactions) transaction(s) still open and "
                + "\(outcome.unconfirmedTransactionMessages) transaction message(s) unconfirmed when the stop timeout ended")
            failed.append("the run ended with transaction messages the CSMS never confirmed")
        }
        if let backend, backend.openTransactions > 0, onExit == .stopTransactions {
            result.warnings.append("the embedded CSMS reports \(backend.openTransactions) transaction(s) left open")
            failed.append("transactions left open on the CSMS")
        }

        switch format {
        case .text:
            print(renderText(report: result))
        case .json:
            print(String(decoding: try result.jsonData(), as: UTF8.self))
        }
        if let directory = report {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                func write(_ name: String, _ data: Data) throws {
                    try data.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
                }
                let checks = result.defaultChecks
                try write("report.json", result.jsonData())
                try write("summary.md", Data(renderMarkdown(report: result, checks: checks).utf8))
                try write("junit.xml", Data(renderJUnit(report: result, checks: checks).utf8))
                printError("report written to \(directory)/report.json (also summary.md, junit.xml)")
            } catch {
                printError("cannot write the report into \(directory): \(error)")
                throw Exit(code: ExitStatus.failedRun)
            }
        }
        if !failed.isEmpty {
            for message in failed { printError("ocpp-fleet: run failed: \(message)") }
            throw Exit(code: ExitStatus.failedRun)
        }
    }

    /// Sleeps for the run's duration, ending early on SIGINT or SIGTERM; true if interrupted.
    private func waitForEnd(_ duration: Duration, logger: Logger) async throws -> Bool {
        let service = RunTimer(duration: duration)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigint, .sigterm],
            logger: logger))
        try await group.run()
        return service.interrupted.load(ordering: .relaxed)
    }
}

extension FleetRunner.OnExit: ExpressibleByArgument {}

/// Watches SIGINT and SIGTERM once the run's end has begun (the service group that
/// handled the first one is gone by then).
final class SecondSignal {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private let sources: [any DispatchSourceSignal]
    private let flag = Flag()

    init(_ action: @escaping @Sendable () -> Void) {
        var sources: [any DispatchSourceSignal] = []
        let flag = self.flag
        for number in [SIGINT, SIGTERM] {
            #if canImport(Darwin)
            // kqueue delivers signals alongside `signal`; on Linux dispatch reads a signalfd,
            // and an ignored signal would be discarded before it got there.
            signal(number, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                flag.value.store(true, ordering: .relaxed)
                action()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    var fired: Bool { flag.value.load(ordering: .relaxed) }

    func cancel() { for source in sources { source.cancel() } }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Ends when the run's time is up or a graceful shutdown (SIGINT/SIGTERM) begins.
final class RunTimer: Service, Sendable {
    let duration: Duration
    let interrupted = Atomic<Bool>(false)

    init(duration: Duration) { self.duration = duration }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await Task.sleep(for: self.duration)
            }
        } catch {
            interrupted.store(true, ordering: .relaxed)
        }
    }
}
