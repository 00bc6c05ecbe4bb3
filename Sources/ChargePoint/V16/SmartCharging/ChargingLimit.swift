import OCPP

/// The units a charging schedule may use: ChargingScheduleAllowedChargingRateUnit (OCPP 1.6
/// §9.4.2), a property of the charge point model that the Central System can only read.
public struct ChargingRateUnits: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Amperes ("Current").
    public static let current = ChargingRateUnits(rawValue: 1)
    /// Watts ("Power").
    public static let power = ChargingRateUnits(rawValue: 2)

    public func allows(_ unit: V16.ChargingRateUnitType) -> Bool {
        switch unit {
        case .a: contains(.current)
        case .w: contains(.power)
        }
    }

    /// The configuration key's value: "Current", "Power" or "Current,Power".
    var csl: String {
        [contains(.current) ? "Current" : nil, contains(.power) ? "Power" : nil].compactMap { $0 }.joined(separator: ",")
    }
}

/// A limit in force at one instant, kept in watts with the number of phases it was given
/// for, so that limits in A and in W compare.
///
/// Conversion (documented in docs/conformance/smart-charging.md): a limit in amperes is a
/// current per phase, so W = A × 230 V × phases, with phases = the period's `numberPhases`
/// (3 when absent, OCPP 1.6 §7.14) capped at the connector's 3 phases; back to amperes,
/// A = W / (230 V × phases). Values written on the wire are rounded down to 0.1, as the
/// schema requires, so a reported limit never exceeds the one in force.
struct ChargingLimit: Sendable, Equatable {
    var watts: Double
    var phases: Int
    /// The schedule's minChargingRate in watts, 0 when absent: below it the EV cannot charge.
    var minimumWatts: Double = 0

    static let voltage = Meter.nominalVoltage
    static let connectorPhases = Int(Meter.phases)
    /// Reported where no profile limits a connector: its rating (32 A on 3 phases).
    static let rating = ChargingLimit(watts: Meter.offeredCurrentA * voltage * Meter.phases, phases: connectorPhases)

    /// A schedule value in `unit` as watts.
    static func watts(_ value: Double, unit: V16.ChargingRateUnitType, phases: Int) -> Double {
        switch unit {
        case .a: value * voltage * Double(phases)
        case .w: value
        }
    }

    /// The limit in `unit`, rounded down to the schema's 0.1.
    func value(in unit: V16.ChargingRateUnitType) -> Double {
        Self.roundedDown(Self.value(watts: watts, in: unit, phases: phases))
    }

    static func value(watts: Double, in unit: V16.ChargingRateUnitType, phases: Int) -> Double {
        switch unit {
        case .a: watts / (voltage * Double(phases))
        case .w: watts
        }
    }

    /// Down to a multiple of 0.1, forgiving binary noise (16 A from 11040 W is 15.999…).
    static func roundedDown(_ value: Double) -> Double {
        ((value * 10 + 1e-6).rounded(.down)) / 10
    }

    /// The lower of two limits; the minimum charging rate is the EV's, so it survives.
    static func lower(_ a: ChargingLimit?, _ b: ChargingLimit?) -> ChargingLimit? {
        guard let a else { return b }
        guard let b else { return a }
        var lower = b.watts < a.watts ? b : a
        lower.minimumWatts = max(a.minimumWatts, b.minimumWatts)
        return lower
    }
}
