import OCPP

/// One variable of the 2.0.1 device model (OCPP 2.0.1 part 1 §4, part 2 §B "Provisioning"):
/// where it lives (component, instance, EVSE, connector), what it is (data type, unit, limits,
/// allowed values) and who may change it. Definitions are immutable and shared by every
/// charging station with the same number of EVSEs; a station stores only its changed values.
struct DeviceVariable: Sendable {
    var component: String
    var componentInstance: String? = nil
    var evse: Int? = nil
    var connector: Int? = nil
    var name: String
    var instance: String? = nil
    var mutability: V201.MutabilityEnum
    var dataType: V201.DataEnum
    var unit: String? = nil
    var minLimit: Double? = nil
    var maxLimit: Double? = nil
    /// Allowed values of an OptionList, MemberList or SequenceList (comma separated).
    var valuesList: String? = nil
    /// The Actual value at power-on; nil for a value the engine computes (`DeviceModelValues.live`).
    var initial: String?

    func matches(component: V201.Component, variable: V201.Variable?) -> Bool {
        guard component.name == self.component, component.instance == componentInstance,
              component.evse?.id == evse, component.evse?.connectorId == connector else { return false }
        guard let variable else { return true }
        return variable.name == name && variable.instance == instance
    }

    var wireComponent: V201.Component {
        V201.Component(evse: evse.map { V201.EVSE(id: $0, connectorId: connector) }, name: component, instance: componentInstance)
    }

    var wireVariable: V201.Variable { V201.Variable(name: name, instance: instance) }

    /// Whether `value` fits the data type and limits (OCPP 2.0.1 B05.FR.07: otherwise Rejected).
    func accepts(_ value: String) -> Bool {
        switch dataType {
        case .integer:
            // Every integer is a count or seconds: beyond Int32 a timer's arithmetic would overflow.
            guard let number = Int(value), number <= Int(Int32.max) else { return false }
            return withinLimits(Double(number))
        case .decimal:
            guard let number = Double(value), number.isFinite else { return false }
            return withinLimits(number)
        case .boolean:
            return value == "true" || value == "false"
        case .dateTime:
            return Timestamp(iso8601: value) != nil
        case .string:
            return value.utf8.count <= Int(maxLimit ?? 1000)
        case .optionList:
            return allowed.contains(value)
        case .memberList, .sequenceList:
            let members = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return value.isEmpty || members.allSatisfy(allowed.contains)
        }
    }

    private var allowed: [String] { valuesList.map { $0.split(separator: ",").map(String.init) } ?? [] }

    private func withinLimits(_ number: Double) -> Bool {
        if let minLimit, number < minLimit { return false }
        if let maxLimit, number > maxLimit { return false }
        return true
    }
}

/// The variables the engine reads by name, as indexes into the shared definition: a lookup
/// is an array access, not a string search.
enum DeviceSetting: Int, CaseIterable, Sendable {
    case heartbeatInterval, messageTimeout, messageAttempts, messageAttemptInterval, offlineThreshold
    case evConnectionTimeOut, stopTxOnEVSideDisconnect, stopTxOnInvalidId, txStartPoint, txStopPoint
    case sampledDataEnabled, txStartedMeasurands, txUpdatedMeasurands, txUpdatedInterval, txEndedMeasurands
    case alignedDataEnabled, alignedMeasurands, alignedInterval
    case authEnabled, authorizeRemoteStart, localAuthorizeOffline, localPreAuthorize
    case authCacheEnabled, authCacheLifeTime, localAuthListEnabled, localAuthListEntries
    case reportItemsPerMessage, getVariablesItemsPerMessage, setVariablesItemsPerMessage
    case dateTime, securityProfile, identity, organizationName, basicAuthPassword
    case chargingStationAvailability, reservationEnabled, smartChargingEnabled
}

/// The device model of a charging station with `evses` EVSEs of one connector each: the
/// controllers of issue 10's scope, then a ChargingStation, EVSE and Connector component per
/// EVSE. Built once per EVSE count and shared.
final class DeviceModelDefinition: Sendable {
    let variables: [DeviceVariable]
    /// `variables` index of each `DeviceSetting`.
    private let settings: [Int]
    let evses: Int

