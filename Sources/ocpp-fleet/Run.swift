import ArgumentParser
import CentralSystem
import Dispatch
import Fleet
import FleetSpec
import Foundation
import LabPKI
import Logging
import NIOCore
import NIOPosix
import OCPP
import ServiceLifecycle
import Synchronization
import Telemetry

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fleet of simulated OCPP 1.6J and 2.0.1 charge points against a Central System.",
        discussion: """
            Without --csms and without csms.url in the spec, an embedded CSMS is started as a child \
            process on a loopback port and ended with the run, so the client figures are the fleet's alone; \
            when the spec's groups use security profiles 2 or 3 it serves wss:// with a throwaway CA, server \
            and client certificates made for the run in a temporary directory (removed at the end). \
            At the end (duration up, or SIGINT/SIGTERM) sessions stop, running transactions are stopped \
            with reason Local, spread over run.rampDown in charge point order, their answers are awaited \
            (run.stopTimeout), every WebSocket is closed normally, and a summary is printed.
            """)

    @Argument(help: "The fleet spec (YAML), e.g. fleets/smoke.yaml.")
    var spec: String

    @Option(help: "CSMS base URL (ws://host:port/path); the charge point id is appended. Overrides csms.url.")
    var csms: String?

    @Option(name: .customLong("ocpp-version"),
            help: "OCPP version of every charge point: 1.6 or 2.0.1. Overrides each group's csms.ocppVersion.")
    var ocppVersion: OCPPVersion?

    @Option(name: .long, help: "Total number of charge points (split over groups in proportion to their counts).")
    var chargePoints: Int?

    @Option(help: "Run duration, wall clock: 40s, 15m, 8h, 1h30m. Overrides run.duration.")
    var duration: String?

    @Option(help: "Seed of every random choice. Overrides run.seed.")
    var seed: UInt64?

    @Option(name: .customLong("time-scale"),
            help: "Simulated seconds per wall-clock second (60: an hour a minute; 1 to 3600). Overrides run.timeScale.")
    var timeScale: Double?

    @Option(name: .customLong("max-frame-size"),
            help: "Largest WebSocket message a charge point accepts: 65536, 64KiB, 4MiB (1 KiB to 64 MiB; larger ones close the connection with 1009). Overrides run.maxFrameSize.")
    var maxFrameSize: String?

    @Option(help: "Directory for report.json, summary.md, junit.xml and report.html (created if missing).")
    var report: String?

    @Option(name: .customLong("threshold"), help: ArgumentHelp(
        """
        A pass/fail criterion, repeatable, added to the spec's thresholds: 'latency.p99 < 800ms', \
        'errors.rate < 0.1%', 'timeouts == 0' (docs/thresholds.md). A violated one exits 1.
        """,
        valueName: "expression"))
    var thresholds: [String] = []

    @Option(help: ArgumentHelp(
        """
        Serve live metrics for Prometheus at http://HOST:PORT/metrics during the run (port 0: any free \
        port, printed on stderr).
        """,
        valueName: "host:port"))
    var prometheus: String?

    @Option(help: ArgumentHelp(
        """
        Write every frame (both directions, timestamped, secrets redacted) of the charge points whose \
        id matches this glob ('*' any characters, '?' one; no wildcard: that exact id, e.g. 'CP-00*') \
        to DIR/trace.jsonl (DIR from --report; without it ./trace.jsonl), at most 100 MiB.
        """,
        valueName: "pattern"))
    var trace: String?

    @Flag(help: "No live progress on stderr (a refreshing status on a terminal, a line every 10 s otherwise).")
    var quiet = false

    @Option(help: "Summary on stdout: text (a table) or json (the report, as in report.json).")
    var format: OutputFormat = .text

    @Option(help: """
        At the end: stop-transactions (stop each with reason Local, spread over run.rampDown, and \
        await the CSMS's answers, up to run.stopTimeout) or leave (close the connections; transactions stay open on the CSMS).
        """)
    var onExit: FleetRunner.OnExit = .stopTransactions

    @Option(help: ArgumentHelp("""
        Event loop threads of the fleet in each process (default: one per core). One loop costs \
        about 10% less CPU per call in a fleet of sparse calls, but boots a burst of charge points \
        on one core only.
        """, valueName: "n"))
    var threads: Int?

    @OptionGroup var sharding: ShardOptions

    @OptionGroup var scale: ScaleOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        _ = try sharding.resolve()
        try scale.validate(trace: trace)
        if let chargePoints, chargePoints < 1 { throw ValidationError("--charge-points must be at least 1, got \(chargePoints)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let duration, !(parseDuration(duration).map { $0 > .zero } ?? false) {
            throw ValidationError("--duration: '\(duration)' is not a positive duration (e.g. 40s, 15m, 8h)")
        }
        if let maxFrameSize, !(ByteSize.parse(maxFrameSize).map(RunSettings.maxFrameSizeRange.contains) ?? false) {
            throw ValidationError("--max-frame-size: '\(maxFrameSize)' is not a size from 1 KiB to 64 MiB (e.g. 65536, 64KiB, 4MiB)")
        }
        _ = try commandLineThresholds()
        // Checked before anything prints the URL: one with `user:password@` would show its secret.
        if let csms {
            do throws(CSMSEndpoint.Invalid) { _ = try CSMSEndpoint(url: csms) } catch {
                throw ValidationError("--csms: \(error.description)")
            }
        }
        if let prometheus, MetricsEndpoint(prometheus) == nil {
            throw ValidationError("--prometheus: '\(prometheus)' is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464)")
        }
    }

    /// The `--threshold` expressions, parsed; a parse error names the expression and the column.
    func commandLineThresholds() throws -> [Threshold] {
        try thresholds.map { text in
            do throws(ThresholdParseError) {
                return try Threshold.parse(text)
            } catch {
                let marker = String(repeating: " ", count: max(0, error.column - 1)) + "^"
                throw ValidationError("--threshold '\(text)': column \(error.column): \(error.message)\n"
                    + "  \(text)\n  \(marker)")
            }
        }
    }

    func run() async throws {
        unblockTerminationSignals()
        if scale.worker { scale.becomeWorker() }
        let descriptors = FileDescriptorLimit.raiseSoftToHard()
        let logger = logging.bootstrap()
        let fleet = try loadFleetSpec(spec, ocppVersion: ocppVersion, errors: printError)
        let runDuration = duration.flatMap(parseDuration) ?? fleet.run.duration
        let runMaxFrameSize = maxFrameSize.flatMap(ByteSize.parse) ?? fleet.run.maxFrameSize
        let allThresholds = fleet.thresholds + (try commandLineThresholds())
        let runSeed = seed ?? fleet.run.seed
        if let timeScale, !(timeScale > 0 && timeScale <= RunSettings.maxTimeScale) {
            printError("--time-scale: must be greater than 0 and at most \(Int(RunSettings.maxTimeScale)), got \(timeScale)")
            throw Exit(code: ExitStatus.badInput)
        }
        let runTimeScale = timeScale ?? fleet.run.timeScale
        let shard = try sharding.resolve()
        let fleetPlans = fleet.chargePoints(overrideTotal: chargePoints)
        let plans = shard?.slice(fleetPlans) ?? fleetPlans
        let sources = try sourceAddresses(fleet: fleet, fleetSize: fleetPlans.count)
        if let split = scale.split(chargePoints: plans.count, descriptorLimit: descriptors) {
            try await runWorkers(split, fleet: fleet, plans: plans, seed: runSeed, shard: shard,
                                 thresholds: allThresholds, sources: sources, logger: logger)
            return
        }

        var embedded: EmbeddedBackend?
        defer { embedded?.removeFiles() }
        let endpoint: CSMSEndpoint
        var configuration: FleetConfiguration
        do {
            if let url = scale.embeddedCSMS {
                // A worker of `run --processes`: the parent started the embedded CSMS (and its TLS material).
                endpoint = try CSMSEndpoint(url: url)
                configuration = FleetConfiguration(spec: fleet, plans: plans, endpoint: endpoint, seed: runSeed)
                if let directory = scale.embeddedTLS {
                    configuration.groups = EmbeddedSecurity(spec: fleet, material: LabTLSMaterial(directory: directory))
                        .clientGroups(configuration.groups)
                }
            } else if let url = csms ?? fleet.csmsURL {
                endpoint = try CSMSEndpoint(url: url)
                if fleet.scenario != nil {
                    // The spec's validation refuses csms.url with a scenario; --csms can still point elsewhere.
                    printError("ocpp-fleet: warning: the spec's scenario is ignored: only the embedded CSMS plays it, "
                               + "and --csms points at \(endpoint)")
                }
                configuration = FleetConfiguration(spec: fleet, plans: plans, endpoint: endpoint, seed: runSeed)
            } else {
                let backend = try EmbeddedBackend.start(fleet: fleet, plans: plans, seed: runSeed, count: 1, logger: logger)
                embedded = backend
                endpoint = try CSMSEndpoint(url: backend.urls[0])
                configuration = FleetConfiguration(spec: fleet, plans: plans, endpoint: endpoint, seed: runSeed)
                configuration.groups = backend.security.clientGroups(configuration.groups)
            }
            configuration.timeScale = runTimeScale
            configuration.maxFrameSize = runMaxFrameSize
            configuration.fleetSize = fleetPlans.count
            configuration.sourceAddresses = sources
        } catch let invalid as CSMSEndpoint.Invalid {
            printError("csms: \(invalid.description)")
            throw Exit(code: ExitStatus.badInput)
        } catch {
            printError("cannot start the embedded CSMS: \(error)")
            throw Exit(code: ExitStatus.failedRun)
        }

        if let trace {
            let directory = report ?? "."
            let tracer: FrameTrace
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                tracer = try FrameTrace(pattern: trace, path: (directory as NSString).appendingPathComponent("trace.jsonl"))
            } catch {
                printError("--trace: cannot write \(directory)/trace.jsonl: \(error)")
                _ = embedded?.stop()
                throw Exit(code: ExitStatus.badInput)
            }
            configuration.trace = tracer
            let traced = plans.filter { tracer.matches($0.id) }.count
            printError("ocpp-fleet: tracing the frames of \(traced) charge point\(traced == 1 ? "" : "s") matching "
                       + "'\(trace)' to \(tracer.path)")
        }

        if !sources.addresses.isEmpty {
            printError("ocpp-fleet: connections go out from \(sources.addresses.count) source address(es), "
                       + "\(sources.addresses[0])\(sources.addresses.count > 1 ? " … \(sources.addresses.last!)" : "")")
        }
        let cores = System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads ?? cores)
        let runner = FleetRunner(configuration: configuration, group: group, logger: logger)

        var metricsServer: MetricsServer?
        var liveMetrics: LiveMetrics?
        if let prometheus, let address = MetricsEndpoint(prometheus) {
            let registry = bootstrapPrometheus()
            do {
                let server = try await MetricsServer.start(host: address.host, port: address.port, registry: registry,
                                                           group: group)
                metricsServer = server
                liveMetrics = LiveMetrics(groupNames: configuration.groupNames, shard: shard)
                printError("ocpp-fleet: metrics at http://\(server.address)/metrics")
            } catch {
                printError("ocpp-fleet: cannot serve metrics on \(prometheus): \(error)")
                _ = embedded?.stop()
                try? await group.shutdownGracefully()
                throw Exit(code: ExitStatus.failedRun)
            }
        }
        let progress = quiet ? nil : LiveProgress(total: runDuration, configured: plans.count, cores: cores,
                                                  terminal: LiveProgress.stderrIsTerminal)

        let profiles = Set(configuration.groups.map(\.security.profile.rawValue)).sorted().map(String.init)
        let slice = shard.map { " (shard \($0) of a fleet of \(fleetPlans.count))" } ?? ""
        let isEmbedded = embedded != nil || scale.embeddedCSMS != nil
        printError("ocpp-fleet: \(plans.count) charge points\(slice) → \(endpoint)\(isEmbedded ? " (embedded CSMS)" : ""), "
                   + "security profile\(profiles.count == 1 ? "" : "s") \(profiles.joined(separator: ", ")), "
                   + "\(formatDuration(runDuration))"
                   + (runTimeScale == 1 ? "" : " at time scale \(formatScale(runTimeScale))×") + ", seed \(runSeed)")
        let baseline = ProcessSample.now()
        let startedAt = Date()
        let started = ContinuousClock.now
        let metrics = liveMetrics
        do {
            try await runner.start { sample in
                metrics?.record(groups: sample.groups, cpuSeconds: sample.cpuSeconds,
                                rssBytes: sample.process.rssBytes > 0 ? sample.process.rssBytes : nil,
                                eventLoopLag: sample.eventLoopLag)
                progress?.update(sample)
            }
        } catch let setup as FleetSetupError {
            printError("ocpp-fleet: \(setup)")
            try? await metricsServer?.close()
            try? await group.shutdownGracefully()
            _ = embedded?.stop()
            throw Exit(code: ExitStatus.badInput)
        }
        let interrupted = try await waitForEnd(runDuration, logger: logger)
        // From here a second SIGINT/SIGTERM cuts the end short: no more waiting, a partial report.
        let secondSignal = SignalWatch { runner.hurry() }
        let outcome = await runner.finish(onExit: onExit)
        let hurried = secondSignal.fired
        secondSignal.cancel()
        let elapsed = ContinuousClock.now - started
        let end = ProcessSample.now()
        try? await metricsServer?.close()
        try? await group.shutdownGracefully()
        let backend = embedded?.stop()
        if let trace = configuration.trace {
            let summary = trace.close()
            let dropped = summary.dropped > 0 ? "; \(summary.dropped) frame(s) past the size limit not written" : ""
            printError("ocpp-fleet: trace: \(summary.frames) frame(s) in \(trace.path)\(dropped)")
        }

        var result = RunReport.build(
            snapshot: outcome.telemetry,
            run: RunMetadata(
                tool: .init(version: OCPPFleet.version), seed: runSeed, startedAt: startedAt,
                durationSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                timeScale: runTimeScale,
                csms: .init(url: endpoint.description, embedded: isEmbedded),
                configuredChargePoints: plans.count, spec: spec, shard: shard),
            peakConnected: outcome.peakConnected, baseline: baseline, end: end, availableCores: cores,
            timeSeries: outcome.timeSeries)
        result.groups = Self.groupFigures(fleet: fleet, plans: plans, tallies: outcome.groups)
        // A worker's groups are a slice: its parent warns once, on the merged report.
        if !scale.worker { result.warnings += result.unconnectedGroupWarnings() }
        result.transactions.openAtEnd = outcome.openTransactions
        result.transactions.unconfirmedMessagesAtEnd = outcome.unconfirmedTransactionMessages
        if let messages = result.transactions.messages, messages.droppedTotal > 0 {
            result.warnings.append("transaction messages dropped: \(messages.droppedText); the CSMS will never see them")
        }
        if interrupted {
            result.warnings.append("the run was interrupted (SIGINT/SIGTERM) after "
                + "\(formatDuration(elapsed)) of \(formatDuration(runDuration))")
        }
        var failed: [String] = []
        if plans.isEmpty, let shard {
            result.warnings.append("shard \(shard) has no charge points: the fleet has \(fleetPlans.count), "
                + "fewer than its \(shard.count) shards")
        } else if outcome.peakConnected == 0 {
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
        if let backend { conclude(&result, embeddedCSMS: backend, failed: &failed) }
        // A worker's thresholds are judged by its parent, on the merged report.
        var judged: [String] = []
        judgeThresholds(allThresholds, &result, failed: &judged)
        if !scale.worker { failed += judged }
        try publish(result, csmsSent: backend?.callsSent ?? [:], failed: failed)
    }

    /// The report's `groups`: each group's setup from the spec (after `--ocpp-version`) and how
    /// its connections went, so a failure of one group's security settings shows as that group's.
    static func groupFigures(fleet: FleetSpec, plans: [ChargePointPlan], tallies: [GroupTally]) -> [String: RunReport.Group] {
        var configured = Array(repeating: 0, count: fleet.groups.count)
        for plan in plans where plan.group < configured.count { configured[plan.group] += 1 }
        var figures: [String: RunReport.Group] = [:]
        for (index, group) in fleet.groups.enumerated() {
            figures[group.name] = RunReport.Group(
                configured: configured[index], ocppVersion: group.ocppVersion.rawValue,
                securityProfile: group.security.profile.rawValue,
                tally: index < tallies.count ? tallies[index] : GroupTally())
        }
        return figures
    }

    /// The embedded CSMS's own counts in the report, beside the charge points', and the
    /// failure they show: transactions it still has open after their stops.
    func conclude(_ result: inout RunReport, embeddedCSMS backend: EmbeddedCSMSProcess.Summary, failed: inout [String]) {
        result.csms.counted = RunReport.CSMS.Counted(
            received: backend.callsReceived, sent: backend.callsSent.mapValues { $0["sent"] ?? 0 },
            callErrorsSent: backend.callErrorsSent,
            transactionsStarted: backend.transactionsStarted, transactionsStopped: backend.transactionsStopped,
            openTransactions: backend.openTransactions, violations: backend.violations)
        if backend.openTransactions > 0, onExit == .stopTransactions {
            result.warnings.append("the embedded CSMS reports \(backend.openTransactions) transaction(s) left open")
            failed.append("transactions left open on the CSMS")
        }
    }

    /// Judges `thresholds` on the report; one line in `failed` when any is not met.
    func judgeThresholds(_ thresholds: [Threshold], _ result: inout RunReport, failed: inout [String]) {
        if !result.applyThresholds(thresholds) {
            let violated = (result.thresholds ?? []).filter { !$0.passed }
            failed.append("\(violated.count) of \(result.thresholds?.count ?? 0) threshold(s) not met:\n"
                + violated.map { "  ✗ \($0.expression): \($0.message)" }.joined(separator: "\n"))
        }
    }

    /// Prints the summary (`--format`), writes the report files (`--report`), and ends with exit
    /// code 1 when the run failed.
    func publish(_ result: RunReport, csmsSent: [String: [String: Int]], failed: [String]) throws {
        switch format {
        case .text:
            print(renderText(report: result))
            if !csmsSent.isEmpty { print(Self.renderCSMSSent(csmsSent)) }
        case .json:
            print(String(decoding: try result.jsonData(), as: UTF8.self))
        }
        if let directory = report {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                func write(_ name: String, _ data: Data) throws {
                    try data.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
                }
                try write("report.json", result.jsonData())
                try write("summary.md", Data(renderMarkdown(report: result).utf8))
                try write("junit.xml", Data(renderJUnit(report: result, checks: result.checks).utf8))
                try write("report.html", Data(renderHTML(report: result).utf8))
                printError("report written to \(directory)/report.json (also summary.md, junit.xml, report.html)")
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
    func waitForEnd(_ duration: Duration, logger: Logger) async throws -> Bool {
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

/// Watches SIGINT and SIGTERM outside a service group: once the run's end has begun (the
/// service group that handled the first one is gone by then), and in the parent of worker
/// processes, which passes them on.
final class SignalWatch {
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

extension Run {
    /// A fresh temporary directory only we can read (mode 0700).
    static func makePrivateDirectory() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("ocpp-fleet-scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return path
    }

    /// The embedded CSMS's scenario CALLs and their answers, for the text report: the other side
    /// of the report's Incoming table.
    static func renderCSMSSent(_ sent: [String: [String: Int]]) -> String {
        var lines = ["", "CSMS sent (embedded CSMS scenario)"]
        let width = max(8, sent.keys.map(\.count).max() ?? 0)
        for (action, counts) in sent.sorted(by: { $0.key < $1.key }) {
            let answers = counts.filter { $0.key != "sent" }.sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let name = action.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(name)  sent \(counts["sent"] ?? 0)\(answers.isEmpty ? "" : ": " + answers)")
        }
        return lines.joined(separator: "\n")
    }
}

/// The embedded CSMS's side of a fleet's security profiles: a throwaway CA with a server
/// certificate for the loopback addresses and a client certificate per profile-3 charge point
/// (`LabTLSMaterial`), the password the profile-1/2 groups send, and client certificates asked
/// for when any group uses profile 3 (required when all do).
struct EmbeddedSecurity {
    var material: LabTLSMaterial?
    var serverTLS: CentralSystemTLS?
    var password: Secret?

    init(spec: FleetSpec, plans: [ChargePointPlan]) throws {
        let profiles = spec.groups.map(\.security.profile)
        password = spec.groups.lazy.compactMap(\.security.password).first
        guard profiles.contains(where: \.usesTLS) else { return }
        let clientIDs = plans.filter { spec.groups[$0.group].security.profile.usesClientCertificate }.map(\.id)
        let material = try LabTLSMaterial.make(clientIDs: clientIDs)
        self.material = material
        let mode: CentralSystemTLS.ClientCertificates = clientIDs.isEmpty ? .none
            : profiles.allSatisfy(\.usesClientCertificate) ? .required : .optional
        serverTLS = CentralSystemTLS(certificateChain: material.serverCertificate, privateKey: material.serverKey,
                                     clientCA: mode == .none ? nil : material.caFile, clientCertificates: mode)
    }

    /// The client side of material made earlier (by the parent of this worker process).
    init(spec: FleetSpec, material: LabTLSMaterial) {
        self.material = material
        password = spec.groups.lazy.compactMap(\.security.password).first
    }

    /// The spec's groups, pointed at the run's CA and client certificates.
    func clientGroups(_ groups: [FleetConfiguration.GroupConnection]) -> [FleetConfiguration.GroupConnection] {
        guard let material else { return groups }
        return groups.map { group in
            var group = group
            group.security.tls.caFile = material.caFile
            if group.security.profile.usesClientCertificate {
                group.security.tls.clientCertificate = material.clientCertificatePattern
                group.security.tls.clientKey = material.clientKeyPattern
            }
            return group
        }
    }
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

/// A time scale as written on the command line: `60`, `2.5`.
func formatScale(_ scale: Double) -> String {
    scale == scale.rounded() ? String(Int(scale)) : String(scale)
}
