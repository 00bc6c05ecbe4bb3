import Foundation

/// The JSON report of one run (or of several shards merged): the user-facing contract,
/// documented field by field in docs/report-schema.md.
///
/// A number the tool did not measure is absent (nil), never a default 0: no calls, no
/// `cpuMicrosPerCall`; no CALLRESULT for an action, no `latencyMicros` for it.
public struct RunReport: Sendable, Codable, Equatable {
    /// The version of this layout; bumped on any incompatible change.
    public static let currentSchemaVersion = 1
    /// Bumped when keys are added to this layout (docs/report-schema.md, "Versions"); absent means 0.
    public static let currentSchemaMinorVersion = 5

    public var schemaVersion: Int
    /// Which additions to ``schemaVersion`` the writer knew; nil (absent) in reports of 1.0.
    public var schemaMinorVersion: Int?
    public var tool: Tool
    /// The fleet seed every charge point's random stream derives from.
    public var seed: UInt64
    /// When the run started, RFC 3339 in UTC with milliseconds (`2025-06-01T12:00:00.000Z`).
    public var startedAt: String
    /// Measured wall-clock duration of the run, in seconds.
    public var durationSeconds: Double
    /// Simulated seconds per wall-clock second (`run.timeScale`); absent in reports before 1.2
    /// (read as 1).
    public var timeScale: Double?
    /// The simulated time the run covered: `durationSeconds × timeScale`.
    public var simulatedSeconds: Double?
    public var csms: CSMS
    public var chargePoints: ChargePoints
    /// CALLs the charge points sent, by action name.
    public var actions: [String: Action]
    /// CALLs the CSMS sent to the charge points, by action name.
    public var incoming: [String: Incoming]
    public var transactions: Transactions
    /// What the load generator itself cost.
    public var client: Client
    /// Reasons to distrust the figures above (the generator saturated, …), in plain words.
    public var warnings: [String]
    /// The fleet spec the run was started with, as given on the command line.
    public var spec: String?
    /// Whether the generator itself was the bottleneck (CPU or event-loop lag, see ``warnings``);
    /// nil when neither could be measured.
    public var saturated: Bool?
    /// The verdict of every threshold the run was held to; nil when it had none.
    public var thresholds: [ThresholdResult]?
    /// What happened second by second.
    public var timeSeries: TimeSeries?
    /// The backend's protocol faults by kind; `{}` when none were seen, absent (nil) in
    /// reports written before schema 1.2.
    public var backendFaults: [String: Int]?
    /// Up to five frame excerpts per fault kind, secrets redacted; absent with ``backendFaults``.
    public var backendFaultSamples: [String: [String]]?
    /// The slice of the fleet this run covered (`--shard`); nil for a whole fleet, and for a
    /// merge of shards (schema 1.3).
    public var shard: Shard?
    /// The spec's groups by name: each one's OCPP version, security profile and connection
    /// figures; absent in reports before schema 1.5.
    public var groups: [String: Group]?

    public init(
        schemaVersion: Int = RunReport.currentSchemaVersion, tool: Tool, seed: UInt64, startedAt: String,
        durationSeconds: Double, csms: CSMS, chargePoints: ChargePoints, actions: [String: Action],
        incoming: [String: Incoming], transactions: Transactions, client: Client, warnings: [String],
        schemaMinorVersion: Int? = RunReport.currentSchemaMinorVersion, spec: String? = nil, saturated: Bool? = nil,
        thresholds: [ThresholdResult]? = nil, timeSeries: TimeSeries? = nil,
        backendFaults: [String: Int]? = nil, backendFaultSamples: [String: [String]]? = nil, shard: Shard? = nil
    ) {
        self.shard = shard
        self.backendFaults = backendFaults
        self.backendFaultSamples = backendFaultSamples
        self.schemaVersion = schemaVersion
        self.schemaMinorVersion = schemaMinorVersion
        self.spec = spec
        self.saturated = saturated
        self.thresholds = thresholds
        self.timeSeries = timeSeries
        self.tool = tool
        self.seed = seed
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.csms = csms
        self.chargePoints = chargePoints
        self.actions = actions
        self.incoming = incoming
        self.transactions = transactions
        self.client = client
        self.warnings = warnings
    }

