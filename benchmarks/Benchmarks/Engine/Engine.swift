import Benchmark
import BenchmarkSupport
import ChargePoint
import OCPP

// The sans-IO charge point engine on a virtual clock, answered by a minimal in-process
// CSMS: what one simulated charge point costs the load generator in CPU, allocations
// and memory, without sockets. CI gates allocation counts only.

/// A minimal CSMS: parses each CALL frame and answers it at once with a CALLRESULT whose
/// payload is encoded with the V16 response type, accepting everything. It does not
/// decode request payloads (`Frame.parse` has already parsed them to JSON).
struct Responder {
    var heartbeatInterval: Int
    var nextTransactionId = 1000
    /// The CALL frames answered, kept only when asked for (checks, the responder-only run).
    var recorded: [[UInt8]]?

    mutating func answer(_ frame: [UInt8], now: Timestamp) -> [UInt8] {
        guard case let .call(id, action, _)? = try? Frame.parse(frame), let known = V16.Action(rawValue: action) else {
            preconditionFailure("the engine wrote something other than a known CALL")
        }
        recorded?.append(frame)
        let accepted = V16.IdTagInfo(status: .accepted)
        let payload: [UInt8]
        switch known {
        case .bootNotification:
            payload = V16.BootNotificationResponse(status: .accepted, currentTime: now, interval: heartbeatInterval).encoded
        case .heartbeat:
            payload = V16.HeartbeatResponse(currentTime: now).encoded
        case .statusNotification:
            payload = V16.StatusNotificationResponse().encoded
        case .authorize:
            payload = V16.AuthorizeResponse(idTagInfo: accepted).encoded
        case .startTransaction:
            nextTransactionId += 1
            payload = V16.StartTransactionResponse(idTagInfo: accepted, transactionId: nextTransactionId).encoded
        case .stopTransaction:
            payload = V16.StopTransactionResponse(idTagInfo: accepted).encoded
        case .meterValues:
            payload = V16.MeterValuesResponse().encoded
        default:
            preconditionFailure("a Core charge point does not send \(action)")
        }
        return Frame.encodeCallResult(id: id, payload: payload)
    }
}

/// The shell around one engine: applies an input, then feeds every CALL the engine writes
/// to the responder and the answer back to the engine, with zero latency.
struct Shell {
    static let identity = ChargePointIdentity(id: "CP-0001", vendor: "ocpp-fleet", model: "Sim-22",
                                              firmwareVersion: "1.2.3", serialNumber: "SN-0001", connectors: 1)
    static let start = Timestamp(seconds: 1_780_000_000)
    static let ev = EVProfile(maxPowerW: 11_000)

    var engine: ChargePointV16
    var responder: Responder
    var now = Shell.start
    var out: [EngineOutput] = []
    /// CALLs the engine sent and the responder answered.
    var calls = 0

    init(heartbeatInterval: Int, record: Bool = false) {
        engine = ChargePointV16(identity: Shell.identity)
        responder = Responder(heartbeatInterval: heartbeatInterval, recorded: record ? [] : nil)
    }

    mutating func input(_ body: (inout ChargePointV16, Timestamp, inout [EngineOutput]) -> Void) {
        body(&engine, now, &out)
        var index = 0
        while index < out.count {
            if case .send(let frame) = out[index] {
                let answer = responder.answer(frame, now: now)
                calls += 1
                engine.received(answer, now: now, into: &out)
            }
            index += 1
        }
        out.removeAll(keepingCapacity: true)
    }

    /// Moves the virtual clock to the engine's next wakeup and ticks it.
    mutating func wakeUp() {
        guard let due = engine.nextWakeup else { preconditionFailure("the engine has nothing to wake up for") }
        if due > now { now = due }
        input { $0.tick(now: $1, into: &$2) }
    }

    /// Connected, BootNotification accepted, the StatusNotifications of connectors 0 and 1 answered.
    static func booted(heartbeatInterval: Int, record: Bool = false) -> Shell {
        var shell = Shell(heartbeatInterval: heartbeatInterval, record: record)
        shell.input { $0.connected(now: $1, into: &$2) }
        return shell
    }

    /// One charge point's whole session: boot, plug in, Authorize, StartTransaction,
    /// 10 MeterValues (MeterValueSampleInterval 60 s of virtual time), the same card
    /// stops it (StopTransaction), unplug. Heartbeats are an hour apart, so none fall in it.
    static func session(record: Bool = false) -> Shell {
        var shell = booted(heartbeatInterval: 3600, record: record)
        shell.input { $0.plugIn(connector: 1, ev: Shell.ev, now: $1, into: &$2) }
        shell.input { $0.presentIdTag("TAG-0001", connector: 1, now: $1, into: &$2) }
        for _ in 0..<10 { shell.wakeUp() }
        shell.input { $0.presentIdTag("TAG-0001", connector: 1, now: $1, into: &$2) }
        shell.input { $0.unplug(connector: 1, now: $1, into: &$2) }
        return shell
    }
}

