@testable import OCPP

/// Typed samples of every Core profile request and response: `rich` sets every optional
/// field (and fills every array), `minimal` only the required ones, `enumCoverage` uses
/// every case of every enum at least once.
enum Samples {
    typealias V = V16

    static let idTagInfo = V.IdTagInfo(expiryDate: t1, parentIdTag: "PARENT-0001", status: .accepted)

    static let sampledValue = V.SampledValue(value: "1234.5", context: .samplePeriodic, format: .raw,
                                             measurand: .energyActiveImportRegister, phase: .l1N,
                                             location: .outlet, unit: .kWh)

    static let chargingProfile = V.ChargingProfile(
        chargingProfileId: 7, transactionId: 42, stackLevel: 1, chargingProfilePurpose: .txProfile,
        chargingProfileKind: .recurring, recurrencyKind: .daily, validFrom: t0, validTo: t1,
        chargingSchedule: V.ChargingSchedule(
            duration: 86_400, startSchedule: t0, chargingRateUnit: .a,
            chargingSchedulePeriod: [
                V.ChargingSchedulePeriod(startPeriod: 0, limit: 16.3, numberPhases: 3),
                V.ChargingSchedulePeriod(startPeriod: 3600, limit: 32),
                V.ChargingSchedulePeriod(startPeriod: 7200, limit: 0.1, numberPhases: 1),
            ],
            minChargingRate: 6.1))

    static let minimalChargingProfile = V.ChargingProfile(
        chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: .txProfile, chargingProfileKind: .absolute,
        chargingSchedule: V.ChargingSchedule(chargingRateUnit: .w,
                                             chargingSchedulePeriod: [V.ChargingSchedulePeriod(startPeriod: 0, limit: 11000)]))

