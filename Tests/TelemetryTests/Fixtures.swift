import Foundation
@testable import Telemetry

/// A seeded generator so "random" workloads are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One thing a loop can record, so the same stream can be replayed on one loop or split over several.
enum Event {
    case sent(String)
    case completed(String, Int64)
    case errored(String, String, Int64)
    case timedOut(String)
    case received(String)
    case answered(String)
    case answeredWithError(String, String)
    case transactionStarted, transactionStopped, bootAccepted
    case connectFailed(String)
    case lag(Int64)

    func apply(to telemetry: LoopTelemetry) {
        switch self {
        case let .sent(action): telemetry.callSent(action)
        case let .completed(action, micros): telemetry.callCompleted(action, latencyMicros: micros)
        case let .errored(action, code, micros): telemetry.callErrored(action, code: code, latencyMicros: micros)
        case let .timedOut(action): telemetry.callTimedOut(action)
        case let .received(action): telemetry.incomingReceived(action)
        case let .answered(action): telemetry.incomingAnswered(action)
        case let .answeredWithError(action, code): telemetry.incomingCallError(action, code: code)
        case .transactionStarted: telemetry.transactionStarted()
        case .transactionStopped: telemetry.transactionStopped()
        case .bootAccepted: telemetry.bootAccepted()
        case let .connectFailed(reason): telemetry.connectFailed(reason: reason)
        case let .lag(micros): telemetry.eventLoopLagSampled(micros: micros)
        }
    }

    /// A reproducible mix of every kind of event, latencies spread from 1 µs to over an hour.
    static func workload(count: Int, seed: UInt64) -> [Event] {
        var random = SplitMix64(state: seed)
        let actions = ["BootNotification", "Heartbeat", "MeterValues", "StartTransaction", "StopTransaction"]
        let incoming = ["RemoteStartTransaction", "Reset", "GetConfiguration"]
        let codes = ["InternalError", "NotImplemented", "FormationViolation"]
        return (0 ..< count).map { _ in
            let action = actions.randomElement(using: &random)!
            // Log-uniform latency: about as many values in each decade.
            let micros = Int64(exp(Double.random(in: 0 ... log(4_000_000_000.0), using: &random)))
            switch Int.random(in: 0 ..< 12, using: &random) {
            case 0, 1: return .sent(action)
            case 2, 3: return .completed(action, micros)
            case 4: return .errored(action, codes.randomElement(using: &random)!, micros)
            case 5: return .timedOut(action)
            case 6: return .received(incoming.randomElement(using: &random)!)
            case 7: return .answered(incoming.randomElement(using: &random)!)
            case 8: return .answeredWithError(incoming.randomElement(using: &random)!, codes.randomElement(using: &random)!)
            case 9: return Bool.random(using: &random) ? .transactionStarted : .transactionStopped
            case 10: return Bool.random(using: &random) ? .bootAccepted : .connectFailed("refused")
            default: return .lag(micros / 1000)
            }
        }
    }
}

extension LoopTelemetry {
    /// A loop that has recorded `events`.
    static func recording(_ events: some Sequence<Event>) -> LoopTelemetry {
        let telemetry = LoopTelemetry()
        for event in events { event.apply(to: telemetry) }
        return telemetry
    }
}

extension LatencyHistogram {
    /// A histogram holding `values` (µs).
    init(values: some Sequence<Int64>) {
        self.init()
        for value in values { record(micros: value) }
    }
}

extension RunMetadata {
    static let fixture = RunMetadata(
        tool: .init(version: "0.1.0"),
        seed: 42,
        startedAt: Date(timeIntervalSince1970: 1_750_000_000),
        durationSeconds: 60,
        csms: .init(url: "ws://127.0.0.1:9000/ocpp", embedded: true),
        configuredChargePoints: 100
    )
}

extension RunReport {
    /// The report of a one-process run of `RunMetadata.fixture` with what `telemetry` counted.
    static func fixture(_ telemetry: LoopTelemetry) -> RunReport {
        build(snapshot: telemetry.snapshot(), run: .fixture, peakConnected: 1,
              baseline: .baselineFixture, end: .endFixture, availableCores: 2)
    }
}

extension ProcessSample {
    static let baselineFixture = ProcessSample(cpuSeconds: 1.0, rssBytes: 50 * 1_048_576, peakRSSBytes: 50 * 1_048_576)
    static let endFixture = ProcessSample(cpuSeconds: 7.0, rssBytes: 60 * 1_048_576, peakRSSBytes: 60 * 1_048_576)
}

/// The value at a dotted key path in a `JSONSerialization` tree (`"client.cpuSeconds"`).
func jsonValue(at path: String, in root: Any) -> Any? {
    var node: Any? = root
    for key in path.split(separator: ".") {
        node = (node as? [String: Any])?[String(key)]
    }
    return node
}