    init(evses: Int) {
        self.evses = evses
        var list: [DeviceVariable] = []
        var settings = [Int](repeating: -1, count: DeviceSetting.allCases.count)
        func add(_ setting: DeviceSetting? = nil, _ variable: DeviceVariable) {
            if let setting { settings[setting.rawValue] = list.count }
            list.append(variable)
        }
        let measurands = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,Current.Offered,Power.Offered,Temperature,Frequency"
        let points = "ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer"
        // OCPPCommCtrlr
        add(.heartbeatInterval, DeviceVariable(component: "OCPPCommCtrlr", name: "HeartbeatInterval", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, maxLimit: Double(Int32.max), initial: "300"))
        add(.messageTimeout, DeviceVariable(component: "OCPPCommCtrlr", name: "MessageTimeout", instance: "Default", mutability: .readOnly, dataType: .integer, unit: "s", initial: "30"))
        add(.messageAttempts, DeviceVariable(component: "OCPPCommCtrlr", name: "MessageAttempts", instance: "TransactionEvent", mutability: .readWrite, dataType: .integer, minLimit: 1, maxLimit: 10, initial: "3"))
        add(.messageAttemptInterval, DeviceVariable(component: "OCPPCommCtrlr", name: "MessageAttemptInterval", instance: "TransactionEvent", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, maxLimit: 3600, initial: "60"))
        add(.offlineThreshold, DeviceVariable(component: "OCPPCommCtrlr", name: "OfflineThreshold", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, initial: "60"))
        add(nil, DeviceVariable(component: "OCPPCommCtrlr", name: "ResetRetries", mutability: .readWrite, dataType: .integer, minLimit: 0, maxLimit: 10, initial: "2"))
        add(nil, DeviceVariable(component: "OCPPCommCtrlr", name: "FileTransferProtocols", mutability: .readOnly, dataType: .memberList, valuesList: "FTP,FTPS,HTTP,HTTPS,SFTP", initial: "HTTP,HTTPS"))
        add(nil, DeviceVariable(component: "OCPPCommCtrlr", name: "NetworkConfigurationPriority", mutability: .readWrite, dataType: .sequenceList, valuesList: "0,1,2", initial: "0"))
        add(nil, DeviceVariable(component: "OCPPCommCtrlr", name: "NetworkProfileConnectionAttempts", mutability: .readWrite, dataType: .integer, minLimit: 1, initial: "3"))
        // TxCtrlr
        add(.evConnectionTimeOut, DeviceVariable(component: "TxCtrlr", name: "EVConnectionTimeOut", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 1, initial: "60"))
        add(.stopTxOnEVSideDisconnect, DeviceVariable(component: "TxCtrlr", name: "StopTxOnEVSideDisconnect", mutability: .readOnly, dataType: .boolean, initial: "true"))
        add(.stopTxOnInvalidId, DeviceVariable(component: "TxCtrlr", name: "StopTxOnInvalidId", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(.txStartPoint, DeviceVariable(component: "TxCtrlr", name: "TxStartPoint", mutability: .readWrite, dataType: .memberList, valuesList: points, initial: "PowerPathClosed"))
        add(.txStopPoint, DeviceVariable(component: "TxCtrlr", name: "TxStopPoint", mutability: .readWrite, dataType: .memberList, valuesList: points, initial: "EVConnected,Authorized"))
        // SampledDataCtrlr
        add(.sampledDataEnabled, DeviceVariable(component: "SampledDataCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(.txStartedMeasurands, DeviceVariable(component: "SampledDataCtrlr", name: "TxStartedMeasurands", mutability: .readWrite, dataType: .memberList, valuesList: measurands, initial: "Energy.Active.Import.Register"))
        add(.txUpdatedMeasurands, DeviceVariable(component: "SampledDataCtrlr", name: "TxUpdatedMeasurands", mutability: .readWrite, dataType: .memberList, valuesList: measurands, initial: "Energy.Active.Import.Register,Power.Active.Import"))
        add(.txUpdatedInterval, DeviceVariable(component: "SampledDataCtrlr", name: "TxUpdatedInterval", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, initial: "60"))
        add(.txEndedMeasurands, DeviceVariable(component: "SampledDataCtrlr", name: "TxEndedMeasurands", mutability: .readWrite, dataType: .memberList, valuesList: measurands, initial: "Energy.Active.Import.Register"))
        add(nil, DeviceVariable(component: "SampledDataCtrlr", name: "TxEndedInterval", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, initial: "0"))
        // AlignedDataCtrlr
        add(.alignedDataEnabled, DeviceVariable(component: "AlignedDataCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(.alignedMeasurands, DeviceVariable(component: "AlignedDataCtrlr", name: "Measurands", mutability: .readWrite, dataType: .memberList, valuesList: measurands, initial: "Energy.Active.Import.Register"))
        add(.alignedInterval, DeviceVariable(component: "AlignedDataCtrlr", name: "Interval", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, initial: "0"))
        add(nil, DeviceVariable(component: "AlignedDataCtrlr", name: "TxEndedMeasurands", mutability: .readWrite, dataType: .memberList, valuesList: measurands, initial: "Energy.Active.Import.Register"))
        add(nil, DeviceVariable(component: "AlignedDataCtrlr", name: "TxEndedInterval", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, initial: "0"))
        // AuthCtrlr, AuthCacheCtrlr, LocalAuthListCtrlr
        add(.authEnabled, DeviceVariable(component: "AuthCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(.authorizeRemoteStart, DeviceVariable(component: "AuthCtrlr", name: "AuthorizeRemoteStart", mutability: .readWrite, dataType: .boolean, initial: "false"))
        add(.localAuthorizeOffline, DeviceVariable(component: "AuthCtrlr", name: "LocalAuthorizeOffline", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(.localPreAuthorize, DeviceVariable(component: "AuthCtrlr", name: "LocalPreAuthorize", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(.authCacheEnabled, DeviceVariable(component: "AuthCacheCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(nil, DeviceVariable(component: "AuthCacheCtrlr", name: "Available", mutability: .readOnly, dataType: .boolean, initial: "true"))
        add(.authCacheLifeTime, DeviceVariable(component: "AuthCacheCtrlr", name: "LifeTime", mutability: .readWrite, dataType: .integer, unit: "s", minLimit: 0, initial: "86400"))
        add(nil, DeviceVariable(component: "AuthCacheCtrlr", name: "Policy", mutability: .readOnly, dataType: .optionList, valuesList: "LRU,LFU,FIFO,CUSTOM", initial: "LRU"))
        add(.localAuthListEnabled, DeviceVariable(component: "LocalAuthListCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(nil, DeviceVariable(component: "LocalAuthListCtrlr", name: "Available", mutability: .readOnly, dataType: .boolean, initial: "true"))
        add(.localAuthListEntries, DeviceVariable(component: "LocalAuthListCtrlr", name: "Entries", mutability: .readOnly, dataType: .integer, initial: nil))
        add(nil, DeviceVariable(component: "LocalAuthListCtrlr", name: "ItemsPerMessage", mutability: .readOnly, dataType: .integer, initial: "100"))
        add(nil, DeviceVariable(component: "LocalAuthListCtrlr", name: "BytesPerMessage", mutability: .readOnly, dataType: .integer, initial: "8192"))
        // SmartChargingCtrlr (K) and ReservationCtrlr (H).
        add(.smartChargingEnabled, DeviceVariable(component: "SmartChargingCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(nil, DeviceVariable(component: "SmartChargingCtrlr", name: "Available", mutability: .readOnly, dataType: .boolean, initial: "true"))
        add(nil, DeviceVariable(component: "SmartChargingCtrlr", name: "ProfileStackLevel", mutability: .readOnly, dataType: .integer, initial: "8"))
        add(nil, DeviceVariable(component: "SmartChargingCtrlr", name: "RateUnit", mutability: .readOnly, dataType: .memberList, valuesList: "A,W", initial: "A,W"))
        add(nil, DeviceVariable(component: "SmartChargingCtrlr", name: "PeriodsPerSchedule", mutability: .readOnly, dataType: .integer, initial: "24"))
        add(.reservationEnabled, DeviceVariable(component: "ReservationCtrlr", name: "Enabled", mutability: .readWrite, dataType: .boolean, initial: "true"))
        add(nil, DeviceVariable(component: "ReservationCtrlr", name: "Available", mutability: .readOnly, dataType: .boolean, initial: "true"))
        add(nil, DeviceVariable(component: "ReservationCtrlr", name: "NonEvseSpecific", mutability: .readOnly, dataType: .boolean, initial: "false"))
        // SecurityCtrlr, DeviceDataCtrlr, ClockCtrlr
        add(.securityProfile, DeviceVariable(component: "SecurityCtrlr", name: "SecurityProfile", mutability: .readOnly, dataType: .integer, minLimit: 0, maxLimit: 3, initial: "0"))
        add(.identity, DeviceVariable(component: "SecurityCtrlr", name: "Identity", mutability: .readOnly, dataType: .string, maxLimit: 48, initial: nil))
        add(.organizationName, DeviceVariable(component: "SecurityCtrlr", name: "OrganizationName", mutability: .readWrite, dataType: .string, initial: "ocpp-fleet"))
        add(.basicAuthPassword, DeviceVariable(component: "SecurityCtrlr", name: "BasicAuthPassword", mutability: .writeOnly, dataType: .string, maxLimit: 40, initial: ""))
        add(.reportItemsPerMessage, DeviceVariable(component: "DeviceDataCtrlr", name: "ItemsPerMessage", instance: "GetReport", mutability: .readOnly, dataType: .integer, initial: "20"))
        add(.getVariablesItemsPerMessage, DeviceVariable(component: "DeviceDataCtrlr", name: "ItemsPerMessage", instance: "GetVariables", mutability: .readOnly, dataType: .integer, initial: "50"))
        add(.setVariablesItemsPerMessage, DeviceVariable(component: "DeviceDataCtrlr", name: "ItemsPerMessage", instance: "SetVariables", mutability: .readOnly, dataType: .integer, initial: "50"))
        add(.dateTime, DeviceVariable(component: "ClockCtrlr", name: "DateTime", mutability: .readOnly, dataType: .dateTime, initial: nil))
        // The station, each EVSE and its connector.
        add(.chargingStationAvailability, DeviceVariable(component: "ChargingStation", name: "AvailabilityState", mutability: .readOnly, dataType: .optionList, valuesList: "Available,Occupied,Reserved,Unavailable,Faulted", initial: nil))
        add(nil, DeviceVariable(component: "ChargingStation", name: "Available", mutability: .readOnly, dataType: .boolean, initial: "true"))
        for evse in 0..<evses {
            add(nil, DeviceVariable(component: "EVSE", evse: evse + 1, name: "AvailabilityState", mutability: .readOnly, dataType: .optionList, valuesList: "Available,Occupied,Reserved,Unavailable,Faulted", initial: nil))
            add(nil, DeviceVariable(component: "EVSE", evse: evse + 1, name: "Power", mutability: .readOnly, dataType: .decimal, unit: "W", initial: nil))
            add(nil, DeviceVariable(component: "Connector", evse: evse + 1, connector: 1, name: "AvailabilityState", mutability: .readOnly, dataType: .optionList, valuesList: "Available,Occupied,Reserved,Unavailable,Faulted", initial: nil))
            add(nil, DeviceVariable(component: "Connector", evse: evse + 1, connector: 1, name: "ConnectorType", mutability: .readOnly, dataType: .string, initial: "cType2"))
        }
        self.variables = list
        self.settings = settings
    }

    func index(of setting: DeviceSetting) -> Int { settings[setting.rawValue] }

    /// The definitions for stations of 1 to 8 EVSEs, built once; larger stations build their own.
    private static let common: [DeviceModelDefinition] = (1...8).map { DeviceModelDefinition(evses: $0) }

    static func shared(evses: Int) -> DeviceModelDefinition {
        (1...8).contains(evses) ? common[evses - 1] : DeviceModelDefinition(evses: evses)
    }
}

/// The values one charging station changed from the shared definition: usually none, so an
/// idle station pays for an empty array.
struct DeviceModelValues: Sendable {
    let definition: DeviceModelDefinition
    private var changed: [(index: UInt16, value: String)] = []

    init(definition: DeviceModelDefinition) { self.definition = definition }

    /// The stored value (nil for a live one the engine computes).
    func stored(_ index: Int) -> String? {
        for entry in changed where Int(entry.index) == index { return entry.value }
        return definition.variables[index].initial
    }

    func string(_ setting: DeviceSetting) -> String { stored(definition.index(of: setting)) ?? "" }
    func int(_ setting: DeviceSetting) -> Int { Int(string(setting)) ?? 0 }
    func bool(_ setting: DeviceSetting) -> Bool { string(setting) == "true" }
    func members(_ setting: DeviceSetting) -> [Substring] { string(setting).split(separator: ",") }

    mutating func set(_ index: Int, to value: String) {
        if let position = changed.firstIndex(where: { Int($0.index) == index }) {
            if definition.variables[index].initial == value { changed.remove(at: position) } else { changed[position].value = value }
        } else if definition.variables[index].initial != value {
            changed.append((UInt16(index), value))
        }
    }

    mutating func set(_ setting: DeviceSetting, to value: String) { set(definition.index(of: setting), to: value) }

    var changedCount: Int { changed.count }
}
