import OCPP

/// The OCPP 1.6 configuration keys of one charge point (OCPP 1.6 §9: Core, Local Auth List
/// Management, Reservation, Smart Charging, Firmware Management; and the security
/// whitepaper's keys), stored typed and compact: measurand lists are bit sets, not
/// strings. The key table is shared by every charge point.
public struct Configuration: Sendable, Equatable {
    public var allowOfflineTxForUnknownId = false
    public var authorizationCacheEnabled = true
    public var authorizeRemoteTxRequests = false
    public var clockAlignedDataInterval = 0
    public var connectionTimeOut = 60
    public var heartbeatInterval = 300
    public var localAuthorizeOffline = true
    public var localPreAuthorize = false
    public var meterValuesAlignedData = MeasurandSet([.energyActiveImportRegister])
    public var meterValuesSampledData = MeasurandSet([.energyActiveImportRegister, .powerActiveImport])
    public var meterValueSampleInterval = 60
    public var resetRetries = 1
    public var stopTransactionOnEVSideDisconnect = true
    public var stopTransactionOnInvalidId = true
    public var stopTxnAlignedData = MeasurandSet([])
    public var stopTxnSampledData = MeasurandSet([.energyActiveImportRegister])
    public var transactionMessageAttempts = 3
    public var transactionMessageRetryInterval = 60
    public var unlockConnectorOnEVSideDisconnect = true
    public var blinkRepeat = 3
    public var lightIntensity = 50
    /// Wh a transaction may deliver after its idTag turned out invalid (while offline); 0: none.
    public var maxEnergyOnInvalidId = 0
    public var minimumStatusDuration = 0
    public var webSocketPingInterval = 0
    // Local Auth List Management (§9.2)
    public var localAuthListEnabled = true
    // Smart Charging (§9.4)
    /// ChargingScheduleAllowedChargingRateUnit: a property of the model, read-only to the
    /// Central System (see `ChargePointV16.allowChargingRateUnits`).
    public internal(set) var chargingRateUnits: ChargingRateUnits = [.current, .power]
    // Security whitepaper (ed. 2) §"Configuration Keys"
    public var cpoName = ""
    public var securityProfile = 0
    /// The HTTP Basic password of security profiles 1 and 2. Write-only: GetConfiguration
    /// lists the key without a value (whitepaper §7.2), and it is stored so that printing or
    /// dumping a configuration or an engine never shows it (A01.FR.12).
    public var authorizationKey: String {
        get { storedAuthorizationKey.value }
        set { storedAuthorizationKey.value = newValue }
    }
    private var storedAuthorizationKey = Redacted()
    /// Fixed per charge point model, read-only.
    public let numberOfConnectors: Int

    public init(numberOfConnectors: Int) { self.numberOfConnectors = numberOfConnectors }

    /// Most measurands a *Data key may list (the *MaxLength keys).
    public static let measurandListMaxLength = 8
    public static let getConfigurationMaxKeys = 64
    public static let supportedFeatureProfiles =
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
    // Fixed capacities of the simulated hardware (read-only keys).
    public static let localAuthListMaxLength = 256
    public static let sendLocalListMaxLength = 64
    public static let reserveConnectorZeroSupported = true
    public static let chargeProfileMaxStackLevel = 8
    public static let chargingScheduleMaxPeriods = 24
    public static let maxChargingProfilesInstalled = 16
    public static let certificateStoreMaxLength = 8
    public static let certificateSignedMaxChainSize = 10_000
    public static let supportedFileTransferProtocols = "FTP,FTPS,HTTP,HTTPS"

    /// Outcome of setting a key: ChangeConfiguration.conf's status.
    public enum SetResult: Sendable, Equatable { case accepted, rejected, notSupported }

    /// One configuration key: its name, whether the CSMS may change it, and how to read
    /// and write it on a `Configuration`.
    public struct Key: Sendable {
        public let name: String
        public let readonly: Bool
        /// The value is never reported (GetConfiguration lists the key without one).
        public var writeOnly = false
        let get: @Sendable (Configuration) -> String
        let set: (@Sendable (inout Configuration, String) -> Bool)?
    }

    private static func bool(_ name: String, _ path: WritableKeyPath<Configuration, Bool> & Sendable) -> Key {
        Key(name: name, readonly: false, get: { $0[keyPath: path] ? "true" : "false" }, set: { config, text in
            switch text.lowercased() {
            case "true": config[keyPath: path] = true; return true
            case "false": config[keyPath: path] = false; return true
            default: return false
            }
        })
    }

    private static func integer(_ name: String, _ path: WritableKeyPath<Configuration, Int> & Sendable,
                                range: ClosedRange<Int> = 0...Int(Int32.max)) -> Key {
        Key(name: name, readonly: false, get: { String($0[keyPath: path]) }, set: { config, text in
            guard let value = Int(text.trimmingSpaces), range.contains(value) else { return false }
            config[keyPath: path] = value
            return true
        })
    }