    public struct Tool: Sendable, Codable, Equatable {
        public var name: String
        public var version: String
        public init(name: String = "ocpp-fleet", version: String) {
            self.name = name
            self.version = version
        }
    }

    /// The system under test.
    public struct CSMS: Sendable, Codable, Equatable {
        /// The WebSocket URL charge points connected to (without their identity suffix).
        public var url: String
        /// Whether it was the tool's own embedded CSMS.
        public var embedded: Bool
        /// What the embedded CSMS itself counted, to cross-check the charge points' figures;
        /// absent for an external CSMS (schema 1.2).
        public var counted: Counted?

        public init(url: String, embedded: Bool, counted: Counted? = nil) {
            self.url = url
            self.embedded = embedded
            self.counted = counted
        }

        /// The embedded CSMS's own counters at the end of the run.
        public struct Counted: Sendable, Codable, Equatable {
            /// CALLs received from the charge points, by action.
            public var received: [String: Int]
            /// CALLs the scenario sent, by action.
            public var sent: [String: Int]
            /// CALLERRORs it answered with, by code.
            public var callErrorsSent: [String: Int]
            public var transactionsStarted: Int
            public var transactionsStopped: Int
            public var openTransactions: Int
            /// Protocol violations of the charge points it saw (messages before boot, unknown transaction stops).
            public var violations: Int

            public init(received: [String: Int], sent: [String: Int], callErrorsSent: [String: Int],
                        transactionsStarted: Int, transactionsStopped: Int, openTransactions: Int, violations: Int) {
                self.received = received
                self.sent = sent
                self.callErrorsSent = callErrorsSent
                self.transactionsStarted = transactionsStarted
                self.transactionsStopped = transactionsStopped
                self.openTransactions = openTransactions
                self.violations = violations
            }
        }
    }

    public struct ChargePoints: Sendable, Codable, Equatable {
        /// Charge points in the fleet spec (of this shard).
        public var configured: Int
        /// Peak number of charge points connected at the same time.
        public var connected: Int
        /// BootNotifications answered `Accepted`.
        public var bootAccepted: Int
        /// Failed connection attempts by reason.
        public var connectFailures: [String: Int]
        /// Failed connection attempts by kind (`http-401`, `tls-untrusted`, …). Added in schema
        /// version 1 without a bump: reports written before it read as empty.
        public var connectionFailures: [String: Int]
        /// WebSocket connections opened, reconnects included.
        public var connectionsOpened: Int
        /// WebSocket connections closed.
        public var connectionsClosed: Int
        /// Reconnects (a WebSocket opened after the same charge point lost its previous one): the
        /// wall-clock time from the loss to the new connection, back-off and refused attempts
        /// included; `count` is the number of reconnects. After one backend restart, the
        /// reconnect spread. Absent without reconnects, and in reports before schema 1.4.
        public var reconnectDowntimeMicros: LatencySummary?
        /// ``LatencyHistogram/encoded()`` of the same, for exact merging; absent with it.
        public var reconnectDowntimeHistogram: String?

        public init(
            configured: Int, connected: Int, bootAccepted: Int, connectFailures: [String: Int],
            connectionFailures: [String: Int] = [:], connectionsOpened: Int, connectionsClosed: Int,
            reconnectDowntime: LatencyHistogram? = nil
        ) {
            let downtime = reconnectDowntime.flatMap { $0.isEmpty ? nil : $0 }
            self.reconnectDowntimeMicros = downtime?.summary
            self.reconnectDowntimeHistogram = downtime?.encoded()
            self.configured = configured
            self.connected = connected
            self.bootAccepted = bootAccepted
            self.connectFailures = connectFailures
            self.connectionFailures = connectionFailures
            self.connectionsOpened = connectionsOpened
            self.connectionsClosed = connectionsClosed
        }

