import Foundation
import Testing
@testable import Telemetry

@Suite("Snapshot merging")
struct SnapshotMergeTests {
    static let events = Event.workload(count: 6_000, seed: 2025)

    @Test("Merging two loops' snapshots equals one loop recording every event",
          arguments: [0, 1, 2_999, 5_999, 6_000])
    func mergeIsExact(split: Int) {
        var merged = LoopTelemetry.recording(Self.events[..<split]).snapshot()
        merged.merge(LoopTelemetry.recording(Self.events[split...]).snapshot())
        #expect(merged == LoopTelemetry.recording(Self.events).snapshot())
    }

    @Test("Merging is exact for percentiles, not just equality")
    func mergedPercentiles() throws {
        var merged = LoopTelemetry.recording(Self.events[..<2_000]).snapshot()
        merged.merge(LoopTelemetry.recording(Self.events[2_000...]).snapshot())
        let whole = LoopTelemetry.recording(Self.events).snapshot()
        for (action, stats) in whole.actions {
            let mergedLatency = try #require(merged.actions[action]?.latency)
            for percentile in [50.0, 90, 99, 99.9, 100] {
                #expect(mergedLatency.value(atPercentile: percentile) == stats.latency?.value(atPercentile: percentile))
            }
        }
    }

    @Test("Connection counts add up; merged peak is the sum of loop peaks (an upper bound)")
    func connections() {
        let first = LoopTelemetry()
        first.connected()
        first.disconnected()
        let second = LoopTelemetry()
        second.connected()
        second.disconnected()
        second.connected()
        var merged = first.snapshot()
        merged.merge(second.snapshot())
        #expect(merged.connectedNow == 1)
        #expect(merged.peakConnected == 2)  // concurrently, at most 1 was ever open on both loops
        #expect(merged.connectionsOpened == 3)
        #expect(merged.connectionsClosed == 2)
    }

    @Test("Merging keeps the bound on distinct connect-failure reasons")
    func boundedMerge() {
        let first = LoopTelemetry()
        let second = LoopTelemetry()
        for index in 0 ..< 32 { first.connectFailed(reason: "a\(index)") }
        for index in 0 ..< 5 { second.connectFailed(reason: "b\(index)") }
        var merged = first.snapshot()
        merged.merge(second.snapshot())
        #expect(merged.connectFailures.count == 33)
        #expect(merged.connectFailures["other"] == 5)
    }

    @Test("A snapshot survives a JSON round trip unchanged")
    func codable() throws {
        let snapshot = LoopTelemetry.recording(Self.events).snapshot()
        let data = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(TelemetrySnapshot.self, from: data) == snapshot)
    }

    @Test("Calls handled are CALLs sent plus CALLs received")
    func callsHandled() {
        let telemetry = LoopTelemetry()
        telemetry.callSent("Heartbeat")
        telemetry.callSent("Authorize")
        telemetry.incomingReceived("Reset")
        telemetry.incomingAnswered("Reset")
        #expect(telemetry.snapshot().callsHandled == 3)
    }
}
