/// OCPP 1.6J message set. One file per action holds its request, response and enums
/// (`BootNotification.swift`); 2.0.1 will live beside it in `V201/`.
public enum V16 {
    /// The WebSocket subprotocol a 1.6J charge point offers (OCPP-J 1.6 §3.1.2).
    public static let subprotocol = "ocpp1.6"

    /// Every action of OCPP 1.6 and its security extension, with its feature profile.
    /// An action missing here is unknown (NotImplemented); one here that an engine does not
    /// handle yet is known but unsupported (NotSupported).
    public enum Action: String, Sendable, CaseIterable {
        // Core
        case authorize = "Authorize"
        case bootNotification = "BootNotification"
        case changeAvailability = "ChangeAvailability"
        case changeConfiguration = "ChangeConfiguration"
        case clearCache = "ClearCache"
        case dataTransfer = "DataTransfer"
        case getConfiguration = "GetConfiguration"
        case heartbeat = "Heartbeat"
        case meterValues = "MeterValues"
        case remoteStartTransaction = "RemoteStartTransaction"
        case remoteStopTransaction = "RemoteStopTransaction"
        case reset = "Reset"
        case startTransaction = "StartTransaction"
        case statusNotification = "StatusNotification"
        case stopTransaction = "StopTransaction"
        case unlockConnector = "UnlockConnector"
        // Firmware Management
        case diagnosticsStatusNotification = "DiagnosticsStatusNotification"
        case firmwareStatusNotification = "FirmwareStatusNotification"
        case getDiagnostics = "GetDiagnostics"
        case updateFirmware = "UpdateFirmware"
        // Local Auth List Management
        case getLocalListVersion = "GetLocalListVersion"
        case sendLocalList = "SendLocalList"
        // Reservation
        case cancelReservation = "CancelReservation"
        case reserveNow = "ReserveNow"
        // Smart Charging
        case clearChargingProfile = "ClearChargingProfile"
        case getCompositeSchedule = "GetCompositeSchedule"
        case setChargingProfile = "SetChargingProfile"
        // Remote Trigger
        case triggerMessage = "TriggerMessage"
        // Security extension
        case certificateSigned = "CertificateSigned"
        case deleteCertificate = "DeleteCertificate"
        case extendedTriggerMessage = "ExtendedTriggerMessage"
        case getInstalledCertificateIds = "GetInstalledCertificateIds"
        case getLog = "GetLog"
        case installCertificate = "InstallCertificate"
        case logStatusNotification = "LogStatusNotification"
        case securityEventNotification = "SecurityEventNotification"
        case signCertificate = "SignCertificate"
        case signedFirmwareStatusNotification = "SignedFirmwareStatusNotification"
        case signedUpdateFirmware = "SignedUpdateFirmware"
    }
}
