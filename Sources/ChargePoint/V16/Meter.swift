import OCPP

/// The simulated energy meter of one connector: a monotone Wh register integrated from
/// the power the EV draws, and the samples OCPP asks for.
struct Meter: Sendable, Equatable {
    /// Measurands this simulator can produce; a *Data key naming another one is rejected.
    static let simulated: [V16.Measurand] = [
        .energyActiveImportRegister, .powerActiveImport, .currentImport, .voltage,
        .soC, .currentOffered, .powerOffered, .temperature, .frequency,
    ]
    static let nominalVoltage = 230.0
    static let phases = 3.0
    /// The connector's rating, offered to the EV (22 kW, 3 × 32 A).
    static let offeredCurrentA = 32.0

    /// Energy in W·µs that makes one Wh.
    private static let wattMicrosecondsPerWh: Int64 = 3_600_000_000
    /// The most power a connector draws, so that integration cannot overflow.
    static let maximumPowerW = 10_000_000.0

    /// The register in whole Wh, integrated exactly in integers (1 h at 11 kW is 11000 Wh,
    /// not 10999 after thirty Double additions).
    private(set) var registerWh: Int
    /// Energy beyond `registerWh`, in W·µs (less than one Wh).
    private var fractionWµs: Int64
    /// Power the EV draws now, in W (0 when suspended or idle).
    private(set) var powerW: Double = 0
    private var lastUpdate: Timestamp?

    init(energyWh: Double) {
        let whole = max(0, energyWh).rounded(.down)
        registerWh = Int(whole)
        fractionWµs = Int64((max(0, energyWh) - whole) * Double(Self.wattMicrosecondsPerWh))
    }

    var energyWh: Double { Double(registerWh) + Double(fractionWµs) / Double(Self.wattMicrosecondsPerWh) }

    /// Integrates energy up to `now`. Call before every reading and every power change.
    mutating func advance(to now: Timestamp) {
        if let lastUpdate, now > lastUpdate {
            let watts = Int64(powerW.rounded())
            let elapsed = now.microseconds - lastUpdate.microseconds
            // Whole hours first, so that watts × µs stays far from Int64's limit.
            registerWh += Int(watts * (elapsed / Self.wattMicrosecondsPerWh))
            let total = fractionWµs + watts * (elapsed % Self.wattMicrosecondsPerWh)
            registerWh += Int(total / Self.wattMicrosecondsPerWh)
            fractionWµs = total % Self.wattMicrosecondsPerWh
        }
        lastUpdate = now
    }

    mutating func setPower(_ watts: Double, now: Timestamp) {
        advance(to: now)
        powerW = min(max(0, watts), Self.maximumPowerW)
    }

    /// One MeterValue with a sampled value per measurand in `set`.
    func sample(_ set: MeasurandSet, context: V16.ReadingContext, now: Timestamp,
                session: (ev: EVProfile, startWh: Double)?) -> V16.MeterValue {
        var values: [V16.SampledValue] = []
        values.reserveCapacity(set.count)
        let contextField: V16.ReadingContext? = context == .samplePeriodic ? nil : context
        for measurand in set {
            let reading: (String, V16.UnitOfMeasure)
            switch measurand {
            case .energyActiveImportRegister: reading = (String(registerWh), .wh)
            case .powerActiveImport: reading = (String(Int(powerW)), .w)
            case .currentImport: reading = (Self.decimal(powerW / (Self.nominalVoltage * Self.phases)), .a)
            case .voltage: reading = ("230", .v)
            case .currentOffered: reading = (String(Int(Self.offeredCurrentA)), .a)
            case .powerOffered: reading = (String(Int(Self.offeredCurrentA * Self.nominalVoltage * Self.phases)), .w)
            case .temperature: reading = ("25", .celsius)
            case .frequency: reading = ("50", .hertz)
            case .soC:
                guard let session else { continue }
                reading = (String(Int(Self.stateOfCharge(session, energyWh: energyWh))), .percent)
            case .energyActiveExportRegister, .energyReactiveExportRegister, .energyReactiveImportRegister,
                 .energyActiveExportInterval, .energyActiveImportInterval, .energyReactiveExportInterval,
                 .energyReactiveImportInterval, .powerActiveExport, .powerReactiveExport, .powerReactiveImport,
                 .powerFactor, .currentExport, .rpm:
                continue  // not simulated: `MeasurandSet(csl:)` refuses them
            }
            values.append(V16.SampledValue(value: reading.0, context: contextField, measurand: measurand,
                                           location: measurand == .soC ? .ev : nil, unit: reading.1))
        }
        if values.isEmpty {
            values.append(V16.SampledValue(value: String(registerWh), context: contextField,
                                           measurand: .energyActiveImportRegister, unit: .wh))
        }
        return V16.MeterValue(timestamp: now, sampledValue: values)
    }

    static func stateOfCharge(_ session: (ev: EVProfile, startWh: Double), energyWh: Double) -> Double {
        guard session.ev.batteryWh > 0 else { return 100 }
        return min(100, session.ev.initialSoC + (energyWh - session.startWh) / session.ev.batteryWh * 100)
    }

    private static func decimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension Meter {
    /// When the register reaches `targetWh` at the present power (rounded up to the
    /// microsecond, so the register has reached it then); nil when it never will.
    func time(toReach targetWh: Int) -> Timestamp? {
        guard let lastUpdate else { return nil }
        let remainingWh = targetWh - registerWh
        if remainingWh <= 0 { return lastUpdate }
        let watts = Int64(powerW.rounded())
        guard watts > 0 else { return nil }
        // Beyond 10^9 Wh the product would overflow; waking early is harmless, the tick re-checks.
        let remaining = Int64(min(remainingWh, 1_000_000_000)) * Self.wattMicrosecondsPerWh - fractionWµs
        return Timestamp(microseconds: lastUpdate.microseconds + (remaining + watts - 1) / watts)
    }
}
