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
