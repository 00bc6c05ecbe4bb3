import ChargePoint
import OCPP
import Testing

/// Firmware Management (OCPP 1.6 §5.9, §5.19, §4.4, §4.5) and the security extension's
/// GetLog and SignedUpdateFirmware, on the virtual clock.
@Suite("Firmware Management and log upload")
struct FirmwareTests {
    static let location = "https://fw.example.com/sim-22/sim-22-2.0.1.bin?token=abc"
    static let certificate = "-----BEGIN CERTIFICATE-----\nMIIBfleet\n-----END CERTIFICATE-----\n"

    static func settings(_ change: (inout FileTransferBehaviour) -> Void = { _ in }, seed: UInt64 = 0) -> EngineSettings {
        var behaviour = FileTransferBehaviour()
        change(&behaviour)
        return EngineSettings(fileTransfer: behaviour, seed: seed)
    }

    static func firmwareStatuses(_ csms: ScriptedCSMS) throws -> [V16.FirmwareStatus] {
        try csms.decoded(V16.FirmwareStatusNotificationRequest.self).map(\.status)
    }

    static func signedStatuses(_ csms: ScriptedCSMS) throws -> [V16.SignedFirmwareStatus] {
        try csms.decoded(V16.SignedFirmwareStatusNotificationRequest.self).map(\.status)
    }

    /// When each notification of `action` was sent, relative to `origin`, in seconds.
    static func times(_ csms: ScriptedCSMS, _ action: V16.Action, from origin: Timestamp) -> [Double] {
        csms.calls(action).map { ($0.sentAt - origin).seconds }
    }

    // MARK: UpdateFirmware

