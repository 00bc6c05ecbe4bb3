@testable import OCPP

extension Samples {
    static let signingCertificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUfleet\n-----END CERTIFICATE-----\n"

    /// Firmware samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let firmware: [Sample] = {
        var samples: [Sample] = [
            .request("rich", V.UpdateFirmwareRequest(location: "https://fw.example.com/sim-22/sim-22-2.0.1.bin", retries: 3,
                                                     retrieveDate: t0, retryInterval: 120)),
            .response(to: V.UpdateFirmwareRequest.self, "rich", V.UpdateFirmwareResponse()),
            .request("minimal", V.UpdateFirmwareRequest(location: "ftp://fw.example.com/fw.bin", retrieveDate: t1)),

            .request("rich", V.GetDiagnosticsRequest(location: "ftp://diag.example.com/upload/", retries: 2, retryInterval: 30,
                                                     startTime: t0, stopTime: t1)),
            .response(to: V.GetDiagnosticsRequest.self, "rich", V.GetDiagnosticsResponse(fileName: "diagnostics-CP-0001-20261126T013139Z.log")),
            .request("minimal", V.GetDiagnosticsRequest(location: "ftp://diag.example.com/upload/")),
            .response(to: V.GetDiagnosticsRequest.self, "minimal", V.GetDiagnosticsResponse()),

            .request("rich", V.FirmwareStatusNotificationRequest(status: .installed)),
            .response(to: V.FirmwareStatusNotificationRequest.self, "rich", V.FirmwareStatusNotificationResponse()),
            .request("rich", V.DiagnosticsStatusNotificationRequest(status: .uploaded)),
            .response(to: V.DiagnosticsStatusNotificationRequest.self, "rich", V.DiagnosticsStatusNotificationResponse()),

            .request("rich", V.GetLogRequest(
                log: V.LogParameters(remoteLocation: "https://logs.example.com/upload", oldestTimestamp: t0, latestTimestamp: t1),
                logType: .securityLog, requestId: 17, retries: 2, retryInterval: 60)),
            .response(to: V.GetLogRequest.self, "rich", V.GetLogResponse(status: .acceptedCanceled, filename: "security-CP-0001.log")),
            .request("minimal", V.GetLogRequest(log: V.LogParameters(remoteLocation: "https://logs.example.com/upload"),
                                                logType: .diagnosticsLog, requestId: -1)),
            .response(to: V.GetLogRequest.self, "minimal", V.GetLogResponse(status: .rejected)),

            .request("rich", V.LogStatusNotificationRequest(status: .uploadFailure, requestId: 17)),
            .response(to: V.LogStatusNotificationRequest.self, "rich", V.LogStatusNotificationResponse()),
            .request("minimal", V.LogStatusNotificationRequest(status: .idle)),

            .request("rich", V.SignedUpdateFirmwareRequest(retries: 3, retryInterval: 300, requestId: 42, firmware: V.Firmware(
                location: "https://fw.example.com/sim-22-2.1.0.bin", retrieveDateTime: t0, installDateTime: t1,
                signingCertificate: signingCertificate, signature: "MEUCIQDfleetsignature=="))),
            .response(to: V.SignedUpdateFirmwareRequest.self, "rich", V.SignedUpdateFirmwareResponse(status: .accepted)),
            .request("minimal", V.SignedUpdateFirmwareRequest(requestId: 1, firmware: V.Firmware(
                location: "https://fw.example.com/a.bin", retrieveDateTime: t0, signingCertificate: "", signature: ""))),

            .request("rich", V.SignedFirmwareStatusNotificationRequest(status: .signatureVerified, requestId: 42)),
            .response(to: V.SignedFirmwareStatusNotificationRequest.self, "rich", V.SignedFirmwareStatusNotificationResponse()),
            .request("minimal", V.SignedFirmwareStatusNotificationRequest(status: .idle)),
        ]
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.FirmwareStatus.self) { .request($0.rawValue, V.FirmwareStatusNotificationRequest(status: $0)) }
        each(V.DiagnosticsStatus.self) { .request($0.rawValue, V.DiagnosticsStatusNotificationRequest(status: $0)) }
        each(V.LogType.self) { .request($0.rawValue, V.GetLogRequest(log: V.LogParameters(remoteLocation: "ftp://x/"), logType: $0, requestId: 1)) }
        each(V.LogStatus.self) { .response(to: V.GetLogRequest.self, $0.rawValue, V.GetLogResponse(status: $0)) }
        each(V.UploadLogStatus.self) { .request($0.rawValue, V.LogStatusNotificationRequest(status: $0, requestId: 1)) }
        each(V.UpdateFirmwareStatus.self) { .response(to: V.SignedUpdateFirmwareRequest.self, $0.rawValue, V.SignedUpdateFirmwareResponse(status: $0)) }
        each(V.SignedFirmwareStatus.self) { .request($0.rawValue, V.SignedFirmwareStatusNotificationRequest(status: $0, requestId: 1)) }
        return samples
    }()
}