        private enum CodingKeys: String, CodingKey {
            case configured, connected, bootAccepted, connectFailures, connectionFailures, connectionsOpened, connectionsClosed
            case reconnectDowntimeMicros, reconnectDowntimeHistogram
        }

        /// `3 reconnects, back after p50 5.02 s, p90 7.20 s, p99 10.6 s, max 18.8 s`; nil without
        /// reconnects. The one wording of the text, Markdown and HTML reports.
        public var reconnectText: String? {
            guard let downtime = reconnectDowntimeMicros else { return nil }
            func seconds(_ micros: Int64) -> String {
                let value = Double(micros) / 1_000_000
                return fixed(value, value < 10 ? 2 : 1) + " s"
            }
            return "\(downtime.count) reconnect\(downtime.count == 1 ? "" : "s"), back after "
                + "p50 \(seconds(downtime.p50)), p90 \(seconds(downtime.p90)), p99 \(seconds(downtime.p99)), "
                + "max \(seconds(downtime.max))"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            configured = try container.decode(Int.self, forKey: .configured)
            connected = try container.decode(Int.self, forKey: .connected)
            bootAccepted = try container.decode(Int.self, forKey: .bootAccepted)
            connectFailures = try container.decode([String: Int].self, forKey: .connectFailures)
            connectionFailures = try container.decodeIfPresent([String: Int].self, forKey: .connectionFailures) ?? [:]
            connectionsOpened = try container.decode(Int.self, forKey: .connectionsOpened)
            connectionsClosed = try container.decode(Int.self, forKey: .connectionsClosed)
            reconnectDowntimeMicros = try container.decodeIfPresent(LatencySummary.self, forKey: .reconnectDowntimeMicros)
            reconnectDowntimeHistogram = try container.decodeIfPresent(String.self, forKey: .reconnectDowntimeHistogram)
        }
    }

    /// One action the charge points send.
    public struct Action: Sendable, Codable, Equatable {
        public var sent: Int
        /// CALLRESULTs received.
        public var completed: Int
        /// CALLERRORs received.
        public var callErrors: Int
        public var callErrorsByCode: [String: Int]
        public var timeouts: Int
        /// CALL-to-CALLRESULT latency; absent without CALLRESULTs.
        public var latencyMicros: LatencySummary?
        /// ``LatencyHistogram/encoded()`` of the same latencies, for exact merging; absent without CALLRESULTs.
        public var histogram: String?
        /// CALL-to-CALLERROR latency; absent without CALLERRORs.
        public var callErrorLatencyMicros: LatencySummary?
        /// ``LatencyHistogram/encoded()`` of the CALLERROR latencies; absent without CALLERRORs.
        public var callErrorHistogram: String?
        /// For scheduled CALLs: intended send time (when the CALL fell due) to CALLRESULT,
        /// queueing included (coordinated omission); absent for unscheduled actions.
        public var responseFromIntendedMicros: LatencySummary?
        /// ``LatencyHistogram/encoded()`` of the same; absent with it.
        public var responseFromIntendedHistogram: String?

        public init(
            sent: Int, completed: Int, callErrors: Int, callErrorsByCode: [String: Int], timeouts: Int,
            latencyMicros: LatencySummary? = nil, histogram: String? = nil,
            callErrorLatencyMicros: LatencySummary? = nil, callErrorHistogram: String? = nil,
            responseFromIntendedMicros: LatencySummary? = nil, responseFromIntendedHistogram: String? = nil
        ) {
            self.responseFromIntendedMicros = responseFromIntendedMicros
            self.responseFromIntendedHistogram = responseFromIntendedHistogram
            self.sent = sent
            self.completed = completed
            self.callErrors = callErrors
            self.callErrorsByCode = callErrorsByCode
            self.timeouts = timeouts
            self.latencyMicros = latencyMicros
            self.histogram = histogram
            self.callErrorLatencyMicros = callErrorLatencyMicros
            self.callErrorHistogram = callErrorHistogram
        }
    }

