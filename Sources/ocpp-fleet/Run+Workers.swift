import ArgumentParser
import Fleet
import FleetSpec
import Foundation
import Logging
import NIOCore
import Telemetry

extension Run {
    /// The source addresses of the run: `--source-addresses`, else `csms.sourceAddresses`, else,
    /// against a loopback CSMS (the embedded one included) with more than 5,000 connections,
    /// 127.0.0.2 onwards at 5,000 each; none otherwise. Counted over the whole fleet, so every
    /// shard and worker deals the same addresses by charge point index.
    func sourceAddresses(fleet: FleetSpec, fleetSize: Int) throws -> SourceAddresses {
        if let text = scale.sourceAddresses {
            return try SourceAddresses.parse(text).get()  // validate() has read it once
        }
        if !fleet.sourceAddresses.addresses.isEmpty { return fleet.sourceAddresses }
        let target = scale.embeddedCSMS ?? csms ?? fleet.csmsURL
        let host = target.flatMap { try? CSMSEndpoint(url: $0) }?.host ?? "127.0.0.1"
        guard host.hasPrefix("127.") || host == "localhost" else { return SourceAddresses([]) }
        return SourceAddresses.loopbackSpread(connections: fleetSize)
    }

    /// `run` as the parent of `split.count` worker processes: each runs shard i/N of this
    /// process's charge points (composed with our own `--shard`, if any) against the embedded
    /// CSMS started here (one process per worker when one cannot hold the fleet) or the given
    /// CSMS, and writes its report into a private temporary directory. Their stderr comes through
    /// prefixed; SIGINT/SIGTERM are passed on. The reports are merged exactly, the embedded CSMS's
    /// counts added, and the thresholds judged on the merged report, which is then printed and
    /// written as a single run's would be.
    func runWorkers(_ split: WorkerSplit, fleet: FleetSpec, plans: [ChargePointPlan], seed: UInt64, shard: Shard?,
                    thresholds: [Threshold], sources: SourceAddresses, logger: Logger) async throws {
        if trace != nil {
            printError("ocpp-fleet: --trace writes one file from one process, but \(split.reason) asks for "
                       + "\(split.count) worker processes")
            throw Exit(code: ExitStatus.badInput)
        }
        var backend: EmbeddedBackend?
        if csms == nil, fleet.csmsURL == nil {
            let count = plans.count > split.connectionsPerProcess ? split.count : 1
            do {
                backend = try EmbeddedBackend.start(fleet: fleet, plans: plans, seed: seed, count: count, logger: logger)
            } catch {
                printError("cannot start the embedded CSMS: \(error)")
                throw Exit(code: ExitStatus.failedRun)
            }
        }
        defer { backend?.removeFiles() }
        let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("ocpp-fleet-workers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let workers = ChildProcesses()
        let shards = (0..<split.count).map { Shard(index: $0, count: split.count)! }
        do {
            for local in shards {
                try workers.start(name: "worker \(local)", arguments: workerArguments(
                    local, within: shard, seed: seed, report: Self.workerReport(local, in: directory),
                    csms: backend.map { ($0.urls[local.index % $0.urls.count], $0.security.material?.directory) },
                    sources: sources))
            }
        } catch {
            workers.terminateAll()
            _ = await workers.waitForAll()
            _ = backend?.stop()
            printError("ocpp-fleet: cannot start the worker processes: \(error)")
            throw Exit(code: ExitStatus.failedRun)
        }
        workers.forwardTerminationSignals()
        printError("ocpp-fleet: \(plans.count) charge points in \(split.count) worker processes (\(split.reason))"
                   + (backend.map { ", \($0.processes.count) embedded CSMS process\($0.processes.count == 1 ? "" : "es")" } ?? ""))
        let codes = await workers.waitForAll()
        let counted = backend?.stop()

        var failed: [String] = []
        var reports: [RunReport] = []
        for (local, code) in zip(shards, codes) {
            let path = Self.workerReport(local, in: directory) + "/report.json"
            guard let data = FileManager.default.contents(atPath: path), let report = try? RunReport.decode(from: data) else {
                failed.append("worker \(local) wrote no report (exit code \(code))")
                continue
            }
            if code != ExitStatus.success { failed.append("worker \(local) failed (exit code \(code)); its lines above say why") }
            reports.append(report)
        }
        if codes.contains(ExitStatus.badInput) || reports.isEmpty {
            for message in failed { printError("ocpp-fleet: run failed: \(message)") }
            throw Exit(code: codes.contains(ExitStatus.badInput) ? ExitStatus.badInput : ExitStatus.failedRun)
        }
        var result = try merge(reports, shards: shards, shard: shard, backend: backend)
        result.warnings += result.unconnectedGroupWarnings()
        if let counted { conclude(&result, embeddedCSMS: counted, failed: &failed) }
        judgeThresholds(thresholds, &result, failed: &failed)
        try publish(result, csmsSent: counted?.callsSent ?? [:], failed: failed)
    }

    /// The workers' reports as one: merged exactly, checked against the workers' shards (local
    /// `i/N`), then marked with this process's own shard (nil for a whole fleet).
    private func merge(_ reports: [RunReport], shards: [Shard], shard: Shard?, backend: EmbeddedBackend?) throws -> RunReport {
        var merged: RunReport?
        var local: [Shard?] = []
        let warnings = Self.attributedWarnings(reports.map(\.warnings))
        for (index, var report) in reports.enumerated() {
            // Each worker ran against its own embedded CSMS port: one CSMS for the report.
            if let backend { report.csms = .init(url: backend.urls.joined(separator: ", "), embedded: true) }
            report.warnings = warnings[index]
            local.append(report.shard.flatMap { Self.localShard(of: $0, within: shard, workers: shards.count) })
            if merged == nil {
                merged = report
            } else {
                do {
                    try merged!.merge(report)
                } catch {
                    printError("ocpp-fleet: cannot merge the workers' reports: \(error)")
                    throw Exit(code: ExitStatus.failedRun)
                }
            }
        }
        var result = merged!  // runWorkers merges at least one report
        result.noteShardCoverage(local)
        result.measureUtilization(onOneMachineWith: System.coreCount)
        result.shard = shard
        return result
    }

    /// The workers' warnings (by worker index) as the merged report gives them: a warning every
    /// worker gave is the run's and is said once; the others say whose they are, since three
    /// workers' loop-lag warnings are three findings with three figures.
    static func attributedWarnings(_ warnings: [[String]]) -> [[String]] {
        let common = warnings.dropFirst().reduce(Set(warnings.first ?? [])) { $0.intersection($1) }
        return warnings.enumerated().map { index, own in
            own.map { common.contains($0) ? $0 : "worker \(index)/\(warnings.count): \($0)" }
        }
    }

    /// Worker `local` of this process's slice `within` (nil: the whole fleet) as a shard of the
    /// whole fleet: interleaved slices of interleaved slices are interleaved slices.
    static func globalShard(_ local: Shard, within parent: Shard?) -> Shard {
        guard let parent else { return local }
        return Shard(index: parent.index + parent.count * local.index, count: parent.count * local.count)!
    }

    /// The inverse of ``globalShard(_:within:)`` for a worker's report.
    static func localShard(of global: Shard, within parent: Shard?, workers: Int) -> Shard? {
        let parent = parent ?? .whole
        guard global.count == parent.count * workers, global.index % parent.count == parent.index else { return nil }
        return Shard(index: global.index / parent.count, count: workers)
    }

    static func workerReport(_ local: Shard, in directory: String) -> String {
        (directory as NSString).appendingPathComponent("worker-\(local.index)")
    }

    /// The command line of worker `local`: this run's options, resolved (the seed too, so every
    /// worker draws from the same fleet), its shard, its report directory and its CSMS.
    func workerArguments(_ local: Shard, within parent: Shard?, seed: UInt64, report: String,
                         csms embedded: (url: String, tls: String?)?, sources: SourceAddresses) -> [String] {
        var arguments = ["run", spec, "--worker", "--shard", Self.globalShard(local, within: parent).description,
                         "--report", report, "--format", "json", "--seed", String(seed),
                         "--on-exit", onExit.rawValue, "--log-level", logging.logLevel.rawValue]
        if let chargePoints { arguments += ["--charge-points", String(chargePoints)] }
        if let duration { arguments += ["--duration", duration] }
        if let timeScale { arguments += ["--time-scale", String(timeScale)] }
        if let maxFrameSize { arguments += ["--max-frame-size", maxFrameSize] }
        if let threads { arguments += ["--threads", String(threads)] }
        if let ocppVersion { arguments += ["--ocpp-version", ocppVersion.rawValue] }
        for threshold in thresholds { arguments += ["--threshold", threshold] }
        if quiet { arguments.append("--quiet") }
        if let embedded {
            arguments += ["--embedded-csms", embedded.url]
            if let tls = embedded.tls { arguments += ["--embedded-tls", tls] }
        } else if let csms {
            arguments += ["--csms", csms]
        }
        if !sources.addresses.isEmpty { arguments += ["--source-addresses", sources.description] }
        if let prometheus, let endpoint = MetricsEndpoint(prometheus) {
            // One port per worker: PORT, PORT+1, …; port 0 lets each pick (and print) its own.
            let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
            arguments += ["--prometheus", "\(host):\(endpoint.port == 0 ? 0 : endpoint.port + local.index)"]
        }
        return arguments
    }
}
