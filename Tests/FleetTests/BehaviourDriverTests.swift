import ChargePoint
import FleetSpec
import OCPP
import Testing

@testable import Fleet

/// The payloads of the CALLs of `action` among the frames a charge point sent, in order.
func calls(_ frames: [String], _ action: V16.Action) -> [JSONValue] {
    frames.compactMap { frame in
        guard case let .call(_, name, payload) = try? Frame.parse(Array(frame.utf8)), name == action.rawValue else { return nil }
        return payload
    }
}

func integer(_ value: JSONValue?) -> Int64? {
    if case .integer(let number) = value { return number }
    return nil
}

func text(_ value: JSONValue?) -> String? {
    if case .string(let string) = value { return string }
    return nil
}

/// Wh delivered by each session of a one-connector charge point, from its Start and Stop frames.
func sessionEnergies(_ frames: [String]) -> [Int64] {
    let starts = calls(frames, .startTransaction).compactMap { integer($0["meterStart"]) }
    let stops = calls(frames, .stopTransaction).compactMap { integer($0["meterStop"]) }
    return zip(starts, stops).map { $1 - $0 }
}

/// A profile whose sessions repeat on a fixed rhythm: arrival 60 s, tag after 5 s, unplug after 10 s.
func steady(chargeDuration: Distribution = .constant(3600), powerKW: Distribution = .constant(11)) -> BehaviourSpec {
    BehaviourSpec(arrival: .constant(60), plugToAuthorize: .constant(5), chargeDuration: chargeDuration,
                  unplugDelay: .constant(10), powerKW: powerKW)
}

@Suite("Behaviour profiles driving the engine on a virtual clock")
struct BehaviourDriverTests {
    @Test("A session ends once its energy demand is delivered, before its charge duration")
    func energyDemand() {
        var behaviour = steady(chargeDuration: .constant(36_000))
        behaviour.energyKWh = .constant(5)
        behaviour.batteryKWh = .constant(200)
        var chargePoint = VirtualChargePoint(seed: 1, behaviour: behaviour, connectors: 1)
        chargePoint.run(for: 4 * 3600)
        let energies = sessionEnergies(chargePoint.frames)
        // 5 kWh at 11 kW is 27 min 16 s; with the cycle's 75 s, four sessions fit into four hours.
        #expect(energies.count >= 4)
        // The last one is cut short by the end of the run.
        #expect(energies.dropLast().allSatisfy { (4998...5004).contains($0) }, "\(energies)")
        let reasons = calls(chargePoint.frames, .stopTransaction).dropLast().map { text($0["reason"]) }
        #expect(reasons.allSatisfy { $0 == nil || $0 == "Local" }, "the driver stops with the card: \(reasons)")
    }

