@testable import OCPP

extension Samples {
    /// A PEM-shaped text: the wire layer checks lengths and types, not the certificate in it.
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGUgc2FtcGxl\n-----END CERTIFICATE-----\n"

    static let hashData = V16.CertificateHashData(
        hashAlgorithm: .sha256,
        issuerNameHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        issuerKeyHash: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
        serialNumber: "FFF")

    /// Security samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let security: [Sample] = {
        typealias V = V16
        var samples: [Sample] = [
            .request("rich", V.CertificateSignedRequest(certificateChain: pem + pem)),
            .response(to: V.CertificateSignedRequest.self, "rich", V.CertificateSignedResponse(status: .accepted)),
            .request("rich", V.DeleteCertificateRequest(certificateHashData: hashData)),
            .response(to: V.DeleteCertificateRequest.self, "rich", V.DeleteCertificateResponse(status: .notFound)),
            .request("rich", V.GetInstalledCertificateIdsRequest(certificateType: .centralSystemRootCertificate)),
            .response(to: V.GetInstalledCertificateIdsRequest.self, "rich", V.GetInstalledCertificateIdsResponse(
                status: .accepted,
                certificateHashData: [hashData, V.CertificateHashData(hashAlgorithm: .sha512, issuerNameHash: string(length: 128, of: "a"),
                                                                      issuerKeyHash: string(length: 128, of: "b"), serialNumber: "1")])),
            .request("rich", V.InstallCertificateRequest(certificateType: .manufacturerRootCertificate, certificate: pem)),
            .response(to: V.InstallCertificateRequest.self, "rich", V.InstallCertificateResponse(status: .rejected)),
            .request("rich", V.SecurityEventNotificationRequest(type: "ResetOrReboot", timestamp: t0,
                                                                techInfo: "Reset.req Hard from the Central System")),
            .response(to: V.SecurityEventNotificationRequest.self, "rich", V.SecurityEventNotificationResponse()),
            .request("rich", V.SignCertificateRequest(csr: "-----BEGIN CERTIFICATE REQUEST-----\nMIIBDTCBtAIBADBS\n-----END CERTIFICATE REQUEST-----\n")),
            .response(to: V.SignCertificateRequest.self, "rich", V.SignCertificateResponse(status: .accepted)),
            // Minimal payloads.
            .request("minimal", V.SecurityEventNotificationRequest(type: "StartupOfTheDevice", timestamp: t1)),
            .request("vendor event", V.SecurityEventNotificationRequest(type: "com.example.DoorOpened", timestamp: t1)),
            .response(to: V.GetInstalledCertificateIdsRequest.self, "minimal", V.GetInstalledCertificateIdsResponse(status: .notFound)),
            .request("empty chain", V.CertificateSignedRequest(certificateChain: "")),
        ]
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.CertificateSignedStatus.self) { .response(to: V.CertificateSignedRequest.self, $0.rawValue, V.CertificateSignedResponse(status: $0)) }
        each(V.DeleteCertificateStatus.self) { .response(to: V.DeleteCertificateRequest.self, $0.rawValue, V.DeleteCertificateResponse(status: $0)) }
        each(V.HashAlgorithm.self) { algorithm in
            var data = hashData
            data.hashAlgorithm = algorithm
            return .request(algorithm.rawValue, V.DeleteCertificateRequest(certificateHashData: data))
        }
        each(V.CertificateUse.self) { .request($0.rawValue, V.GetInstalledCertificateIdsRequest(certificateType: $0)) }
        each(V.CertificateUse.self) { .request($0.rawValue, V.InstallCertificateRequest(certificateType: $0, certificate: pem)) }
        each(V.GetInstalledCertificateStatus.self) { .response(to: V.GetInstalledCertificateIdsRequest.self, $0.rawValue,
                                                               V.GetInstalledCertificateIdsResponse(status: $0, certificateHashData: [hashData])) }
        each(V.InstallCertificateStatus.self) { .response(to: V.InstallCertificateRequest.self, $0.rawValue, V.InstallCertificateResponse(status: $0)) }
        each(V.GenericStatus.self) { .response(to: V.SignCertificateRequest.self, $0.rawValue, V.SignCertificateResponse(status: $0)) }
        samples += V.SecurityEventType.allCases.map {
            .request($0.rawValue, V.SecurityEventNotificationRequest(type: $0.rawValue, timestamp: t0))
        }
        return samples
    }()
}