    /// One action the CSMS sends.
    public struct Incoming: Sendable, Codable, Equatable {
        public var received: Int
        /// Answered with a CALLRESULT.
        public var answered: Int
        /// Answered with a CALLERROR.
        public var callErrors: Int
        public var callErrorsByCode: [String: Int]

        public init(received: Int, answered: Int, callErrors: Int, callErrorsByCode: [String: Int]) {
            self.received = received
            self.answered = answered
            self.callErrors = callErrors
            self.callErrorsByCode = callErrorsByCode
        }
    }

    public struct Transactions: Sendable, Codable, Equatable {
        public var started: Int
        public var stopped: Int
        /// Transaction messages queued offline, replayed after a lost connection, and dropped by
        /// reason; absent in reports before schema 1.3.
        public var messages: TransactionMessageCounts?
        /// Transactions still open when the run ended (after the stop timeout); absent in
        /// reports before schema 1.3.
        public var openAtEnd: Int?
        /// Transaction messages not yet confirmed by the CSMS when the run ended; absent in
        /// reports before schema 1.3.
        public var unconfirmedMessagesAtEnd: Int?

        public init(started: Int, stopped: Int, messages: TransactionMessageCounts? = nil,
                    openAtEnd: Int? = nil, unconfirmedMessagesAtEnd: Int? = nil) {
            self.started = started
            self.stopped = stopped
            self.messages = messages
            self.openAtEnd = openAtEnd
            self.unconfirmedMessagesAtEnd = unconfirmedMessagesAtEnd
        }
    }

    /// The load generator's own cost; every optional is absent when not measured.
    public struct Client: Sendable, Codable, Equatable {
        /// CPU time (user + system) the fleet process spent during the run, in seconds.
        public var cpuSeconds: Double?
        /// Largest resident set size of the fleet process, in bytes.
        public var peakRSSBytes: Int?
        /// Resident set size before the first charge point connected, in bytes.
        public var baselineRSSBytes: Int?
        /// (peakRSSBytes − baselineRSSBytes) / chargePoints.connected.
        public var rssBytesPerChargePoint: Int?
        /// cpuSeconds × 10⁶ / callsHandled.
        public var cpuMicrosPerCall: Double?
        /// CALLs sent plus CALLs received.
        public var callsHandled: Int
        /// CPU cores the process could use.
        public var availableCores: Int?
        /// cpuSeconds / (durationSeconds × availableCores): 1 means every core was busy all run.
        public var cpuUtilization: Double?
        /// How late event-loop timers fired.
        public var eventLoopLagMicros: LatencySummary?
        /// ``LatencyHistogram/encoded()`` of the event-loop lag samples.
        public var eventLoopLagHistogram: String?

        public init(
            cpuSeconds: Double?, peakRSSBytes: Int?, baselineRSSBytes: Int?, rssBytesPerChargePoint: Int?,
            cpuMicrosPerCall: Double?, callsHandled: Int, availableCores: Int? = nil, cpuUtilization: Double? = nil,
            eventLoopLagMicros: LatencySummary? = nil, eventLoopLagHistogram: String? = nil
        ) {
            self.cpuSeconds = cpuSeconds
            self.peakRSSBytes = peakRSSBytes
            self.baselineRSSBytes = baselineRSSBytes
            self.rssBytesPerChargePoint = rssBytesPerChargePoint
            self.cpuMicrosPerCall = cpuMicrosPerCall
            self.callsHandled = callsHandled
            self.availableCores = availableCores
            self.cpuUtilization = cpuUtilization
            self.eventLoopLagMicros = eventLoopLagMicros
            self.eventLoopLagHistogram = eventLoopLagHistogram
        }
    }
}

/// What a run was, beyond what ``LoopTelemetry`` counts.
public struct RunMetadata: Sendable, Equatable {
    public var tool: RunReport.Tool
    public var seed: UInt64
    public var startedAt: Date
    /// Measured wall-clock duration, in seconds.
    public var durationSeconds: Double
    /// Simulated seconds per wall-clock second.
    public var timeScale: Double
    public var csms: RunReport.CSMS
    public var configuredChargePoints: Int
    /// The fleet spec's path as given.
    public var spec: String?
    /// The slice of the fleet this process ran; nil for the whole fleet.
    public var shard: Shard?