    @Test("A connector's rating caps the EV: 150 kW wanted, 22.08 kW delivered")
    func connectorCap() {
        var behaviour = steady(powerKW: .constant(150))
        behaviour.batteryKWh = .constant(1000)
        var chargePoint = VirtualChargePoint(seed: 2, behaviour: behaviour, connectors: 1)
        chargePoint.run(for: 3600 + 65)
        #expect(sessionEnergies(chargePoint.frames).first.map { (22_070...22_090).contains($0) } == true,
                "\(sessionEnergies(chargePoint.frames))")
    }

    @Test("A ramp delivers as much as a straight line from 0 to full power")
    func ramp() {
        var behaviour = steady(chargeDuration: .constant(100), powerKW: .constant(20))
        behaviour.powerCurve.ramp = .constant(40)
        var chargePoint = VirtualChargePoint(seed: 3, behaviour: behaviour, connectors: 1)
        chargePoint.run(for: 300)
        // 20 kW for 60 s plus half of it for 40 s: 80 s at 20 kW = 444.4 Wh.
        #expect(sessionEnergies(chargePoint.frames).first.map { (443...445).contains($0) } == true,
                "\(sessionEnergies(chargePoint.frames))")
        let powers = chargePoint.engine.inputs.filter { $0.contains("setEVPower") }.prefix(4).map { $0.split(separator: " ").last! }
        #expect(powers == ["7500.0", "12500.0", "17500.0", "20000.0"])
        #expect(chargePoint.engine.inputs.first { $0.contains("plugIn") }?.contains(" 2500.0 ") == true)
    }

    @Test("Past the taper's state of charge the power falls, so a full battery takes longer")
    func taper() {
        var flat = steady(chargeDuration: .constant(2400), powerKW: .constant(50))
        flat.batteryKWh = .constant(50)
        flat.initialSoC = .constant(50)
        var tapered = flat
        tapered.powerCurve.taperFromSoC = 80
        let dc = [ConnectorSpec.resolved(type: .ccs2, maxPowerKW: 50)]
        var a = VirtualChargePoint(seed: 4, behaviour: flat, connectorSpecs: dc)
        var b = VirtualChargePoint(seed: 4, behaviour: tapered, connectorSpecs: dc)
        a.run(for: 3600)
        b.run(for: 3600)
        // Flat: 25 kWh fill the battery in 30 min, then the EV is full. Tapered: 15 kWh to 80% in
        // 18 min, then the last 20% approached exponentially (time constant 12 min): after the
        // session's 40 min about 23.4 kWh, a little more since the power falls in steps.
        let full = sessionEnergies(a.frames).first ?? 0
        let less = sessionEnergies(b.frames).first ?? 0
        #expect((24_990...25_010).contains(full), "\(full)")
        #expect((22_500..<24_500).contains(less), "\(less)")
        let watts = b.engine.inputs.filter { $0.contains("setEVPower") }.compactMap { Double($0.split(separator: " ").last!) }
        #expect(watts.count > 5)
        #expect(zip(watts, watts.dropFirst()).allSatisfy { $0 > $1 }, "the power only falls: \(watts)")
    }

    @Test("An EV that pauses reports SuspendedEV, then Charging again")
    func pause() {
        var behaviour = steady(chargeDuration: .constant(600))
        behaviour.powerCurve.suspendShare = 1
        behaviour.powerCurve.suspendAfter = .constant(60)
        behaviour.powerCurve.suspendDuration = .constant(120)
        var chargePoint = VirtualChargePoint(seed: 5, behaviour: behaviour, connectors: 1)
        chargePoint.run(for: 800)
        let statuses = calls(chargePoint.frames, .statusNotification).compactMap { text($0["status"]) }
        let charging = statuses.firstIndex(of: "Charging") ?? statuses.endIndex
        #expect(Array(statuses[charging...].prefix(3)) == ["Charging", "SuspendedEV", "Charging"], "\(statuses)")
        // 11 kW for 600 s less the 120 s pause: 1467 Wh.
        #expect(sessionEnergies(chargePoint.frames).first.map { (1465...1468).contains($0) } == true)
    }

    @Test("Refused and unknown cards use the embedded CSMS's prefixes and never start a transaction")
    func refusedTags() {
        var behaviour = steady()
        behaviour.invalidShare = 0.5
        behaviour.unknownShare = 0.5
        var chargePoint = VirtualChargePoint(seed: 6, behaviour: behaviour)
        chargePoint.run(for: 2 * 3600)
        let tags = calls(chargePoint.frames, .authorize).compactMap { text($0["idTag"]) }
        #expect(tags.count > 50)
        #expect(tags.allSatisfy { $0 == "BLOCKED-1" || $0 == "EXPIRED-1" || ($0.hasPrefix("INVALID-") && $0.count == 16) })
        #expect(Set(tags).count > 10, "unknown cards are random")
        #expect(tags.contains("BLOCKED-1") && tags.contains("EXPIRED-1"))
        #expect(chargePoint.started == 0)
    }

    @Test("Sessions take a tag from the pool, a valid one, or an app start, in the configured shares")
    func shares() {
        var behaviour = steady(chargeDuration: .constant(60))
        behaviour.idTags = .pool(pattern: "D-{index}", size: 3)
        behaviour.invalidShare = 0.25
        var chargePoint = VirtualChargePoint(seed: 7, behaviour: behaviour)
        chargePoint.run(for: 12 * 3600)
        let tags = calls(chargePoint.frames, .authorize).compactMap { text($0["idTag"]) }
        let valid = tags.filter { $0.hasPrefix("D-") }
        #expect(Set(valid) == ["D-1", "D-2", "D-3"])
        let refused = Double(tags.count - valid.count) / Double(tags.count)
        #expect(abs(refused - 0.25) < 0.06, "\(refused) of \(tags.count)")
    }

    @Test("Faults report the configured error codes, stop the running session and clear after recovery")
    func faults() {
        var behaviour = steady(chargeDuration: .constant(1800))
        behaviour.faults = FaultProfile(
            ratePerHour: 2,
            errorCode: WeightedChoice([.init(value: "GroundFailure", weight: 3), .init(value: "HighTemperature", weight: 1)]),
            recovery: .constant(300))
        var chargePoint = VirtualChargePoint(seed: 8, behaviour: behaviour)
        chargePoint.run(for: 24 * 3600)
        let statuses = calls(chargePoint.frames, .statusNotification)
        let faulted = statuses.filter { text($0["status"]) == "Faulted" }
        #expect((25...75).contains(faulted.count), "about 48 faults in a day: \(faulted.count)")
        let codes = faulted.compactMap { text($0["errorCode"]) }
        #expect(Set(codes) == ["GroundFailure", "HighTemperature"])
        #expect(codes.filter { $0 == "GroundFailure" }.count > codes.count / 2)
        let cleared = chargePoint.engine.inputs.filter { $0.hasSuffix(" -") && $0.contains("setFault") }
        #expect(cleared.count >= faulted.count - 1)
        let reasons = calls(chargePoint.frames, .stopTransaction).compactMap { text($0["reason"]) }
        #expect(reasons.contains("Other"), "a fault stops the session on its connector")
        #expect(chargePoint.started == chargePoint.stopped)
        #expect(chargePoint.csms.transactionsOpen.isEmpty)
    }

    @Test("Reboots stop sessions with PowerLoss, boot again and lose no transaction message")
    func reboots() {
        var behaviour = steady(chargeDuration: .constant(1200))
        behaviour.reboots = RebootProfile(ratePerHour: 1)
        var chargePoint = VirtualChargePoint(seed: 9, behaviour: behaviour)
        chargePoint.run(for: 12 * 3600)
        #expect(chargePoint.reboots > 4)
        #expect(calls(chargePoint.frames, .bootNotification).count == chargePoint.reboots + 1)
        #expect(calls(chargePoint.frames, .stopTransaction).contains { text($0["reason"]) == "PowerLoss" })
        #expect(calls(chargePoint.frames, .bootNotification).allSatisfy { text($0["chargePointSerialNumber"]) == "SIM-1" })
        #expect(chargePoint.started == chargePoint.stopped)
        #expect(chargePoint.csms.transactionsOpen.isEmpty)
    }

    @Test("Outages take the charge point offline for their duration; its transactions still complete")
    func outages() {
        var behaviour = steady(chargeDuration: .constant(900))
        behaviour.outages = OutageProfile(ratePerHour: 3, duration: .constant(240))
        var chargePoint = VirtualChargePoint(seed: 10, behaviour: behaviour)
        chargePoint.run(for: 12 * 3600)
        #expect(chargePoint.outages > 15)
        // No boot after an outage: the connection came back, the power never went.
        #expect(calls(chargePoint.frames, .bootNotification).count == 1)
        #expect(chargePoint.started > 20)
        #expect(chargePoint.started == chargePoint.stopped)
        #expect(chargePoint.csms.transactionsOpen.isEmpty)
    }

    @Test("DataTransfer calls go out at their rate with the profile's vendor, message and data")
    func dataTransfer() {
        var behaviour = steady()
        behaviour.dataTransfer = DataTransferProfile(ratePerHour: 30, vendorId: "ocpp-fleet", messageId: "Temp", data: "21")
        var chargePoint = VirtualChargePoint(seed: 11, behaviour: behaviour)
        chargePoint.run(for: 4 * 3600)
        let transfers = calls(chargePoint.frames, .dataTransfer)
        #expect((80...160).contains(transfers.count), "about 120: \(transfers.count)")
        #expect(transfers.allSatisfy {
            text($0["vendorId"]) == "ocpp-fleet" && text($0["messageId"]) == "Temp" && text($0["data"]) == "21"
        })
    }

    @Test("The initial meter register comes from the group's distribution, once per charge point")
    func initialMeter() {
        let plan = ChargePointPlan(index: 3, id: "CP-3", group: 0, vendor: "v", model: "m", firmwareVersion: nil,
                                   connectors: 1, behaviour: "b", config: [], serialNumber: "SN-3",
                                   initialMeterWh: .uniform(lower: 1_000_000, upper: 2_000_000))
        var chargePoint = VirtualChargePoint(plan: plan, behaviour: steady(), seed: 12)
        chargePoint.run(for: 600)
        let start = calls(chargePoint.frames, .startTransaction).first.flatMap { integer($0["meterStart"]) }
        #expect(start.map { (1_000_000..<2_000_000).contains($0) } == true)
        #expect(calls(chargePoint.frames, .bootNotification).first.flatMap { text($0["chargePointSerialNumber"]) } == "SN-3")
        var again = VirtualChargePoint(plan: plan, behaviour: steady(), seed: 12)
        again.run(for: 600)
        #expect(calls(again.frames, .startTransaction).first.flatMap { integer($0["meterStart"]) } == start)
    }
}