    @Test("UpdateFirmware downloads at retrieveDate, installs, reboots and boots with the version named by the file")
    func fullUpdate() throws {
        var csms = ScriptedCSMS.booted()
        let retrieve = csms.now + .seconds(3600)
        _ = try csms.call(V16.UpdateFirmwareRequest(location: Self.location, retrieveDate: retrieve))
        #expect(csms.engine.firmwareVersion == "1.2.3")
        csms.advance(to: retrieve + .seconds(-1))
        #expect(csms.calls(.firmwareStatusNotification).isEmpty)
        csms.advance(by: .seconds(1))
        #expect(try Self.firmwareStatuses(csms) == [.downloading])
        // Downloaded after 30 s; with no transaction the installation follows at once.
        csms.advance(by: .seconds(30))
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded, .installing])
        #expect(csms.engine.status(ofConnector: 1) == .unavailable)
        #expect(try csms.statuses(2).last == .unavailable)
        #expect(csms.reboots.isEmpty)
        csms.advance(by: .seconds(60))
        #expect(csms.reboots == [retrieve + .seconds(90)])
        csms.advance(by: .seconds(5))

        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded, .installing, .installed])
        #expect(Self.times(csms, .firmwareStatusNotification, from: retrieve) == [0, 30, 30, 91])
        let boots = try csms.decoded(V16.BootNotificationRequest.self)
        #expect(boots.map(\.firmwareVersion) == ["1.2.3", "sim-22-2.0.1"])
        #expect(csms.engine.firmwareVersion == "sim-22-2.0.1")
        // Installed follows the new boot; the connectors are available again.
        let order = csms.actions
        let lastBoot = try #require(order.lastIndex(of: "BootNotification"))
        #expect(order.lastIndex(of: "FirmwareStatusNotification").map { $0 > lastBoot } == true)
        #expect(csms.engine.isAccepted)
        #expect((0...2).map { csms.engine.status(ofConnector: $0) } == [.available, .available, .available])

        // Nothing runs any more: a triggered FirmwareStatusNotification says Idle.
        #expect(try csms.call(V16.TriggerMessageRequest(requestedMessage: .firmwareStatusNotification)).status == .accepted)
        #expect(try Self.firmwareStatuses(csms).last == .idle)
    }

    @Test("A failed download is retried `retries` times, retryInterval apart, then reported DownloadFailed once")
    func downloadFailureWithRetries() throws {
        var csms = ScriptedCSMS.booted(settings: Self.settings { $0.downloadFailure = 1 })
        let start = csms.now
        _ = try csms.call(V16.UpdateFirmwareRequest(location: Self.location, retries: 2, retrieveDate: start, retryInterval: 600))
        #expect(try Self.firmwareStatuses(csms) == [.downloading])
        // While it retries, a trigger still says Downloading.
        csms.advance(by: .seconds(100))
        #expect(try csms.call(V16.TriggerMessageRequest(requestedMessage: .firmwareStatusNotification)).status == .accepted)
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloading])
        csms.advance(by: .seconds(2000))
        // Three attempts of 30 s with two waits of 600 s.
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloading, .downloadFailed])
        #expect(Self.times(csms, .firmwareStatusNotification, from: start) == [0, 100, 30 + 600 + 30 + 600 + 30])
        #expect(csms.reboots.isEmpty)
        #expect(csms.engine.firmwareVersion == "1.2.3")
        #expect(try csms.statuses(1) == [.available])
    }

    @Test("A location whose protocol is not supported fails its download")
    func unsupportedProtocol() throws {
        var csms = ScriptedCSMS.booted()
        _ = try csms.call(V16.UpdateFirmwareRequest(location: "mailto:fw@example.com", retries: 0, retrieveDate: csms.now))
        csms.advance(by: .seconds(60))
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloadFailed])
    }

    @Test("A failed installation reboots into the old firmware and reports InstallationFailed after the boot")
    func installationFailed() throws {
        var csms = ScriptedCSMS.booted(settings: Self.settings { $0.installFailure = 1 })
        _ = try csms.call(V16.UpdateFirmwareRequest(location: Self.location, retrieveDate: csms.now))
        csms.advance(by: .seconds(120))
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded, .installing, .installationFailed])
        #expect(csms.reboots.count == 1)
        #expect(try csms.decoded(V16.BootNotificationRequest.self).map(\.firmwareVersion) == ["1.2.3", "1.2.3"])
    }

    @Test("Installation waits for the running transaction; meanwhile no new transaction starts")
    func installWaitsForTransaction() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        _ = try csms.call(V16.UpdateFirmwareRequest(location: Self.location, retrieveDate: csms.now))
        csms.advance(by: .seconds(30))
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded])
        // The idle connector is held: Unavailable, no card, no remote start.
        #expect(csms.engine.status(ofConnector: 2) == .unavailable)
        csms.plugIn(2)
        csms.present("TAG-2", on: 2)
        #expect(csms.events.contains(.authorizationFailed(connector: 2)))
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "TAG-2")).status == .rejected)
        #expect(csms.calls(.startTransaction).count == 1)
        csms.advance(by: .seconds(3600))
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded])
        #expect(csms.engine.status(ofConnector: 1) == .charging)

        let stopAt = csms.now
        csms.present("TAG-1", on: 1)
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded, .installing])
        #expect(Self.times(csms, .firmwareStatusNotification, from: stopAt).last == 0)
        let actions = csms.actions
        #expect(try #require(actions.firstIndex(of: "StopTransaction")) < #require(actions.lastIndex(of: "FirmwareStatusNotification")))
        #expect(csms.engine.status(ofConnector: 1) == .unavailable)
        csms.advance(by: .seconds(70))
        #expect(csms.reboots == [stopAt + .seconds(60)])
        #expect(try Self.firmwareStatuses(csms).last == .installed)
    }

    @Test("A new UpdateFirmware replaces one still downloading, and releases held connectors")
    func updateReplaced() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        _ = try csms.call(V16.UpdateFirmwareRequest(location: "https://fw.example.com/a-1.0.bin", retrieveDate: csms.now))
        csms.advance(by: .seconds(40))
        #expect(csms.engine.status(ofConnector: 2) == .unavailable)
        let later = csms.now + .seconds(3600)
        _ = try csms.call(V16.UpdateFirmwareRequest(location: "https://fw.example.com/b-2.0.bin", retrieveDate: later))
        #expect(csms.engine.status(ofConnector: 2) == .available)
        csms.present("TAG-1", on: 1)
        csms.advance(to: later + .seconds(200))
        #expect(try Self.firmwareStatuses(csms) == [.downloading, .downloaded, .downloading, .downloaded, .installing, .installed])
        #expect(csms.engine.firmwareVersion == "b-2.0")
    }

    @Test("The firmware version comes from the location's file name", arguments: [
        ("https://fw.example.com/sim-22/sim-22-2.0.1.bin?token=abc", "sim-22-2.0.1"),
        ("ftp://fw.example.com/images/v3.tar.gz", "v3"),
        ("http://fw.example.com/release-4.1#frag", "release-4.1"),
        ("https://fw.example.com/", "fw-"),
        ("https://fw.example.com", "fw-"),
    ])
    func versionFromLocation(location: String, expected: String) throws {
        var csms = ScriptedCSMS.booted()
        _ = try csms.call(V16.UpdateFirmwareRequest(location: location, retrieveDate: csms.now))
        csms.advance(by: .seconds(200))
        let version = try #require(csms.engine.firmwareVersion)
        if expected == "fw-" {
            #expect(version.hasPrefix("fw-") && version.count > 3)
        } else {
            #expect(version == expected)
        }
        #expect(try csms.decoded(V16.BootNotificationRequest.self).last?.firmwareVersion == version)
    }

    @Test("Outcomes come from the seed: the same seed repeats them exactly, other seeds differ")
    func seededOutcomes() throws {
        func run(seed: UInt64) throws -> [String] {
            var csms = ScriptedCSMS.booted(settings: Self.settings({ $0.downloadFailure = 0.5; $0.installFailure = 0.5 }, seed: seed))
            _ = try csms.call(V16.UpdateFirmwareRequest(location: Self.location, retries: 4, retrieveDate: csms.now, retryInterval: 10))
            csms.advance(by: .seconds(600))
            return csms.calls(.firmwareStatusNotification).map { "\(($0.sentAt - ScriptedCSMS.start).seconds) \($0.payload.text)" }
        }
        #expect(try run(seed: 7) == run(seed: 7))
        let outcomes = try (0..<8).map { try run(seed: $0) }
        #expect(Set(outcomes).count > 1)
    }

    // MARK: GetDiagnostics

    @Test("GetDiagnostics names the file, then reports Uploading and Uploaded")
    func diagnosticsUploaded() throws {
        var csms = ScriptedCSMS.booted()
        let start = csms.now
        let answer = try csms.call(V16.GetDiagnosticsRequest(location: "ftp://diag.example.com/in/",
                                                             startTime: start + .seconds(-86_400), stopTime: start))
        #expect(answer.fileName == "diagnostics-CP-0001-20260528T202640Z.log")
        #expect(try csms.decoded(V16.DiagnosticsStatusNotificationRequest.self).map(\.status) == [.uploading])
        #expect(try csms.call(V16.TriggerMessageRequest(requestedMessage: .diagnosticsStatusNotification)).status == .accepted)
        csms.advance(by: .seconds(10))
        #expect(try csms.decoded(V16.DiagnosticsStatusNotificationRequest.self).map(\.status) == [.uploading, .uploading, .uploaded])
        #expect(Self.times(csms, .diagnosticsStatusNotification, from: start) == [0, 0, 10])
        #expect(try csms.call(V16.TriggerMessageRequest(requestedMessage: .diagnosticsStatusNotification)).status == .accepted)
        #expect(try csms.decoded(V16.DiagnosticsStatusNotificationRequest.self).last?.status == .idle)
    }

    @Test("A failed upload is retried, then reported UploadFailed")
    func diagnosticsUploadFailed() throws {
        var csms = ScriptedCSMS.booted(settings: Self.settings { $0.uploadFailure = 1 })
        let start = csms.now
        #expect(try csms.call(V16.GetDiagnosticsRequest(location: "https://diag.example.com/in", retries: 1, retryInterval: 60)).fileName != nil)
        csms.advance(by: .seconds(300))
        #expect(try csms.decoded(V16.DiagnosticsStatusNotificationRequest.self).map(\.status) == [.uploading, .uploadFailed])
        #expect(Self.times(csms, .diagnosticsStatusNotification, from: start) == [0, 10 + 60 + 10])
    }

    @Test("GetDiagnostics without data or to an unsupported protocol names no file and uploads nothing")
    func diagnosticsWithoutData() throws {
        var csms = ScriptedCSMS.booted()
        let now = csms.now
        #expect(try csms.call(V16.GetDiagnosticsRequest(location: "ftp://d/", startTime: now + .seconds(60))).fileName == nil)
        #expect(try csms.call(V16.GetDiagnosticsRequest(location: "ftp://d/", startTime: now + .seconds(-60),
                                                        stopTime: now + .seconds(-120))).fileName == nil)
        #expect(try csms.call(V16.GetDiagnosticsRequest(location: "scp://d/")).fileName == nil)
        csms.advance(by: .seconds(60))
        #expect(csms.calls(.diagnosticsStatusNotification).isEmpty)
    }

    // MARK: GetLog

    @Test("A second GetLog cancels the running upload: AcceptedCanceled, and only the new one reports")
    func getLogCancels() throws {
        var csms = ScriptedCSMS.booted()
        let first = try csms.call(V16.GetLogRequest(log: V16.LogParameters(remoteLocation: "https://logs.example.com/up"),
                                                    logType: .securityLog, requestId: 1))
        #expect(first.status == .accepted)
        #expect(first.filename == "security-CP-0001-20260528T202640Z.log")
        csms.advance(by: .seconds(5))
        let second = try csms.call(V16.GetLogRequest(log: V16.LogParameters(remoteLocation: "https://logs.example.com/up"),
                                                     logType: .diagnosticsLog, requestId: 2))
        #expect(second.status == .acceptedCanceled)
        #expect(second.filename?.hasPrefix("diagnostics-CP-0001-") == true)
        // The running upload is announced on ExtendedTriggerMessage with its requestId.
        #expect(try csms.call(V16.ExtendedTriggerMessageRequest(requestedMessage: .logStatusNotification)).status == .accepted)
        csms.advance(by: .seconds(60))
        let reports = try csms.decoded(V16.LogStatusNotificationRequest.self)
        #expect(reports.map(\.status) == [.uploading, .uploading, .uploading, .uploaded])
        #expect(reports.map(\.requestId) == [1, 2, 2, 2])
        // Idle, without a requestId, once nothing runs.
        #expect(try csms.call(V16.ExtendedTriggerMessageRequest(requestedMessage: .logStatusNotification)).status == .accepted)
        #expect(try csms.decoded(V16.LogStatusNotificationRequest.self).last == V16.LogStatusNotificationRequest(status: .idle))
    }

    @Test("GetLog to an unsupported protocol is Rejected; a failed upload ends in UploadFailure")
    func getLogRejectedAndFailed() throws {
        var csms = ScriptedCSMS.booted(settings: Self.settings { $0.uploadFailure = 1 })
        #expect(try csms.call(V16.GetLogRequest(log: V16.LogParameters(remoteLocation: "file:///tmp/x"),
                                                logType: .diagnosticsLog, requestId: 5)).status == .rejected)
        #expect(try csms.call(V16.GetLogRequest(log: V16.LogParameters(remoteLocation: "ftp://logs/"), logType: .diagnosticsLog,
                                                requestId: 6, retries: 0)).status == .accepted)
        csms.advance(by: .seconds(60))
        let reports = try csms.decoded(V16.LogStatusNotificationRequest.self)
        #expect(reports == [V16.LogStatusNotificationRequest(status: .uploading, requestId: 6),
                            V16.LogStatusNotificationRequest(status: .uploadFailure, requestId: 6)])
    }

    // MARK: SignedUpdateFirmware

    static func signedRequest(_ id: Int, retrieve: Timestamp, install: Timestamp? = nil, location: String = location,
                              certificate: String = certificate) -> V16.SignedUpdateFirmwareRequest {
        V16.SignedUpdateFirmwareRequest(requestId: id, firmware: V16.Firmware(
            location: location, retrieveDateTime: retrieve, installDateTime: install,
            signingCertificate: certificate, signature: "MEUCIQ=="))
    }

    @Test("SignedUpdateFirmware reports every step with its requestId, reboots and reports Installed after the boot")
    func signedUpdate() throws {
        var csms = ScriptedCSMS.booted()
        let start = csms.now
        let answer = try csms.call(Self.signedRequest(9, retrieve: start + .seconds(100), install: start + .seconds(1000)))
        #expect(answer.status == .accepted)
        csms.advance(by: .seconds(500))
        #expect(try Self.signedStatuses(csms) == [.downloadScheduled, .downloading, .downloaded, .signatureVerified, .installScheduled])
        #expect(try csms.call(V16.ExtendedTriggerMessageRequest(requestedMessage: .firmwareStatusNotification)).status == .accepted)
        #expect(try Self.signedStatuses(csms).last == .installScheduled)
        csms.advance(by: .seconds(600))
        #expect(try Self.signedStatuses(csms) == [.downloadScheduled, .downloading, .downloaded, .signatureVerified,
                                                  .installScheduled, .installScheduled, .installing, .installRebooting, .installed])
        #expect(try csms.decoded(V16.SignedFirmwareStatusNotificationRequest.self).allSatisfy { $0.requestId == 9 })
        #expect(Self.times(csms, .signedFirmwareStatusNotification, from: start) == [0, 100, 130, 130, 130, 500, 1000, 1060, 1061])
        #expect(csms.reboots == [start + .seconds(1060)])
        #expect(try csms.decoded(V16.BootNotificationRequest.self).last?.firmwareVersion == "sim-22-2.0.1")
        #expect(csms.calls(.firmwareStatusNotification).isEmpty)
    }

    @Test("A signed update reboots even when InstallRebooting gets no answer (after callTimeout)")
    func installRebootingUnanswered() throws {
        var csms = ScriptedCSMS.booted()
        let empty = ScriptedCSMS.Reply.result(.object([]))
        csms.script["SignedFirmwareStatusNotification"] = [empty, empty, empty, empty, .hold]
        let start = csms.now
        #expect(try csms.call(Self.signedRequest(8, retrieve: start)).status == .accepted)
        csms.advance(by: .seconds(200))
        #expect(try Self.signedStatuses(csms) == [.downloading, .downloaded, .signatureVerified, .installing,
                                                  .installRebooting, .installed])
        #expect(csms.events.contains(.callTimedOut(action: "SignedFirmwareStatusNotification")))
        #expect(csms.reboots == [start + .seconds(30 + 60 + 30)])
    }

    @Test("A signature that does not verify ends the update with InvalidSignature; nothing is installed")
    func invalidSignature() throws {
        var csms = ScriptedCSMS.booted(settings: Self.settings { $0.signatureFailure = 1 })
        #expect(try csms.call(Self.signedRequest(3, retrieve: csms.now)).status == .accepted)
        csms.advance(by: .seconds(600))
        let reports = try csms.decoded(V16.SignedFirmwareStatusNotificationRequest.self)
        #expect(reports.map(\.status) == [.downloading, .downloaded, .invalidSignature])
        #expect(reports.allSatisfy { $0.requestId == 3 })
        #expect(csms.reboots.isEmpty)
        #expect(csms.engine.firmwareVersion == "1.2.3")
        #expect(csms.engine.status(ofConnector: 1) == .available)
    }

    @Test("SignedUpdateFirmware answers InvalidCertificate, Rejected and AcceptedCanceled")
    func signedUpdateStatuses() throws {
        var csms = ScriptedCSMS.booted(settings: Self.settings { $0.installFailure = 1 })
        #expect(try csms.call(Self.signedRequest(1, retrieve: csms.now, certificate: "not a certificate")).status == .invalidCertificate)
        #expect(try csms.call(Self.signedRequest(2, retrieve: csms.now, location: "gopher://fw/")).status == .rejected)
        #expect(try csms.call(Self.signedRequest(3, retrieve: csms.now + .seconds(3600))).status == .accepted)
        #expect(try csms.call(Self.signedRequest(4, retrieve: csms.now)).status == .acceptedCanceled)
        csms.advance(by: .seconds(40))
        #expect(try Self.signedStatuses(csms).last == .installing)
        // An installation cannot be canceled.
        #expect(try csms.call(Self.signedRequest(5, retrieve: csms.now)).status == .rejected)
        csms.advance(by: .seconds(600))
        let reports = try csms.decoded(V16.SignedFirmwareStatusNotificationRequest.self)
        #expect(reports.map(\.status) == [.downloadScheduled, .downloading, .downloaded, .signatureVerified, .installing,
                                          .installationFailed])
        #expect(reports.map(\.requestId) == [3, 4, 4, 4, 4, 4])
        #expect(csms.reboots.isEmpty)
        #expect(csms.engine.status(ofConnector: 1) == .available)
    }
}