    public init(
        tool: RunReport.Tool, seed: UInt64, startedAt: Date, durationSeconds: Double, timeScale: Double = 1,
        csms: RunReport.CSMS, configuredChargePoints: Int, spec: String? = nil, shard: Shard? = nil
    ) {
        self.shard = shard
        self.timeScale = timeScale
        self.spec = spec
        self.tool = tool
        self.seed = seed
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.csms = csms
        self.configuredChargePoints = configuredChargePoints
    }
}

extension RunReport {
    /// Builds the report of one run (one process).
    ///
    /// - Parameters:
    ///   - snapshot: all loops' snapshots merged.
    ///   - peakConnected: the largest sum of ``LoopTelemetry/connectedNow`` over loops, sampled
    ///     during the run (with one loop, `snapshot.peakConnected` is exact).
    ///   - baseline: sampled before the first charge point connected.
    ///   - end: sampled when the run ended.
    ///   - availableCores: cores the process could use; nil if unknown (no CPU-saturation check).
    /// Generator warnings (``cpuSaturationWarning(cpuSeconds:durationSeconds:cores:threshold:)``,
    /// ``eventLoopLagWarning(lag:thresholdMicros:)``) are added when they apply.
    public static func build(
        snapshot: TelemetrySnapshot,
        run: RunMetadata,
        peakConnected: Int,
        baseline: ProcessSample,
        end: ProcessSample,
        availableCores: Int?,
        timeSeries: TimeSeries? = nil
    ) -> RunReport {
        let cpuSeconds = max(0, end.cpuSeconds - baseline.cpuSeconds)
        let baselineRSS = baseline.rssBytes > 0 ? baseline.rssBytes : nil
        let callsHandled = snapshot.callsHandled
        let lag = snapshot.eventLoopLag.flatMap { $0.isEmpty ? nil : $0 }
        var client = Client(
            cpuSeconds: cpuSeconds,
            peakRSSBytes: end.peakRSSBytes,
            baselineRSSBytes: baselineRSS,
            rssBytesPerChargePoint: nil,
            cpuMicrosPerCall: nil,
            callsHandled: callsHandled,
            availableCores: availableCores,
            cpuUtilization: nil,
            eventLoopLagMicros: lag?.summary,
            eventLoopLagHistogram: lag?.encoded()
        )
        client.deriveRatios(connected: peakConnected)
        if let availableCores, availableCores > 0, run.durationSeconds > 0 {
            client.cpuUtilization = cpuSeconds / (run.durationSeconds * Double(availableCores))
        }

        var report = RunReport(
            schemaVersion: currentSchemaVersion,
            tool: run.tool,
            seed: run.seed,
            startedAt: rfc3339(run.startedAt),
            durationSeconds: run.durationSeconds,
            csms: run.csms,
            chargePoints: ChargePoints(
                configured: run.configuredChargePoints,
                connected: peakConnected,
                bootAccepted: snapshot.bootAccepted,
                connectFailures: snapshot.connectFailures,
                connectionFailures: snapshot.connectionFailures,
                connectionsOpened: snapshot.connectionsOpened,
                connectionsClosed: snapshot.connectionsClosed,
                reconnectDowntime: snapshot.reconnectDowntime
            ),
            actions: snapshot.actions.mapValues(Action.init(stats:)),
            incoming: snapshot.incoming.mapValues(Incoming.init(stats:)),
            transactions: Transactions(started: snapshot.transactionsStarted, stopped: snapshot.transactionsStopped,
                                       messages: snapshot.transactionMessages),
            client: client,
            warnings: [],
            spec: run.spec,
            timeSeries: timeSeries,
            backendFaults: snapshot.backendFaults,
            backendFaultSamples: snapshot.backendFaultSamples,
            shard: run.shard
        )
        report.timeScale = run.timeScale
        report.simulatedSeconds = run.durationSeconds * run.timeScale
        if availableCores != nil || lag != nil { report.saturated = false }
        if let availableCores,
           let warning = cpuSaturationWarning(
               cpuSeconds: cpuSeconds, durationSeconds: run.durationSeconds, cores: availableCores) {
            report.warnings.append(warning)
            report.saturated = true
        }
        if let summary = lag?.summary, let warning = eventLoopLagWarning(lag: summary) {
            report.warnings.append(warning)
            report.saturated = true
        }
        return report
    }