    static let rich: [Sample] = [
        .request("rich", V.AuthorizeRequest(idTag: "04A2B3C4D5E6F7")),
        .response(to: V.AuthorizeRequest.self, "rich", V.AuthorizeResponse(idTagInfo: idTagInfo)),
        .request("rich", V.BootNotificationRequest(
            chargePointVendor: "Fleet", chargePointModel: "Sim-22", chargePointSerialNumber: "SN-000001",
            chargeBoxSerialNumber: "CB-000001", firmwareVersion: "1.2.3", iccid: "8931440400000000001",
            imsi: "204080000000001", meterType: "Sim meter", meterSerialNumber: "MSN-1")),
        .response(to: V.BootNotificationRequest.self, "rich", V.BootNotificationResponse(status: .accepted, currentTime: t0, interval: 300)),
        .request("rich", V.ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)),
        .response(to: V.ChangeAvailabilityRequest.self, "rich", V.ChangeAvailabilityResponse(status: .scheduled)),
        .request("rich", V.ChangeConfigurationRequest(key: "HeartbeatInterval", value: "300")),
        .response(to: V.ChangeConfigurationRequest.self, "rich", V.ChangeConfigurationResponse(status: .rebootRequired)),
        .request("rich", V.ClearCacheRequest()),
        .response(to: V.ClearCacheRequest.self, "rich", V.ClearCacheResponse(status: .accepted)),
        .request("rich", V.DataTransferRequest(vendorId: "com.example.fleet", messageId: "SetTariff",
                                               data: #"{"price":"0.25 €","note":"line\nbreak \"quoted\" 🚗"}"#)),
        .response(to: V.DataTransferRequest.self, "rich", V.DataTransferResponse(status: .accepted, data: "ok")),
        .request("rich", V.GetConfigurationRequest(key: ["HeartbeatInterval", "MeterValueSampleInterval"])),
        .response(to: V.GetConfigurationRequest.self, "rich", V.GetConfigurationResponse(
            configurationKey: [V.KeyValue(key: "HeartbeatInterval", readonly: false, value: "300"),
                               V.KeyValue(key: "ChargeProfileMaxStackLevel", readonly: true, value: "8")],
            unknownKey: ["NoSuchKey"])),
        .request("rich", V.HeartbeatRequest()),
        .response(to: V.HeartbeatRequest.self, "rich", V.HeartbeatResponse(currentTime: t0)),
        .request("rich", V.MeterValuesRequest(connectorId: 1, transactionId: 42, meterValue: [
            V.MeterValue(timestamp: t0, sampledValue: [
                sampledValue,
                V.SampledValue(value: "230.1", measurand: .voltage, phase: .l1N, unit: .v),
                V.SampledValue(value: "50.0", measurand: .frequency, unit: .hertz),
            ]),
            V.MeterValue(timestamp: t1, sampledValue: [V.SampledValue(value: "1240.0")]),
        ])),
        .response(to: V.MeterValuesRequest.self, "rich", V.MeterValuesResponse()),
        .request("rich", V.RemoteStartTransactionRequest(connectorId: 1, idTag: "04A2B3C4D5E6F7", chargingProfile: chargingProfile)),
        .response(to: V.RemoteStartTransactionRequest.self, "rich", V.RemoteStartTransactionResponse(status: .accepted)),
        .request("rich", V.RemoteStopTransactionRequest(transactionId: 42)),
        .response(to: V.RemoteStopTransactionRequest.self, "rich", V.RemoteStopTransactionResponse(status: .rejected)),
        .request("rich", V.ResetRequest(type: .soft)),
        .response(to: V.ResetRequest.self, "rich", V.ResetResponse(status: .accepted)),
        .request("rich", V.StartTransactionRequest(connectorId: 1, idTag: "04A2B3C4D5E6F7", meterStart: 1_234_000,
                                                   reservationId: 9, timestamp: t0)),
        .response(to: V.StartTransactionRequest.self, "rich", V.StartTransactionResponse(idTagInfo: idTagInfo, transactionId: 42)),
        .request("rich", V.StatusNotificationRequest(connectorId: 2, errorCode: .groundFailure, info: "RCD tripped",
                                                     status: .faulted, timestamp: t0, vendorId: "com.example.fleet",
                                                     vendorErrorCode: "E-17")),
        .response(to: V.StatusNotificationRequest.self, "rich", V.StatusNotificationResponse()),
        .request("rich", V.StopTransactionRequest(idTag: "04A2B3C4D5E6F7", meterStop: 1_250_000, timestamp: t1,
                                                  transactionId: 42, reason: .evDisconnected, transactionData: [
            V.MeterValue(timestamp: t0, sampledValue: [
                V.SampledValue(value: "1234000", context: .transactionBegin, format: .raw,
                               measurand: .energyActiveImportRegister, phase: .l1, location: .outlet, unit: .wh),
            ]),
            V.MeterValue(timestamp: t1, sampledValue: [
                V.SampledValue(value: "1250000", context: .transactionEnd, unit: .wh),
            ]),
        ])),
        .response(to: V.StopTransactionRequest.self, "rich", V.StopTransactionResponse(idTagInfo: idTagInfo)),
        .request("rich", V.UnlockConnectorRequest(connectorId: 1)),
        .response(to: V.UnlockConnectorRequest.self, "rich", V.UnlockConnectorResponse(status: .unlocked)),
    ]

    /// Only required fields, for the messages that have optional ones.
    static let minimal: [Sample] = [
        .response(to: V.AuthorizeRequest.self, "minimal", V.AuthorizeResponse(idTagInfo: V.IdTagInfo(status: .invalid))),
        .request("minimal", V.BootNotificationRequest(chargePointVendor: "Fleet", chargePointModel: "Sim-22")),
        .request("minimal", V.DataTransferRequest(vendorId: "com.example.fleet")),
        .response(to: V.DataTransferRequest.self, "minimal", V.DataTransferResponse(status: .unknownVendorId)),
        .request("minimal", V.GetConfigurationRequest()),
        .request("empty key list", V.GetConfigurationRequest(key: [])),
        .response(to: V.GetConfigurationRequest.self, "minimal", V.GetConfigurationResponse()),
        .response(to: V.GetConfigurationRequest.self, "key without value",
                  V.GetConfigurationResponse(configurationKey: [V.KeyValue(key: "AuthorizationKey", readonly: true)])),
        .request("minimal", V.MeterValuesRequest(connectorId: 0, meterValue: [
            V.MeterValue(timestamp: t0, sampledValue: [V.SampledValue(value: "0")]),
        ])),
        .request("minimal", V.RemoteStartTransactionRequest(idTag: "04A2B3C4D5E6F7")),
        .request("minimal profile", V.RemoteStartTransactionRequest(idTag: "T", chargingProfile: minimalChargingProfile)),
        .request("minimal", V.StartTransactionRequest(connectorId: 1, idTag: "T", meterStart: 0, timestamp: t0)),
        .response(to: V.StartTransactionRequest.self, "minimal", V.StartTransactionResponse(idTagInfo: V.IdTagInfo(status: .concurrentTx), transactionId: -1)),
        .request("minimal", V.StatusNotificationRequest(connectorId: 0, errorCode: .noError, status: .available)),
        .request("minimal", V.StopTransactionRequest(meterStop: 0, timestamp: t0, transactionId: 1)),
        .request("empty transactionData", V.StopTransactionRequest(meterStop: 0, timestamp: t0, transactionId: 1, transactionData: [
            V.MeterValue(timestamp: t0, sampledValue: []),
        ])),
        .response(to: V.StopTransactionRequest.self, "minimal", V.StopTransactionResponse()),
    ]

    /// Every case of every enum, each in a payload the schema must accept.
    static let enumCoverage: [Sample] = {
        var samples: [Sample] = []
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.AuthorizationStatus.self) { .response(to: V.AuthorizeRequest.self, $0.rawValue, V.AuthorizeResponse(idTagInfo: V.IdTagInfo(status: $0))) }
        each(V.RegistrationStatus.self) { .response(to: V.BootNotificationRequest.self, $0.rawValue, V.BootNotificationResponse(status: $0, currentTime: t0, interval: 60)) }
        each(V.AvailabilityType.self) { .request($0.rawValue, V.ChangeAvailabilityRequest(connectorId: 0, type: $0)) }
        each(V.AvailabilityStatus.self) { .response(to: V.ChangeAvailabilityRequest.self, $0.rawValue, V.ChangeAvailabilityResponse(status: $0)) }
        each(V.ConfigurationStatus.self) { .response(to: V.ChangeConfigurationRequest.self, $0.rawValue, V.ChangeConfigurationResponse(status: $0)) }
        each(V.ClearCacheStatus.self) { .response(to: V.ClearCacheRequest.self, $0.rawValue, V.ClearCacheResponse(status: $0)) }
        each(V.DataTransferStatus.self) { .response(to: V.DataTransferRequest.self, $0.rawValue, V.DataTransferResponse(status: $0)) }
        each(V.RemoteStartStopStatus.self) { .response(to: V.RemoteStartTransactionRequest.self, $0.rawValue, V.RemoteStartTransactionResponse(status: $0)) }
        each(V.RemoteStartStopStatus.self) { .response(to: V.RemoteStopTransactionRequest.self, $0.rawValue, V.RemoteStopTransactionResponse(status: $0)) }
        each(V.ResetType.self) { .request($0.rawValue, V.ResetRequest(type: $0)) }
        each(V.ResetStatus.self) { .response(to: V.ResetRequest.self, $0.rawValue, V.ResetResponse(status: $0)) }
        each(V.ChargePointErrorCode.self) { .request($0.rawValue, V.StatusNotificationRequest(connectorId: 1, errorCode: $0, status: .faulted)) }
        each(V.ChargePointStatus.self) { .request($0.rawValue, V.StatusNotificationRequest(connectorId: 1, errorCode: .noError, status: $0)) }
        each(V.StopReason.self) { .request($0.rawValue, V.StopTransactionRequest(meterStop: 1, timestamp: t0, transactionId: 1, reason: $0)) }
        each(V.UnlockStatus.self) { .response(to: V.UnlockConnectorRequest.self, $0.rawValue, V.UnlockConnectorResponse(status: $0)) }
        func profile(_ change: (inout V.ChargingProfile) -> Void) -> V.RemoteStartTransactionRequest {
            var profile = minimalChargingProfile
            change(&profile)
            return V.RemoteStartTransactionRequest(idTag: "T", chargingProfile: profile)
        }
        each(V.ChargingProfilePurposeType.self) { p in .request(p.rawValue, profile { $0.chargingProfilePurpose = p }) }
        each(V.ChargingProfileKindType.self) { k in .request(k.rawValue, profile { $0.chargingProfileKind = k }) }
        each(V.RecurrencyKindType.self) { r in .request(r.rawValue, profile { $0.chargingProfileKind = .recurring; $0.recurrencyKind = r }) }
        each(V.ChargingRateUnitType.self) { u in .request(u.rawValue, profile { $0.chargingSchedule.chargingRateUnit = u }) }
        // Sampled value enums: one MeterValues.req per enum, one StopTransaction.req with every one.
        let sampled: [(String, [V.SampledValue])] = [
            ("contexts", V.ReadingContext.allCases.map { V.SampledValue(value: "1", context: $0) }),
            ("formats", V.ValueFormat.allCases.map { V.SampledValue(value: "1", format: $0) }),
            ("measurands", V.Measurand.allCases.map { V.SampledValue(value: "1", measurand: $0) }),
            ("phases", V.Phase.allCases.map { V.SampledValue(value: "1", phase: $0) }),
            ("locations", V.Location.allCases.map { V.SampledValue(value: "1", location: $0) }),
            ("units", V.UnitOfMeasure.allCases.map { V.SampledValue(value: "1", unit: $0) }),
        ]
        for (label, values) in sampled {
            samples.append(.request(label, V.MeterValuesRequest(connectorId: 1, meterValue: [V.MeterValue(timestamp: t0, sampledValue: values)])))
            let allowed = values.filter { $0.unit != .hertz }
            samples.append(.request(label, V.StopTransactionRequest(meterStop: 1, timestamp: t0, transactionId: 1,
                                                                    transactionData: [V.MeterValue(timestamp: t0, sampledValue: allowed)])))
        }
        return samples
    }()

    /// Samples of the profiles beyond Core, one file each (`Samples+<Profile>.swift`): every
    /// optional field set at least once, every enum case covered.
    static let profiles: [Sample] = smartCharging + firmware + localAuthList + reservation + remoteTrigger + security

    /// Samples whose every schema path is walked for constraint mutations.
    /// (A sample's name is "<Action>.req <label>": the label is what starts with "rich".)
    static let richest: [Sample] = rich + profiles.filter { $0.name.split(separator: " ", maxSplits: 1).last?.hasPrefix("rich") == true }

    static let all = rich + minimal + enumCoverage + profiles
}