/// The CALLs of one session, checked once at start-up so that a change in the engine
/// cannot quietly turn the session benchmark into a different workload.
private let sessionFrames: [[UInt8]] = {
    let shell = Shell.session(record: true)
    let frames = shell.responder.recorded ?? []
    let actions = frames.map { frame -> String in
        guard case let .call(_, action, _)? = try? Frame.parse(frame) else { return "?" }
        return action
    }
    let expected = ["BootNotification", "StatusNotification", "StatusNotification",  // connectors 0 and 1 Available
                    "StatusNotification", "Authorize", "StartTransaction", "StatusNotification"]  // Preparing, Charging
        + Array(repeating: "MeterValues", count: 10)
        + ["StopTransaction", "StatusNotification", "StatusNotification"]  // Finishing, Available
    precondition(actions == expected, "the session's CALLs changed: \(actions)")
    precondition(!shell.engine.hasTransaction(connector: 1) && shell.engine.status(ofConnector: 1) == .available)
    return frames
}()

private enum MemoryMetrics {
    static var size: BenchmarkMetric { .custom("MemoryLayout<ChargePointV16>.size (B)", polarity: .prefersSmaller, useScalingFactor: false) }
    static var stride: BenchmarkMetric { .custom("MemoryLayout<ChargePointV16>.stride (B)", polarity: .prefersSmaller, useScalingFactor: false) }
}

let benchmarks: @Sendable () -> Void = {
    precondition(sessionFrames.count == 20)

    Benchmark("Session.bootToUnplug",
              configuration: .init(metrics: Metrics.standard, scalingFactor: .one, maxDuration: .seconds(3),
                                   thresholds: Metrics.gated)) { benchmark in
        benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations {
                blackHole(Shell.session().calls)
            }
        }
    }

    // The responder's part of the session above (parse 20 CALLs, encode 20 answers):
    // subtract it to see the engine's own cost.
    Benchmark("Session.responderShare",
              configuration: .init(metrics: Metrics.standard, scalingFactor: .one, maxDuration: .seconds(3),
                                   thresholds: Metrics.gated)) { benchmark in
        benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations {
                var responder = Responder(heartbeatInterval: 3600)
                for frame in sessionFrames { blackHole(responder.answer(frame, now: Shell.start)) }
            }
        }
    }

    Benchmark("Heartbeat.tickAndAnswer",
              configuration: .init(metrics: Metrics.standard, scalingFactor: .kilo, maxDuration: .seconds(3),
                                   thresholds: Metrics.gated)) { benchmark in
        var shell = Shell.booted(heartbeatInterval: 300)
        let before = shell.calls
        benchmark.startMeasurement()
        benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations { shell.wakeUp() }
        }
        benchmark.stopMeasurement()
        precondition(shell.calls - before == benchmark.scaledIterations.count, "a wakeup was not one heartbeat")
    }

    // 1,000 booted engines kept alive: what stays on the heap per charge point once it is
    // up (the figures are per engine: the harness divides by the scaling factor).
    // memoryLeakedBytes = bytes requested and not freed; mallocFreeDelta = live allocations.
    Benchmark("Memory.bootedEngine",
              configuration: .init(metrics: [.mallocCountTotal, .mallocFreeDelta, .memoryLeakedBytes,
                                             HeapInUse.metric, MemoryMetrics.size, MemoryMetrics.stride,
                                             Metrics.threadCPU, .wallClock],
                                   scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 100,
                                   thresholds: Metrics.gated)) { benchmark in
        var engines: [ChargePointV16] = []
        engines.reserveCapacity(benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        let heap = HeapInUse()
        benchmark.measuringThreadCPU {
            for _ in benchmark.scaledIterations {
                engines.append(Shell.booted(heartbeatInterval: 300).engine)
            }
        }
        let kept = heap.bytesKept()
        benchmark.stopMeasurement()
        if let kept { benchmark.measurement(HeapInUse.metric, kept) }
        benchmark.measurement(MemoryMetrics.size, MemoryLayout<ChargePointV16>.size)
        benchmark.measurement(MemoryMetrics.stride, MemoryLayout<ChargePointV16>.stride)
        precondition(engines.allSatisfy(\.isAccepted))
        blackHole(engines)
    }
}