    /// A warning when the client used at least `threshold` of its cores over the run
    /// (`cpuSeconds / (durationSeconds × cores)`): past that, measured latencies include the
    /// generator's own queueing.
    public static func cpuSaturationWarning(
        cpuSeconds: Double, durationSeconds: Double, cores: Int, threshold: Double = 0.9
    ) -> String? {
        guard durationSeconds > 0, cores > 0 else { return nil }
        let utilization = cpuSeconds / (durationSeconds * Double(cores))
        guard utilization >= threshold else { return nil }
        return "client CPU was \(percent(utilization)) of \(cores) core\(cores == 1 ? "" : "s") "
            + "(\(fixed(cpuSeconds, 1)) s CPU in \(fixed(durationSeconds, 1)) s): "
            + "the generator itself may be the bottleneck; latencies include its own queueing"
    }

    /// A warning when event-loop timers were late by `thresholdMicros` or more at p99: the
    /// loops were too busy to read replies on time, so latencies are inflated by the client.
    public static func eventLoopLagWarning(lag: LatencySummary, thresholdMicros: Int64 = 50_000) -> String? {
        guard lag.p99 >= thresholdMicros else { return nil }
        return "event-loop lag p99 was \(fixed(Double(lag.p99) / 1000, 2)) ms (max \(fixed(Double(lag.max) / 1000, 2)) ms): "
            + "the generator itself may be the bottleneck; latencies include its own queueing"
    }

    /// The report as JSON: keys sorted, pretty-printed, slashes unescaped.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a report written by ``jsonData()``.
    public static func decode(from data: Data) throws -> RunReport {
        try JSONDecoder().decode(RunReport.self, from: data)
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension RunReport.Client {
    /// Sets the per-charge-point and per-call figures from the measured totals, or clears them
    /// when a total is missing or the divisor is zero.
    mutating func deriveRatios(connected: Int) {
        if let peakRSSBytes, let baselineRSSBytes, connected > 0 {
            rssBytesPerChargePoint = max(0, peakRSSBytes - baselineRSSBytes) / connected
        } else {
            rssBytesPerChargePoint = nil
        }
        if let cpuSeconds, callsHandled > 0 {
            cpuMicrosPerCall = cpuSeconds * 1_000_000 / Double(callsHandled)
        } else {
            cpuMicrosPerCall = nil
        }
    }
}

extension RunReport.Action {
    init(stats: ActionStats) {
        let latency = stats.latency.flatMap { $0.isEmpty ? nil : $0 }
        let errorLatency = stats.callErrorLatency.flatMap { $0.isEmpty ? nil : $0 }
        let fromIntended = stats.responseFromIntended.flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            sent: stats.sent,
            completed: stats.completed,
            callErrors: stats.callErrors,
            callErrorsByCode: stats.callErrorsByCode,
            timeouts: stats.timeouts,
            latencyMicros: latency?.summary,
            histogram: latency?.encoded(),
            callErrorLatencyMicros: errorLatency?.summary,
            callErrorHistogram: errorLatency?.encoded(),
            responseFromIntendedMicros: fromIntended?.summary,
            responseFromIntendedHistogram: fromIntended?.encoded()
        )
    }
}

extension RunReport.Incoming {
    init(stats: IncomingStats) {
        self.init(
            received: stats.received, answered: stats.answered,
            callErrors: stats.callErrors, callErrorsByCode: stats.callErrorsByCode)
    }
}

/// `0.934` → `"93%"`.
func percent(_ fraction: Double) -> String {
    "\(Int((fraction * 100).rounded()))%"
}

/// `value` with exactly `decimals` digits after the point, locale-independent.
func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
