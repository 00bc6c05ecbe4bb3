extension V16.Action {
    /// Whether the action belongs to the Core feature profile (OCPP 1.6 edition 2 §3.3), which every
    /// 1.6 charge point and central system must implement.
    public var isCore: Bool {
        switch self {
        case .authorize, .bootNotification, .changeAvailability, .changeConfiguration, .clearCache,
             .dataTransfer, .getConfiguration, .heartbeat, .meterValues, .remoteStartTransaction,
             .remoteStopTransaction, .reset, .startTransaction, .statusNotification, .stopTransaction,
             .unlockConnector:
            return true
        case .diagnosticsStatusNotification, .firmwareStatusNotification, .getDiagnostics, .updateFirmware,
             .getLocalListVersion, .sendLocalList, .cancelReservation, .reserveNow, .clearChargingProfile,
             .getCompositeSchedule, .setChargingProfile, .triggerMessage, .certificateSigned,
             .deleteCertificate, .extendedTriggerMessage, .getInstalledCertificateIds, .getLog,
             .installCertificate, .logStatusNotification, .securityEventNotification, .signCertificate,
             .signedFirmwareStatusNotification, .signedUpdateFirmware:
            return false
        }
    }

    /// Whether a charge point sends this action as a CALL (OCPP 1.6 §4, "Operations
    /// Initiated by Charge Point"); false means only the central system does (§5).
    ///
    /// DataTransfer is the one action both sides initiate (§4.3 and §5.6): it is `true`
    /// here, so a charge point must also accept it as a CALL; `!initiatedByChargePoint` is not
    /// the test for "a central system may send this". Security-extension actions follow the
    /// "Improved security for OCPP 1.6-J" whitepaper.
    public var initiatedByChargePoint: Bool {
        switch self {
        case .authorize, .bootNotification, .dataTransfer, .heartbeat, .meterValues, .startTransaction,
             .statusNotification, .stopTransaction, .diagnosticsStatusNotification, .firmwareStatusNotification,
             .logStatusNotification, .securityEventNotification, .signCertificate,
             .signedFirmwareStatusNotification:
            return true
        case .changeAvailability, .changeConfiguration, .clearCache, .getConfiguration,
             .remoteStartTransaction, .remoteStopTransaction, .reset, .unlockConnector, .getDiagnostics,
             .updateFirmware, .getLocalListVersion, .sendLocalList, .cancelReservation, .reserveNow,
             .clearChargingProfile, .getCompositeSchedule, .setChargingProfile, .triggerMessage,
             .certificateSigned, .deleteCertificate, .extendedTriggerMessage, .getInstalledCertificateIds,
             .getLog, .installCertificate, .signedUpdateFirmware:
            return false
        }
    }
}

