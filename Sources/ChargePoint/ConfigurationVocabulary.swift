import OCPP

/// What a configuration override in a fleet spec means to the engine of one OCPP version, so the
/// spec can refuse a key that means nothing there before a charge point starts. A 1.6 engine
/// takes its configuration keys (OCPP 1.6 §9 and the security whitepaper's); a 2.0.1 engine takes
/// its device-model variables, written `Component.Variable` or `Component.Variable[Instance]`,
/// and the 1.6 keys of the settings the 2.0.1 device model carries on (the 2.0.1 variable that
/// replaced each, OCPP 2.0.1 part 2 appendix 3), so one spec drives both versions.
public enum ConfigurationVocabulary {
    public enum Reading: Sendable, Equatable {
        /// The name the engine's `configure` takes: the 1.6 key as the key table spells it, or
        /// the 2.0.1 variable as `Component.Variable[Instance]`.
        case name(String)
        /// Why the key means nothing to this version's engine: a phrase for a spec error.
        case meaningless(String)
    }

    /// Reads `key`, set to `value`, for an engine of `version`. Names match without regard to
    /// case (1.6 keys are CiString; so are 2.0.1 component and variable names). A read-only
    /// setting is meaningless unless `value` is the value it has anyway.
    public static func read(_ key: String, value: String, for version: OCPPVersion) -> Reading {
        switch version {
        case .v16: readV16(key, value: value)
        case .v201: readV201(key, value: value)
        }
    }

    /// The 2.0.1 variable that carries on each 1.6 key this engine knows both ways.
    public static let v201Counterparts: [String: String] = [
        "AuthorizationCacheEnabled": "AuthCacheCtrlr.Enabled",
        "AuthorizeRemoteTxRequests": "AuthCtrlr.AuthorizeRemoteStart",
        "ClockAlignedDataInterval": "AlignedDataCtrlr.Interval",
        "ConnectionTimeOut": "TxCtrlr.EVConnectionTimeOut",
        "CpoName": "SecurityCtrlr.OrganizationName",
        "HeartbeatInterval": "OCPPCommCtrlr.HeartbeatInterval",
        "LocalAuthListEnabled": "LocalAuthListCtrlr.Enabled",
        "LocalAuthorizeOffline": "AuthCtrlr.LocalAuthorizeOffline",
        "LocalPreAuthorize": "AuthCtrlr.LocalPreAuthorize",
        "MeterValueSampleInterval": "SampledDataCtrlr.TxUpdatedInterval",
        "MeterValuesAlignedData": "AlignedDataCtrlr.Measurands",
        "MeterValuesSampledData": "SampledDataCtrlr.TxUpdatedMeasurands",
        "ResetRetries": "OCPPCommCtrlr.ResetRetries",
        "StopTransactionOnEVSideDisconnect": "TxCtrlr.StopTxOnEVSideDisconnect",
        "StopTransactionOnInvalidId": "TxCtrlr.StopTxOnInvalidId",
        "StopTxnAlignedData": "AlignedDataCtrlr.TxEndedMeasurands",
        "StopTxnSampledData": "SampledDataCtrlr.TxEndedMeasurands",
        "TransactionMessageAttempts": "OCPPCommCtrlr.MessageAttempts[TransactionEvent]",
        "TransactionMessageRetryInterval": "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]",
        "WebSocketPingInterval": "OCPPCommCtrlr.WebSocketPingInterval",
    ]

    private static func readV16(_ key: String, value: String) -> Reading {
        guard let known = Configuration.key(named: key) else {
            if let variable = v201Variable(named: key) {
                let counterpart = v201Counterparts.first { $0.value == ChargePointV201.name(of: variable) }?.key
                return .meaningless("is an OCPP 2.0.1 device-model variable, but this group speaks OCPP 1.6"
                    + (counterpart.map { " (its 1.6 key is \($0))" } ?? ""))
            }
            return .meaningless("is not an OCPP 1.6 configuration key this charge point has (OCPP 1.6 §9, security whitepaper)")
        }
        if known.readonly { return .meaningless("is read-only in OCPP 1.6: the charge point's own value, not a setting") }
        return .name(known.name)
    }

    private static func readV201(_ key: String, value: String) -> Reading {
        let variable: DeviceVariable
        if let named = v201Variable(named: key) {
            variable = named
        } else if let known = Configuration.key(named: key) {
            guard let counterpart = v201Counterparts[known.name], let mapped = v201Variable(named: counterpart) else {
                return .meaningless("is an OCPP 1.6 key with no counterpart in this charge point's 2.0.1 device model; "
                    + "this group speaks OCPP 2.0.1")
            }
            variable = mapped
        } else {
            return .meaningless("is neither a variable of this charge point's 2.0.1 device model "
                + "(Component.Variable or Component.Variable[Instance], e.g. OCPPCommCtrlr.HeartbeatInterval) "
                + "nor a 1.6 key with a 2.0.1 counterpart")
        }
        let name = ChargePointV201.name(of: variable)
        if variable.mutability == .readOnly, variable.initial != value {
            let fixed = variable.initial.map { "always \($0)" } ?? "a value the station computes"
            return .meaningless("\(key == name ? "is" : "becomes \(name), which is") read-only in this charge point's "
                + "2.0.1 device model (\(fixed))")
        }
        return .name(name)
    }

    /// The station-wide variables (not those of one EVSE), by lowercased `Component.Variable[Instance]`.
    private static let v201Variables: [String: DeviceVariable] = {
        var table: [String: DeviceVariable] = [:]
        for variable in DeviceModelDefinition.shared(evses: 1).variables where variable.evse == nil {
            table[ChargePointV201.name(of: variable).lowercased()] = variable
        }
        return table
    }()

    private static func v201Variable(named name: String) -> DeviceVariable? { v201Variables[name.lowercased()] }
}
