/// One connector of a charge point as the spec describes it: its plug, AC or DC, and its rating.
///
/// The rating caps the power a simulated EV draws on this connector: an EV that could take 150 kW
/// gets 50 kW from a 50 kW connector. The nominal voltages that link current and power are 230 V
/// per phase (AC) and 400 V (DC).
public struct ConnectorSpec: Sendable, Equatable, Hashable {
    /// The plug or socket standard.
    public enum Plug: String, Sendable, CaseIterable {
        case type1 = "Type1"
        case type2 = "Type2"
        case ccs1 = "CCS1"
        case ccs2 = "CCS2"
        case chademo = "CHAdeMO"
        case gbt = "GBT"

        /// The current this plug carries, or nil when it exists in both kinds (GB/T).
        public var fixedCurrent: Current? {
            switch self {
            case .type1, .type2: .ac
            case .ccs1, .ccs2, .chademo: .dc
            case .gbt: nil
            }
        }
    }

    public enum Current: String, Sendable, CaseIterable {
        case ac = "AC"
        case dc = "DC"
    }

    public static let acVoltsPerPhase = 230.0
    public static let dcVolts = 400.0

    public var type: Plug
    public var current: Current
    /// 1 or 3 for AC; nil for DC.
    public var phases: Int?
    /// Rated current in A (per phase for AC); > 0.
    public var maxCurrentA: Double
    /// Rated power in kW; > 0.
    public var maxPowerKW: Double

    public init(type: Plug, current: Current, phases: Int?, maxCurrentA: Double, maxPowerKW: Double) {
        self.type = type
        self.current = current
        self.phases = phases
        self.maxCurrentA = maxCurrentA
        self.maxPowerKW = maxPowerKW
    }

    /// A connector with the documented defaults filled in: the plug follows the current (AC: Type2,
    /// DC: CCS2) and the current follows the plug; AC has 3 phases (Type1: 1); with neither
    /// `maxCurrentA` nor `maxPowerKW` an AC connector has 32 A and a DC one 50 kW; with one of them
    /// the other follows from the nominal voltage.
    public static func resolved(
        type: Plug? = nil, current: Current? = nil, phases: Int? = nil, maxCurrentA: Double? = nil, maxPowerKW: Double? = nil
    ) -> ConnectorSpec {
        let current = current ?? type?.fixedCurrent ?? .ac
        let type = type ?? (current == .ac ? .type2 : .ccs2)
        let phases: Int? = current == .ac ? (phases ?? (type == .type1 ? 1 : 3)) : nil
        let volts = phases.map { Double($0) * acVoltsPerPhase } ?? dcVolts
        let defaultCurrent = current == .ac ? 32.0 : 125.0
        let amps = maxCurrentA ?? maxPowerKW.map { $0 * 1000 / volts } ?? defaultCurrent
        let kilowatts = maxPowerKW ?? amps * volts / 1000
        return ConnectorSpec(type: type, current: current, phases: phases, maxCurrentA: amps, maxPowerKW: kilowatts)
    }

    /// The default connector: Type2, AC, 3 phases, 32 A (22.08 kW).
    public static let standardAC = ConnectorSpec.resolved()

    /// The most power this connector delivers, in watts: `maxPowerKW`, and no more than its
    /// current at the nominal voltage.
    public var powerLimitW: Double {
        let volts = phases.map { Double($0) * Self.acVoltsPerPhase } ?? Self.dcVolts
        return min(maxPowerKW * 1000, maxCurrentA * volts)
    }
}
