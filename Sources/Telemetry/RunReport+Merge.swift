import Foundation

extension RunReport {
    /// Combines the reports of shards that ran side by side into one fleet report.
    ///
    /// Exact: counters add, histograms are decoded, added and re-encoded, and every percentile,
    /// per-call and per-charge-point figure is recomputed from the merged totals. Approximate,
    /// and documented as such in docs/report-schema.md:
    /// - `chargePoints.connected` becomes the sum of the shards' peaks, an upper bound on the
    ///   fleet's concurrent peak (shards may peak at different moments);
    /// - `startedAt` is the earliest start and `durationSeconds` runs to the latest end;
    /// - `client.availableCores` and `client.cpuUtilization` are dropped (shards may share
    ///   machines), but each shard's saturation warnings are kept.
    ///
    /// The result covers more than one shard, so its ``shard`` is nil; ``merged(_:)`` also
    /// checks that the shards merged are disjoint and complete.
    ///
    /// Throws ``MergeError`` when the schema versions differ or a histogram does not decode.
    public mutating func merge(_ other: RunReport) throws {
        guard schemaVersion == other.schemaVersion else {
            throw MergeError.schemaVersionMismatch(schemaVersion, other.schemaVersion)
        }
        mergeTiming(other)
        mergeTimeScale(other)
        var notes: [String] = []
        if seed != other.seed {
            notes.append("merged reports have different seeds (\(seed) and \(other.seed)); seed shows the first")
        }
        if csms.url != other.csms.url || csms.embedded != other.csms.embedded {
            notes.append("merged reports ran against different CSMSs (\(csms.url) and \(other.csms.url)); csms shows the first")
        }

        chargePoints.configured += other.chargePoints.configured
        chargePoints.connected += other.chargePoints.connected
        chargePoints.bootAccepted += other.chargePoints.bootAccepted
        chargePoints.connectFailures.addCounts(
            other.chargePoints.connectFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        chargePoints.connectionFailures.addCounts(
            other.chargePoints.connectionFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        chargePoints.connectionsOpened += other.chargePoints.connectionsOpened
        chargePoints.connectionsClosed += other.chargePoints.connectionsClosed
        (chargePoints.reconnectDowntimeMicros, chargePoints.reconnectDowntimeHistogram) = try mergedLatency(
            chargePoints.reconnectDowntimeHistogram, other.chargePoints.reconnectDowntimeHistogram,
            field: "chargePoints.reconnectDowntimeHistogram")

        for (name, action) in other.actions {
            if actions[name] == nil {
                actions[name] = action
            } else {
                try actions[name]!.merge(action, name: name)
            }
        }
        for (name, incomingAction) in other.incoming {
            incoming[name, default: Incoming(received: 0, answered: 0, callErrors: 0, callErrorsByCode: [:])]
                .merge(incomingAction)
        }
        // Faults are counted since schema 1.2: a report without them makes the sum unknown.
        if let mine = backendFaults, let theirs = other.backendFaults {
            backendFaults = mine
            backendFaults!.addCounts(theirs, limit: TelemetrySnapshot.Limits.faultKinds)
            var samples = backendFaultSamples ?? [:]
            samples.addSamples(other.backendFaultSamples ?? [:])
            backendFaultSamples = samples
        } else {
            backendFaults = nil
            backendFaultSamples = nil
        }
        // Each run had its own embedded CSMS (workers of `run --processes` report none: their
        // parent adds its CSMS's counts after the merge), so what they counted adds up.
        csms.counted = csms.counted.flatMap { mine in other.csms.counted.map { mine.adding($0) } }
        groups = groups.flatMap { mine in other.groups.map { mine.merging($0) { var group = $0; group.merge($1); return group } } }
        shard = nil
        transactions.merge(other.transactions)
        try client.merge(other.client, connected: chargePoints.connected)

        for warning in other.warnings + notes where !warnings.contains(warning) {
            warnings.append(warning)
        }
        schemaMinorVersion = Self.currentSchemaMinorVersion
        if spec != other.spec { spec = [spec, other.spec].compactMap(\.self).joined(separator: ", ") }
        switch (saturated, other.saturated) {
        case (true, _), (_, true): saturated = true
        case (false, false): saturated = false
        default: saturated = nil
        }
        switch (timeSeries, other.timeSeries) {
        case let (mine?, theirs?):
            var merged = mine
            merged.merge(theirs)
            timeSeries = merged
        default:
            // A shard without a series would make every merged bucket an undercount.
            timeSeries = nil
        }
        // Thresholds are judged again on the merged figures, never carried over.
        let expressions = (thresholds ?? []).map(\.expression) + (other.thresholds ?? []).map(\.expression)
        let parsed = expressions.compactMap { try? Threshold.parse($0) }
        if parsed.isEmpty { thresholds = nil } else { applyThresholds(parsed) }
    }

    /// For reports of processes that ran side by side on this one machine (`run --processes`):
    /// the merge drops the CPU use because shards may run on different machines, but here the
    /// machine is known, so the use is measured again from the summed CPU seconds, over the
    /// merged duration and this machine's `cores`.
    public mutating func measureUtilization(onOneMachineWith cores: Int) {
        guard cores > 0, durationSeconds > 0, let cpuSeconds = client.cpuSeconds else { return }
        client.availableCores = cores
        client.cpuUtilization = cpuSeconds / (durationSeconds * Double(cores))
    }

    /// Merges `reports` in order (``merge(_:)``) and adds a warning for each way their shards
    /// do not add up to one fleet exactly once (``noteShardCoverage(_:)``).
    public static func merged(_ reports: [RunReport]) throws -> RunReport {
        guard var result = reports.first else { throw MergeError.nothingToMerge }
        for report in reports.dropFirst() { try result.merge(report) }
        result.noteShardCoverage(reports.map(\.shard))
        return result
    }

    /// Adds to ``warnings`` what ``shardCoverageWarnings(_:)`` finds wrong with the shards this
    /// report was merged from; returns the warnings added.
    @discardableResult
    public mutating func noteShardCoverage(_ shards: [Shard?]) -> [String] {
        let added = Self.shardCoverageWarnings(shards).filter { !warnings.contains($0) }
        warnings += added
        return added
    }

    /// What is wrong with merging reports of these shards (nil: a report of a whole fleet):
    /// a shard given twice, a shard missing, different shard counts, sharded and unsharded
    /// reports together. Empty when the shards cover the fleet exactly once, or when no report
    /// is a shard (merging whole runs, e.g. of several machines, is not checked).
    public static func shardCoverageWarnings(_ shards: [Shard?]) -> [String] {
        let sharded = shards.compactMap(\.self)
        guard !sharded.isEmpty else { return [] }
        var warnings: [String] = []
        let unsharded = shards.count - sharded.count
        if unsharded > 0 {
            warnings.append("\(unsharded) of \(shards.count) merged report(s) ran a whole fleet, the others one shard: "
                + "charge points may be counted twice")
        }
        let counts = Set(sharded.map(\.count)).sorted()
        guard counts.count == 1, let count = counts.first else {
            warnings.append("merged shards come from splits into \(counts.map(String.init).joined(separator: ", ")) "
                + "shards: they do not make one fleet")
            return warnings
        }
        var seen: [Int: Int] = [:]
        for shard in sharded { seen[shard.index, default: 0] += 1 }
        for (index, times) in seen.sorted(by: { $0.key < $1.key }) where times > 1 {
            warnings.append("shard \(index)/\(count) merged \(times) times: its charge points are counted \(times) times")
        }
        let missing = (0..<count).filter { seen[$0] == nil }
        if !missing.isEmpty {
            warnings.append("shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) "
                + "missing: the merged report covers \(count - missing.count) of \(count) shards")
        }
        return warnings
    }

    private mutating func mergeTiming(_ other: RunReport) {
        guard let start = Self.parseRFC3339(startedAt), let otherStart = Self.parseRFC3339(other.startedAt) else {
            durationSeconds = max(durationSeconds, other.durationSeconds)
            return
        }
        let first = min(start, otherStart)
        // Each end as an offset from the first start, in the whole milliseconds `startedAt` holds:
        // adding a duration to a Date and subtracting it again loses its last digits, and a report
        // merged with itself would change its duration.
        let offset = { (start: Date) in (start.timeIntervalSince(first) * 1000).rounded() / 1000 }
        durationSeconds = max(offset(start) + durationSeconds, offset(otherStart) + other.durationSeconds)
        if otherStart < start { startedAt = other.startedAt }
    }

    /// Shards of one fleet run at one time scale; different scales leave the merge without one.
    private mutating func mergeTimeScale(_ other: RunReport) {
        let scale = timeScale ?? 1
        timeScale = scale == (other.timeScale ?? 1) ? timeScale : nil
        simulatedSeconds = timeScale.map { durationSeconds * $0 }
    }

    /// Why two reports cannot be merged.
    public enum MergeError: Error, Equatable, CustomStringConvertible {
        case schemaVersionMismatch(Int, Int)
        case invalidHistogram(field: String, reason: String)
        case nothingToMerge

        public var description: String {
            switch self {
            case let .schemaVersionMismatch(mine, theirs):
                "cannot merge report schema version \(theirs) into version \(mine)"
            case let .invalidHistogram(field, reason):
                "cannot merge \(field): \(reason)"
            case .nothingToMerge:
                "no report to merge"
            }
        }
    }
}

extension RunReport.Action {
    mutating func merge(_ other: RunReport.Action, name: String) throws {
        sent += other.sent
        completed += other.completed
        callErrors += other.callErrors
        callErrorsByCode.addCounts(other.callErrorsByCode, limit: TelemetrySnapshot.Limits.errorCodes)
        timeouts += other.timeouts
        (latencyMicros, histogram) = try mergedLatency(
            histogram, other.histogram, field: "actions.\(name).histogram")
        (callErrorLatencyMicros, callErrorHistogram) = try mergedLatency(
            callErrorHistogram, other.callErrorHistogram, field: "actions.\(name).callErrorHistogram")
        (responseFromIntendedMicros, responseFromIntendedHistogram) = try mergedLatency(
            responseFromIntendedHistogram, other.responseFromIntendedHistogram,
            field: "actions.\(name).responseFromIntendedHistogram")
    }
}

extension RunReport.Incoming {
    mutating func merge(_ other: RunReport.Incoming) {
        received += other.received
        answered += other.answered
        callErrors += other.callErrors
        callErrorsByCode.addCounts(other.callErrorsByCode, limit: TelemetrySnapshot.Limits.errorCodes)
    }
}

extension RunReport.CSMS.Counted {
    /// The counts of two embedded CSMSs together.
    func adding(_ other: Self) -> Self {
        Self(received: received.merging(other.received, uniquingKeysWith: +),
             sent: sent.merging(other.sent, uniquingKeysWith: +),
             callErrorsSent: callErrorsSent.merging(other.callErrorsSent, uniquingKeysWith: +),
             transactionsStarted: transactionsStarted + other.transactionsStarted,
             transactionsStopped: transactionsStopped + other.transactionsStopped,
             openTransactions: openTransactions + other.openTransactions,
             violations: violations + other.violations)
    }
}

extension RunReport.Client {
    mutating func merge(_ other: RunReport.Client, connected: Int) throws {
        cpuSeconds = sum(cpuSeconds, other.cpuSeconds)
        peakRSSBytes = sum(peakRSSBytes, other.peakRSSBytes)
        baselineRSSBytes = sum(baselineRSSBytes, other.baselineRSSBytes)
        callsHandled += other.callsHandled
        availableCores = nil
        cpuUtilization = nil
        (eventLoopLagMicros, eventLoopLagHistogram) = try mergedLatency(
            eventLoopLagHistogram, other.eventLoopLagHistogram, field: "client.eventLoopLagHistogram")
        deriveRatios(connected: connected)
    }
}

/// The sum when both sides measured it; otherwise not measured.
private func sum<Number: AdditiveArithmetic>(_ lhs: Number?, _ rhs: Number?) -> Number? {
    guard let lhs, let rhs else { return nil }
    return lhs + rhs
}

/// Decodes, adds and re-encodes two optional histogram texts, with the merged summary.
private func mergedLatency(
    _ lhs: String?, _ rhs: String?, field: String
) throws(RunReport.MergeError) -> (LatencySummary?, String?) {
    var merged: LatencyHistogram?
    for text in [lhs, rhs].compactMap(\.self) {
        do {
            merged.add(try LatencyHistogram(encoded: text))
        } catch {
            throw .invalidHistogram(field: field, reason: error.reason)
        }
    }
    guard let merged, !merged.isEmpty else { return (nil, nil) }
    return (merged.summary, merged.encoded())
}

extension RunReport.Transactions {
    /// Adds a shard's figures; a figure one of the two reports lacks (written before schema 1.3)
    /// becomes absent, never a partial sum.
    mutating func merge(_ other: Self) {
        started += other.started
        stopped += other.stopped
        if var mine = messages, let theirs = other.messages {
            mine.add(theirs)
            messages = mine
        } else {
            messages = nil
        }
        openAtEnd = openAtEnd.flatMap { mine in other.openAtEnd.map { mine + $0 } }
        unconfirmedMessagesAtEnd = unconfirmedMessagesAtEnd.flatMap { mine in other.unconfirmedMessagesAtEnd.map { mine + $0 } }
    }
}

extension RunReport.Transactions {
    /// The transactions table of the text and Markdown reports: a header and one row, figures
    /// not measured (reports before 1.3) shown as `notMeasured`.
    func table(notMeasured: String) -> (header: [String], row: [String]) {
        let count: (Int?) -> String = { $0.map(String.init) ?? notMeasured }
        let dropped = messages?.droppedText
        return (["Transactions", "started", "stopped", "open at end", "msgs queued offline", "msgs replayed", "msgs dropped"],
                ["", "\(started)", "\(stopped)", count(openAtEnd), count(messages?.queuedOffline),
                 count(messages?.replayed), dropped ?? notMeasured])
    }

    /// One line for the HTML report's facts.
    var summaryText: String {
        var text = "\(started) started, \(stopped) stopped"
        if let openAtEnd { text += ", \(openAtEnd) open at the end" }
        if let messages {
            text += "; messages: \(messages.queuedOffline) queued offline, \(messages.replayed) replayed, "
                + "\(messages.droppedText) dropped"
        }
        return text
    }
}
