import ChargePointSecurity
import ChargePoint
import FleetSpec
import OCPP

/// The engine inputs a behaviour profile uses beyond the session basics of `ChargePointEngine`:
/// faults, the EV's changing power, the energy delivered so far, power cycles and DataTransfer.
/// Both engine versions provide them, and `AnyChargePointEngine` forwards them to its case; tests
/// wrap it to record every input. No subprotocol here: the wrapper knows its version per value.
protocol DrivenEngine: EngineSession {
    mutating func setFault(_ code: V16.ChargePointErrorCode?, connector: Int, now: Timestamp, into out: inout [EngineOutput])
    mutating func setEVPower(_ watts: Double, connector: Int, now: Timestamp, into out: inout [EngineOutput])
    mutating func sessionEnergyWh(connector: Int, now: Timestamp) -> Double?
    mutating func powerCycle(now: Timestamp, into out: inout [EngineOutput])
    mutating func sendDataTransfer(vendorId: String, messageId: String?, data: String?, now: Timestamp,
                                   into out: inout [EngineOutput])
}

extension ChargePointV16: DrivenEngine {}

/// How one charge point is built from its plan: the engine it starts with and the driver that
/// feeds it. The runtime and the virtual-clock tests both use this, so they simulate the same
/// charge point.
enum ChargePointSetup {
    /// The engine of the plan's OCPP version, with the plan's identity (serial number included),
    /// configuration overrides (1.6 keys, or 2.0.1 `Component.Variable` names) and an initial
    /// meter register drawn from the charge point's own meter stream. Returns the overrides the
    /// engine refused.
    static func engine(plan: ChargePointPlan, settings: EngineSettings, seed: UInt64,
                       behaviour: BehaviourSpec = .default) -> (AnyChargePointEngine, refused: [String]) {
        var settings = settings
        settings.seed = seed
        settings.securityEvents = plan.securityEvents
        settings.certificateServices = settings.certificateServices ?? certificateServices
        let transfer = behaviour.fileTransfer
        settings.fileTransfer = FileTransferBehaviour(
            downloadDuration: interval(transfer.download), installDuration: interval(transfer.install),
            uploadDuration: interval(transfer.upload), downloadFailure: transfer.downloadFailure,
            installFailure: transfer.installFailure, uploadFailure: transfer.uploadFailure,
            signatureFailure: transfer.signatureFailure)
        var meterStream = SessionDriver.Streams(seed: seed, chargePointIndex: plan.index, connectors: 0).meter
        settings.initialMeterWh = max(0, plan.initialMeterWh.sample(using: &meterStream))
        let identity = ChargePointIdentity(id: plan.id, vendor: plan.vendor, model: plan.model,
                                           firmwareVersion: plan.firmwareVersion, serialNumber: plan.serialNumber,
                                           connectors: plan.connectors)
        let overrides = plan.config.map { (key: $0.key, value: $0.value) }
        switch plan.ocppVersion {
        case .v16:
            var engine = ChargePointV16(identity: identity, settings: settings)
            let refused = engine.configure(overrides)
            return (.v16(engine), refused)
        case .v201:
            var engine = ChargePointV201(identity: identity, settings: settings)
            let refused = engine.configure(overrides)
            return (.v201(engine), refused)
        }
    }

    /// The Security profile's cryptography, one instance for the whole process: it keeps no
    /// per-charge-point state (a key pair exists only in the engine that asked for one).
    static let certificateServices = CertificateServicesReference(X509CertificateServices())

    static func interval(_ duration: Duration) -> Interval {
        Interval(microseconds: duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
    }

    static func driver(plan: ChargePointPlan, behaviour: SharedBehaviour, seed: UInt64) -> SessionDriver {
        SessionDriver(behaviour: behaviour, chargePointIndex: plan.index,
                      connectorLimitsW: plan.connectorSpecs.map(\.powerLimitW), seed: seed)
    }
}

/// A behaviour profile shared, read-only, by the drivers of every charge point that uses it:
/// the profile is a few hundred bytes, a reference eight.
final class SharedBehaviour: Sendable {
    let spec: BehaviourSpec
    /// The profile's idTag pattern (`.pattern`, `.pool`, or the default for an empty list), parsed once.
    let idTagPattern: IndexPattern

    init(_ spec: BehaviourSpec) {
        self.spec = spec
        switch spec.idTags {
        case .pattern(let pattern), .pool(let pattern, _): idTagPattern = IndexPattern(pattern)
        case .list: idTagPattern = IndexPattern(BehaviourSpec.defaultIdTagPattern)
        }
    }
}

extension ChargePointV201: DrivenEngine {}
