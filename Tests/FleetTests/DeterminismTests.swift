import ChargePoint
import FleetSpec
import OCPP
import Telemetry
import Testing

@testable import Fleet

/// A fleet on a virtual clock, no sockets: its charge points dealt round-robin to `loops` event
/// loops as `FleetRunner` deals them, each loop running its own charge points in time order.
/// The loops run one after the other; what a charge point does must not depend on which loop
/// ran it or on what else that loop ran.
struct VirtualFleet {
    var chargePoints: [VirtualChargePoint]
    let starts: [Timestamp]

    /// The spec's fleet, or one shard of it (its charge points starting at their slots in the
    /// whole fleet's ramp, as `FleetRunner` starts them).
    init(spec: FleetSpec, seed: UInt64, shard: Shard = .whole) {
        let fleet = spec.chargePoints()
        let plans = shard.slice(fleet)
        let offsets = spec.ramp.startOffsets(of: plans, fleetSize: fleet.count, seed: seed)
        chargePoints = plans.map { VirtualChargePoint(plan: $0, behaviour: spec.behaviours[$0.behaviour] ?? .default, seed: seed) }
        starts = offsets.map { VirtualChargePoint.epoch + Interval(microseconds: FleetRunner.micros($0)) }
    }

    mutating func run(seconds: Int64, loops: Int) {
        let end = VirtualChargePoint.epoch + Interval(microseconds: seconds * 1_000_000)
        for loop in 0..<loops {
            let mine = Array(stride(from: loop, to: chargePoints.count, by: loops))
            var started = Set<Int>()
            while true {
                // The next thing due on this loop: a start, or a charge point's next event.
                var best: (time: Timestamp, index: Int)?
                for index in mine {
                    let due = started.contains(index) ? chargePoints[index].nextEvent : starts[index]
                    if let due, due <= end, best.map({ due < $0.time }) ?? true { best = (due, index) }
                }
                guard let (time, index) = best else { break }
                if started.insert(index).inserted {
                    chargePoints[index].start(at: time)
                } else {
                    chargePoints[index].step(at: time)
                }
            }
            for index in mine where started.contains(index) { chargePoints[index].finish(at: end) }
        }
    }

    /// FNV-1a over every charge point's inputs and frames, in charge point order.
    var digest: (inputs: UInt64, frames: UInt64) {
        (Self.fnv(chargePoints.map { $0.engine.inputs.joined(separator: "\n") }),
         Self.fnv(chargePoints.map { $0.frames.joined(separator: "\n") }))
    }

    static func fnv(_ texts: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for text in texts {
            for byte in text.utf8 + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        return hash
    }
}

/// Every behaviour at once, at rates that make each happen several times in a simulated hour.
let everythingSpec = """
    ramp: {poisson: 0.5}
    groups:
      - {name: ac, count: 12, idPattern: "AC-{index:02}", connectors: 2, behaviour: busy,
         initialMeterWh: {uniform: [0, 100000]}, serialPattern: "SN-{index}"}
      - {name: dc, count: 6, idPattern: "DC-{index:02}", behaviour: fast, startOffset: 5m,
         connectors: [{type: CCS2, maxPowerKW: 150}, {type: CHAdeMO, maxPowerKW: 50}]}
    behaviours:
      busy:
        arrival: {exponential: 5m}
        chargeDuration: {lognormal: {median: 20m, sigma: 0.5}}
        powerKW: {choice: [{value: 7.4, weight: 1}, {value: 11, weight: 2}]}
        energyKWh: {empirical: [[2, 0], [8, 0.5], [20, 1]]}
        powerCurve: {ramp: 20s, suspendShare: 0.3, suspendAfter: 2m, suspendDuration: {uniform: [30s, 90s]}}
        idTagPattern: "DRV-{index}"
        idTagPool: 40
        invalidShare: 0.1
        unknownShare: 0.1
        faults: {ratePerHour: 1, errorCode: {choice: [{value: GroundFailure, weight: 1}, {value: WeakSignal, weight: 1}]}, recovery: 3m}
        outages: {ratePerHour: 1, duration: {uniform: [30s, 2m]}}
        reboots: {ratePerHour: 0.5}
        dataTransfer: {ratePerHour: 6, messageId: Temperature}
      fast:
        arrival: {exponential: 4m}
        chargeDuration: {uniform: [10m, 30m]}
        powerKW: {uniform: [50, 250]}
        batteryKWh: 77
        energyKWh: {uniform: [15, 45]}
        powerCurve: {ramp: 30s, taperFromSoC: 70}
        remoteStartShare: 0.3
    """

@Suite("Determinism: the same spec and seed give the same inputs and frames")
struct DeterminismTests {
    func fleet(seed: UInt64, loops: Int) throws -> VirtualFleet {
        var fleet = VirtualFleet(spec: try FleetSpec.parse(yaml: everythingSpec, file: "everything.yaml"), seed: seed)
        fleet.run(seconds: 3600, loops: loops)
        return fleet
    }

    @Test("One loop or three, run twice: every charge point gets the same inputs and sends the same frames")
    func sameSeed() throws {
        let one = try fleet(seed: 2024, loops: 1)
        let three = try fleet(seed: 2024, loops: 3)
        let again = try fleet(seed: 2024, loops: 3)
        #expect(one.digest == three.digest)
        #expect(three.digest == again.digest)
        for (a, b) in zip(one.chargePoints, three.chargePoints) {
            #expect(a.engine.inputs == b.engine.inputs)
        }
        // Every kind of input happened, so the comparison covers them all.
        let inputs = one.chargePoints.flatMap(\.engine.inputs)
        for kind in ["plugIn", "presentIdTag", "unplug", "setEVSuspended", "setEVPower", "setFault", "powerCycle", "dataTransfer"] {
            #expect(inputs.contains { $0.contains(" \(kind) ") || $0.hasSuffix(" \(kind)") }, "no \(kind) input")
        }
        #expect(one.chargePoints.reduce(0) { $0 + $1.outages } > 5)
        #expect(one.chargePoints.reduce(0) { $0 + $1.started } > 50)
        #expect(one.chargePoints.allSatisfy { $0.csms.transactionsOpen.isEmpty && $0.started == $0.stopped })
    }

    @Test("Another seed gives other inputs, at every charge point")
    func otherSeed() throws {
        let first = try fleet(seed: 2024, loops: 2)
        let second = try fleet(seed: 2025, loops: 2)
        #expect(first.digest.inputs != second.digest.inputs)
        #expect(first.digest.frames != second.digest.frames)
        for (a, b) in zip(first.chargePoints, second.chargePoints) {
            #expect(a.engine.inputs != b.engine.inputs)
        }
    }

    @Test("A charge point's inputs do not depend on the size of the fleet around it")
    func fleetSize() throws {
        var small = VirtualFleet(spec: try FleetSpec.parse(yaml: everythingSpec, file: "small.yaml"), seed: 2024)
        let bigger = everythingSpec.replacingOccurrences(of: "count: 12,", with: "count: 30,")
        var large = VirtualFleet(spec: try FleetSpec.parse(yaml: bigger, file: "large.yaml"), seed: 2024)
        small.run(seconds: 3600, loops: 2)
        large.run(seconds: 3600, loops: 3)
        for index in 0..<12 {
            #expect(small.chargePoints[index].engine.inputs == large.chargePoints[index].engine.inputs)
            #expect(small.chargePoints[index].frames == large.chargePoints[index].frames)
        }
    }
}