extension V16.Action {
    /// The typed request and response of each action this package models, so a receiver
    /// (or a test) can decode any payload by action; nil for actions not modelled yet.
    public var payloadTypes: (request: any OCPPPayload.Type, response: any OCPPPayload.Type)? {
        switch self {
        case .authorize: (V16.AuthorizeRequest.self, V16.AuthorizeResponse.self)
        case .bootNotification: (V16.BootNotificationRequest.self, V16.BootNotificationResponse.self)
        case .changeAvailability: (V16.ChangeAvailabilityRequest.self, V16.ChangeAvailabilityResponse.self)
        case .changeConfiguration: (V16.ChangeConfigurationRequest.self, V16.ChangeConfigurationResponse.self)
        case .clearCache: (V16.ClearCacheRequest.self, V16.ClearCacheResponse.self)
        case .dataTransfer: (V16.DataTransferRequest.self, V16.DataTransferResponse.self)
        case .getConfiguration: (V16.GetConfigurationRequest.self, V16.GetConfigurationResponse.self)
        case .heartbeat: (V16.HeartbeatRequest.self, V16.HeartbeatResponse.self)
        case .meterValues: (V16.MeterValuesRequest.self, V16.MeterValuesResponse.self)
        case .remoteStartTransaction: (V16.RemoteStartTransactionRequest.self, V16.RemoteStartTransactionResponse.self)
        case .remoteStopTransaction: (V16.RemoteStopTransactionRequest.self, V16.RemoteStopTransactionResponse.self)
        case .reset: (V16.ResetRequest.self, V16.ResetResponse.self)
        case .startTransaction: (V16.StartTransactionRequest.self, V16.StartTransactionResponse.self)
        case .statusNotification: (V16.StatusNotificationRequest.self, V16.StatusNotificationResponse.self)
        case .stopTransaction: (V16.StopTransactionRequest.self, V16.StopTransactionResponse.self)
        case .unlockConnector: (V16.UnlockConnectorRequest.self, V16.UnlockConnectorResponse.self)
        // Firmware Management
        case .diagnosticsStatusNotification: (V16.DiagnosticsStatusNotificationRequest.self, V16.DiagnosticsStatusNotificationResponse.self)
        case .firmwareStatusNotification: (V16.FirmwareStatusNotificationRequest.self, V16.FirmwareStatusNotificationResponse.self)
        case .getDiagnostics: (V16.GetDiagnosticsRequest.self, V16.GetDiagnosticsResponse.self)
        case .updateFirmware: (V16.UpdateFirmwareRequest.self, V16.UpdateFirmwareResponse.self)
        // Local Auth List Management
        case .getLocalListVersion: (V16.GetLocalListVersionRequest.self, V16.GetLocalListVersionResponse.self)
        case .sendLocalList: (V16.SendLocalListRequest.self, V16.SendLocalListResponse.self)
        // Reservation
        case .cancelReservation: (V16.CancelReservationRequest.self, V16.CancelReservationResponse.self)
        case .reserveNow: (V16.ReserveNowRequest.self, V16.ReserveNowResponse.self)
        // Smart Charging
        case .clearChargingProfile: (V16.ClearChargingProfileRequest.self, V16.ClearChargingProfileResponse.self)
        case .getCompositeSchedule: (V16.GetCompositeScheduleRequest.self, V16.GetCompositeScheduleResponse.self)
        case .setChargingProfile: (V16.SetChargingProfileRequest.self, V16.SetChargingProfileResponse.self)
        // Remote Trigger
        case .triggerMessage: (V16.TriggerMessageRequest.self, V16.TriggerMessageResponse.self)
        // Security extension: firmware, logs and triggers
        case .extendedTriggerMessage: (V16.ExtendedTriggerMessageRequest.self, V16.ExtendedTriggerMessageResponse.self)
        case .getLog: (V16.GetLogRequest.self, V16.GetLogResponse.self)
        case .logStatusNotification: (V16.LogStatusNotificationRequest.self, V16.LogStatusNotificationResponse.self)
        case .signedFirmwareStatusNotification: (V16.SignedFirmwareStatusNotificationRequest.self, V16.SignedFirmwareStatusNotificationResponse.self)
        case .signedUpdateFirmware: (V16.SignedUpdateFirmwareRequest.self, V16.SignedUpdateFirmwareResponse.self)
        // Security extension: certificates and events
        case .certificateSigned: (V16.CertificateSignedRequest.self, V16.CertificateSignedResponse.self)
        case .deleteCertificate: (V16.DeleteCertificateRequest.self, V16.DeleteCertificateResponse.self)
        case .getInstalledCertificateIds: (V16.GetInstalledCertificateIdsRequest.self, V16.GetInstalledCertificateIdsResponse.self)
        case .installCertificate: (V16.InstallCertificateRequest.self, V16.InstallCertificateResponse.self)
        case .securityEventNotification: (V16.SecurityEventNotificationRequest.self, V16.SecurityEventNotificationResponse.self)
        case .signCertificate: (V16.SignCertificateRequest.self, V16.SignCertificateResponse.self)
        }
    }
}