    /// Measurands StopTransaction.req may carry: its schema's unit list has no Hertz.
    static let stopTransactionMeasurands = Meter.simulated.filter { $0 != .frequency }

    private static func measurands(_ name: String, _ path: WritableKeyPath<Configuration, MeasurandSet> & Sendable,
                                   allowed: [V16.Measurand] = Meter.simulated) -> Key {
        Key(name: name, readonly: false, get: { $0[keyPath: path].csl }, set: { config, text in
            guard let set = MeasurandSet(csl: text), set.count <= measurandListMaxLength,
                  set.allSatisfy(allowed.contains) else { return false }
            config[keyPath: path] = set
            return true
        })
    }

    private static func constant(_ name: String, _ value: @escaping @Sendable (Configuration) -> String) -> Key {
        Key(name: name, readonly: true, get: value, set: nil)
    }

    /// Every key this charge point knows, in the order GetConfiguration lists them.
    public static let keys: [Key] = [
        constant("AdditionalRootCertificateCheck") { _ in "false" },
        bool("AllowOfflineTxForUnknownId", \.allowOfflineTxForUnknownId),
        bool("AuthorizationCacheEnabled", \.authorizationCacheEnabled),
        Key(name: "AuthorizationKey", readonly: false, writeOnly: true, get: { _ in "" }, set: { config, text in
            // Whitepaper A00.FR.205: at least 16 bytes, at most 20 bytes as 40 hex digits; both
            // the hex form (32...40 digits) and a plain 16...40 character password fit here.
            guard (16...40).contains(text.utf8.count) else { return false }
            config.authorizationKey = text
            return true
        }),
        bool("AuthorizeRemoteTxRequests", \.authorizeRemoteTxRequests),
        integer("BlinkRepeat", \.blinkRepeat),
        constant("CertificateSignedMaxChainSize") { _ in String(certificateSignedMaxChainSize) },
        constant("CertificateStoreMaxLength") { _ in String(certificateStoreMaxLength) },
        constant("ChargeProfileMaxStackLevel") { _ in String(chargeProfileMaxStackLevel) },
        constant("ChargingScheduleAllowedChargingRateUnit") { $0.chargingRateUnits.csl },
        constant("ChargingScheduleMaxPeriods") { _ in String(chargingScheduleMaxPeriods) },
        integer("ClockAlignedDataInterval", \.clockAlignedDataInterval),
        integer("ConnectionTimeOut", \.connectionTimeOut, range: 1...86_400),
        constant("ConnectorPhaseRotation") { config in
            (0...config.numberOfConnectors).map { "\($0).RST" }.joined(separator: ",")
        },
        constant("ConnectorPhaseRotationMaxLength") { String($0.numberOfConnectors + 1) },
        constant("ConnectorSwitch3to1PhaseSupported") { _ in "false" },
        Key(name: "CpoName", readonly: false, get: { $0.cpoName }, set: { config, text in
            // The O (organizationName) of the charge point's CSR (A02.FR.13): X.520 allows 1...64 characters.
            guard (1...64).contains(text.unicodeScalars.count) else { return false }
            config.cpoName = text
            return true
        }),
        constant("GetConfigurationMaxKeys") { _ in String(getConfigurationMaxKeys) },
        integer("HeartbeatInterval", \.heartbeatInterval),
        integer("LightIntensity", \.lightIntensity, range: 0...100),
        bool("LocalAuthListEnabled", \.localAuthListEnabled),
        constant("LocalAuthListMaxLength") { _ in String(localAuthListMaxLength) },
        bool("LocalAuthorizeOffline", \.localAuthorizeOffline),
        bool("LocalPreAuthorize", \.localPreAuthorize),
        constant("MaxChargingProfilesInstalled") { _ in String(maxChargingProfilesInstalled) },
        integer("MaxEnergyOnInvalidId", \.maxEnergyOnInvalidId),
        measurands("MeterValuesAlignedData", \.meterValuesAlignedData),
        constant("MeterValuesAlignedDataMaxLength") { _ in String(measurandListMaxLength) },
        measurands("MeterValuesSampledData", \.meterValuesSampledData),
        constant("MeterValuesSampledDataMaxLength") { _ in String(measurandListMaxLength) },
        integer("MeterValueSampleInterval", \.meterValueSampleInterval),
        integer("MinimumStatusDuration", \.minimumStatusDuration),
        constant("NumberOfConnectors") { String($0.numberOfConnectors) },
        constant("ReserveConnectorZeroSupported") { _ in reserveConnectorZeroSupported ? "true" : "false" },
        integer("ResetRetries", \.resetRetries),
        Key(name: "SecurityProfile", readonly: false, get: { String($0.securityProfile) }, set: { config, text in
            // Whitepaper A00.FR.005: never lowered. Over OCPP it must also rise and its
            // prerequisites be met (A05.FR.01–04, checked by the engine's ChangeConfiguration);
            // the fleet spec sets it before the first connection (A00.FR.004).
            guard let value = Int(text.trimmingSpaces), (0...3).contains(value), value >= config.securityProfile else {
                return false
            }
            config.securityProfile = value
            return true
        }),
        constant("SendLocalListMaxLength") { _ in String(sendLocalListMaxLength) },
        bool("StopTransactionOnEVSideDisconnect", \.stopTransactionOnEVSideDisconnect),
        bool("StopTransactionOnInvalidId", \.stopTransactionOnInvalidId),
        measurands("StopTxnAlignedData", \.stopTxnAlignedData, allowed: stopTransactionMeasurands),
        constant("StopTxnAlignedDataMaxLength") { _ in String(measurandListMaxLength) },
        measurands("StopTxnSampledData", \.stopTxnSampledData, allowed: stopTransactionMeasurands),
        constant("StopTxnSampledDataMaxLength") { _ in String(measurandListMaxLength) },
        constant("SupportedFeatureProfiles") { _ in supportedFeatureProfiles },
        constant("SupportedFeatureProfilesMaxLength") { _ in "6" },
        constant("SupportedFileTransferProtocols") { _ in supportedFileTransferProtocols },
        integer("TransactionMessageAttempts", \.transactionMessageAttempts, range: 1...100),
        integer("TransactionMessageRetryInterval", \.transactionMessageRetryInterval, range: 1...86_400),
        bool("UnlockConnectorOnEVSideDisconnect", \.unlockConnectorOnEVSideDisconnect),
        integer("WebSocketPingInterval", \.webSocketPingInterval),
    ]

