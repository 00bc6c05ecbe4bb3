import ChargePoint
import FleetSpec
import OCPP
import Telemetry
import Testing

@testable import Fleet

/// A fleet split into shards is the same fleet: every charge point in exactly one shard, doing
/// what it does in the whole run, and the shards' reports merge into the whole run's report.
@Suite("Shards: a fleet split over processes")
struct ShardTests {
    @Test("Every charge point is in exactly one shard, and every group is spread evenly",
          arguments: [1, 2, 3, 7, 40])
    func disjointAndComplete(count: Int) throws {
        let spec = try FleetSpec.parse(yaml: everythingSpec, file: "everything.yaml")
        let fleet = spec.chargePoints(overrideTotal: 37)
        let shards = (0..<count).map { Shard(index: $0, count: count)! }
        let ids = shards.flatMap { $0.slice(fleet).map(\.id) }
        #expect(ids.sorted() == fleet.map(\.id).sorted(), "each id once, none missing")
        for shard in shards {
            #expect(shard.slice(fleet).count == shard.size(of: fleet.count))
            // Interleaved slicing: a group's charge points differ by at most one between shards.
            for group in spec.groups.indices {
                let sizes = shards.map { $0.slice(fleet).filter { $0.group == group }.count }
                #expect(sizes.max()! - sizes.min()! <= 1, "group \(group): \(sizes)")
            }
        }
    }

    @Test("A charge point starts at its slot of the whole fleet's ramp, whichever shard runs it")
    func globalRamp() throws {
        let spec = try FleetSpec.parse(yaml: everythingSpec, file: "everything.yaml")
        let fleet = spec.chargePoints()
        let whole = spec.ramp.startOffsets(of: fleet, fleetSize: fleet.count, seed: 9)
        for index in 0..<3 {
            let shard = Shard(index: index, count: 3)!
            let offsets = spec.ramp.startOffsets(of: shard.slice(fleet), fleetSize: fleet.count, seed: 9)
            #expect(offsets == shard.slice(whole))
        }
        // The DC group's startOffset (5 min) is on top of its ramp slot.
        #expect(whole[12] >= .seconds(300))
    }

    /// The fleet (or one shard) on the virtual clock with answers 0.2 to 40 ms after their CALL,
    /// recorded into one `LoopTelemetry` and built into a report as `ocpp-fleet run` builds it.
    static func report(shard: Shard?, seconds: Int64 = 3600) throws -> (RunReport, [String: [String]]) {
        let spec = try FleetSpec.parse(yaml: everythingSpec, file: "everything.yaml")
        var fleet = VirtualFleet(spec: spec, seed: 2024, shard: shard ?? .whole)
        let telemetry = LoopTelemetry(groups: spec.groups.count)
        for index in fleet.chargePoints.indices {
            let salt = fleet.chargePoints[index].engine.identity.id.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
            fleet.chargePoints[index].telemetry = telemetry
            fleet.chargePoints[index].answerDelay = { answers in
                // A per-charge-point, per-answer latency: the same in any shard.
                var random = SplitMix64.stream(seed: salt, index: UInt64(answers))
                return Interval(microseconds: 200 + Int64(random.next() % 39_800))
            }
        }
        fleet.run(seconds: seconds, loops: 2)
        let sample = ProcessSample(cpuSeconds: 0, rssBytes: 0, peakRSSBytes: nil)
        let report = RunReport.build(
            snapshot: telemetry.snapshot(),
            run: RunMetadata(tool: .init(version: "test"), seed: 2024, startedAt: .init(timeIntervalSince1970: 1_790_000_000),
                             durationSeconds: Double(seconds), csms: .init(url: "virtual", embedded: false),
                             configuredChargePoints: fleet.chargePoints.count, spec: "everything.yaml", shard: shard),
            peakConnected: telemetry.snapshot().peakConnected, baseline: sample, end: sample, availableCores: nil)
        var traffic: [String: [String]] = [:]
        for chargePoint in fleet.chargePoints {
            traffic[chargePoint.engine.identity.id] = chargePoint.engine.inputs + chargePoint.frames
        }
        return (report, traffic)
    }

    @Test("Three shards on the virtual clock merge into the whole run: same counts, histograms merged exactly")
    func mergeEqualsWhole() throws {
        let (whole, wholeTraffic) = try Self.report(shard: nil)
        var shards: [RunReport] = []
        var shardTraffic: [String: [String]] = [:]
        for index in 0..<3 {
            let (report, traffic) = try Self.report(shard: Shard(index: index, count: 3)!)
            #expect(report.shard == Shard(index: index, count: 3))
            #expect(report.chargePoints.configured == 6)
            shards.append(report)
            shardTraffic.merge(traffic) { _, _ in
                Issue.record("a charge point ran in two shards")
                return []
            }
        }
        // Each charge point got the same inputs and exchanged the same frames as in the whole run.
        #expect(shardTraffic == wholeTraffic)

        let merged = try RunReport.merged(shards)
        #expect(merged.shard == nil)
        #expect(merged.warnings.isEmpty, "\(merged.warnings)")
        #expect(merged.chargePoints.configured == whole.chargePoints.configured)
        #expect(merged.chargePoints.bootAccepted == whole.chargePoints.bootAccepted)
        #expect(merged.chargePoints.connectionsOpened == whole.chargePoints.connectionsOpened)
        #expect(merged.chargePoints.connectionsClosed == whole.chargePoints.connectionsClosed)
        #expect(merged.transactions == whole.transactions)
        #expect(merged.client.callsHandled == whole.client.callsHandled)
        // Counts, latency summaries and the encoded histograms themselves, action by action.
        #expect(merged.actions == whole.actions)
        let heartbeat = try #require(whole.actions["Heartbeat"])
        #expect(heartbeat.sent > 500)
        #expect((heartbeat.latencyMicros?.max ?? 0) > 30_000, "latencies spread over the virtual network's range")
        #expect(whole.transactions.started > 50)
    }

    @Test("Merging warns when a shard is missing or merged twice")
    func coverageWarnings() throws {
        let shards = try (0..<3).map { try Self.report(shard: Shard(index: $0, count: 3)!, seconds: 600).0 }
        let missing = try RunReport.merged([shards[0], shards[2]])
        #expect(missing.warnings.contains("shard 1/3 missing: the merged report covers 2 of 3 shards"))
        let twice = try RunReport.merged([shards[0], shards[1], shards[1], shards[2]])
        #expect(twice.warnings.contains("shard 1/3 merged 2 times: its charge points are counted 2 times"))
        #expect(twice.chargePoints.configured == 24, "merged anyway: the warning says what is wrong")
    }
}