    private static let index: [String: Int] = {
        var table: [String: Int] = [:]
        for (position, key) in keys.enumerated() { table[key.name.lowercased()] = position }
        return table
    }()

    /// Looks a key up; OCPP key names are case-insensitive (CiString).
    public static func key(named name: String) -> Key? {
        index[name.lowercased()].map { keys[$0] }
    }

    public func value(of key: Key) -> String { key.get(self) }

    /// ChangeConfiguration semantics: unknown → NotSupported, read-only or invalid → Rejected.
    public mutating func set(_ name: String, to value: String) -> SetResult {
        guard let key = Self.key(named: name) else { return .notSupported }
        guard let set = key.set else { return .rejected }
        return set(&self, value) ? .accepted : .rejected
    }

    /// GetConfiguration.conf for the requested keys (all when `requested` is nil or empty).
    public func report(_ requested: [String]?) -> V16.GetConfigurationResponse {
        guard let requested, !requested.isEmpty else {
            return V16.GetConfigurationResponse(configurationKey: Self.keys.map(keyValue), unknownKey: nil)
        }
        var known: [V16.KeyValue] = []
        var unknown: [String] = []
        for name in requested.prefix(Self.getConfigurationMaxKeys) {
            if let key = Self.key(named: name) { known.append(keyValue(key)) } else { unknown.append(name) }
        }
        return V16.GetConfigurationResponse(configurationKey: known.isEmpty ? nil : known,
                                            unknownKey: unknown.isEmpty ? nil : unknown)
    }

    private func keyValue(_ key: Key) -> V16.KeyValue {
        V16.KeyValue(key: key.name, readonly: key.readonly, value: key.writeOnly ? nil : key.get(self))
    }
}

/// A secret that prints as "<redacted>", in descriptions, debug descriptions and mirrors alike.
struct Redacted: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    var value = ""
    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// A set of measurands as a bit set over `V16.Measurand.allCases`.
public struct MeasurandSet: Sendable, Equatable, Sequence {
    private var bits: UInt32

    public init(_ measurands: [V16.Measurand]) {
        bits = 0
        for measurand in measurands { bits |= Self.bit(measurand) }
    }

    /// Parses a comma-separated list; nil when any entry is unknown or not simulated.
    public init?(csl: String) {
        bits = 0
        for part in csl.split(separator: ",", omittingEmptySubsequences: true) {
            guard let measurand = V16.Measurand(rawValue: String(part).trimmingSpaces),
                  Meter.simulated.contains(measurand) else { return nil }
            bits |= Self.bit(measurand)
        }
    }

    private static let all = Array(V16.Measurand.allCases)

    private static func bit(_ measurand: V16.Measurand) -> UInt32 {
        1 << UInt32(all.firstIndex(of: measurand) ?? 0)
    }

    public func contains(_ measurand: V16.Measurand) -> Bool { bits & Self.bit(measurand) != 0 }
    public var count: Int { bits.nonzeroBitCount }
    public var isEmpty: Bool { bits == 0 }
    public var csl: String { map(\.rawValue).joined(separator: ",") }

    public func makeIterator() -> some IteratorProtocol<V16.Measurand> {
        Self.all.lazy.filter { self.contains($0) }.makeIterator()
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
