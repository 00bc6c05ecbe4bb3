import OCPP

/// How simulated file transfers behave: durations and the odds that each step fails.
/// Outcomes are drawn from `EngineSettings.seed` (see `ChargePointV16.simulatedDraw`).
public struct FileTransferBehaviour: Sendable, Equatable {
    /// One firmware download attempt.
    public var downloadDuration: Interval
    /// Installing a downloaded firmware (before the reboot).
    public var installDuration: Interval
    /// One diagnostics or log upload attempt.
    public var uploadDuration: Interval
    /// Probability (0...1) that one download attempt fails.
    public var downloadFailure: Double
    /// Probability that an installation fails.
    public var installFailure: Double
    /// Probability that one upload attempt fails.
    public var uploadFailure: Double
    /// Probability that a signed firmware's signature does not verify (SignedUpdateFirmware).
    public var signatureFailure: Double

    public init(downloadDuration: Interval = .seconds(30), installDuration: Interval = .seconds(60),
                uploadDuration: Interval = .seconds(10), downloadFailure: Double = 0, installFailure: Double = 0,
                uploadFailure: Double = 0, signatureFailure: Double = 0) {
        self.downloadDuration = downloadDuration
        self.installDuration = installDuration
        self.uploadDuration = uploadDuration
        self.downloadFailure = downloadFailure
        self.installFailure = installFailure
        self.uploadFailure = uploadFailure
        self.signatureFailure = signatureFailure
    }
}

/// A value kept in a heap box: a `Boxed?` is one pointer, so an engine with nothing
/// running pays 8 bytes per slot instead of the whole struct.
enum Boxed<Value: Sendable>: Sendable {
    indirect case value(Value)

    var value: Value { switch self { case .value(let value): value } }
}

/// A firmware update in progress (UpdateFirmware, OCPP 1.6 §5.19, or SignedUpdateFirmware
/// of the security whitepaper).
struct FirmwareUpdate: Sendable {
    enum Phase: Sendable, Equatable {
        /// Waiting for the retrieve date (`retry` false) or for the next download attempt.
        case waiting(until: Timestamp, retry: Bool)
        case downloading(until: Timestamp)
        /// Downloaded (and verified): waits for the install date and for running
        /// transactions to end; no new transaction starts meanwhile.
        case awaitingInstall(since: Timestamp)
        case installing(until: Timestamp)
        /// Signed update installed: InstallRebooting is on its way; reboot once it is
        /// answered, or at `deadline`.
        case rebooting(deadline: Timestamp)
    }

    var location: String
    /// SignedUpdateFirmware's requestId; nil for a plain UpdateFirmware.
    var requestId: Int?
    /// SignedUpdateFirmware's installDateTime.
    var installAt: Timestamp?
    var retriesLeft: Int
    var retryInterval: Interval
    /// False when the location's scheme is not in SupportedFileTransferProtocols: every
    /// download attempt then fails.
    var reachable: Bool
    var phase: Phase

    var isSigned: Bool { requestId != nil }
}

/// A diagnostics (GetDiagnostics) or log (GetLog) upload in progress.
struct FileUpload: Sendable {
    enum Phase: Sendable, Equatable {
        case waiting(until: Timestamp, retry: Bool)
        case uploading(until: Timestamp)
    }

    /// GetLog's requestId; nil for GetDiagnostics.
    var requestId: Int?
    var retriesLeft: Int
    var retryInterval: Interval
    var phase: Phase
}

/// State of the Firmware Management profile and the security extension's firmware and
/// log operations of one charge point: one pointer (8 bytes) until the first of them is used.
struct FirmwareState: Sendable {
    private struct Storage: Sendable {
        var update: FirmwareUpdate?
        var upload: FileUpload?
        var installedVersion: String?
        var draws: UInt64 = 0
    }

    private var storage: Boxed<Storage>?

    private mutating func modify(_ body: (inout Storage) -> Void) {
        var stored = storage?.value ?? Storage()
        body(&stored)
        storage = .value(stored)
    }

    var update: FirmwareUpdate? {
        get { storage?.value.update }
        set { modify { $0.update = newValue } }
    }

    var upload: FileUpload? {
        get { storage?.value.upload }
        set { modify { $0.upload = newValue } }
    }

    /// The version reported in BootNotification since the last successful install.
    var installedVersion: String? {
        get { storage?.value.installedVersion }
        set { modify { $0.installedVersion = newValue } }
    }

    /// Draws taken from this charge point's outcome stream.
    var draws: UInt64 {
        get { storage?.value.draws ?? 0 }
        set { modify { $0.draws = newValue } }
    }

    var hasUpdate: Bool { update != nil }

    /// Used when UpdateFirmware/GetDiagnostics/GetLog leave retries or retryInterval to the
    /// charge point (OCPP 1.6 §6.21, §6.55).
    static let defaultRetries = 1
    static let defaultRetryInterval = 60
    /// A bound on retries, so a huge value cannot keep a charge point busy for ever.
    static let maximumRetries = 100
}

extension ChargePointV16 {
    // MARK: incoming CALLs

    mutating func firmwareCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                               into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .updateFirmware:
            return updateFirmware(try V16.UpdateFirmwareRequest(json: payload), now: now, into: &out).encoded
        case .signedUpdateFirmware:
            return signedUpdateFirmware(try V16.SignedUpdateFirmwareRequest(json: payload), now: now, into: &out).encoded
        case .getDiagnostics:
            return getDiagnostics(try V16.GetDiagnosticsRequest(json: payload), now: now, into: &out).encoded
        case .getLog:
            return getLog(try V16.GetLogRequest(json: payload), now: now, into: &out).encoded
        default:
            // `respondToFeature` routes only the four actions above here.
            throw CallError(.notSupported, "\(action.rawValue) is not a firmware operation")
        }
    }

    /// UpdateFirmware (OCPP 1.6 §5.19): the download starts at retrieveDate. A new request
    /// replaces an update that has not started installing; during an installation it is
    /// ignored (UpdateFirmware.conf has no status to refuse it with).
    private mutating func updateFirmware(_ request: V16.UpdateFirmwareRequest, now: Timestamp,
                                         into out: inout [EngineOutput]) -> V16.UpdateFirmwareResponse {
        if let running = firmware.update, running.isInstalling { return V16.UpdateFirmwareResponse() }
        startUpdate(FirmwareUpdate(
            location: request.location, requestId: nil, installAt: nil,
            retriesLeft: Self.retries(request.retries), retryInterval: Self.retryInterval(request.retryInterval),
            reachable: Self.supportsTransfer(to: request.location),
            phase: .waiting(until: request.retrieveDate, retry: false)), now: now, into: &out)
        return V16.UpdateFirmwareResponse()
    }

    /// SignedUpdateFirmware (security whitepaper): InvalidCertificate for a signing
    /// certificate that does not verify (L01.FR.23–24, checked before anything else and
    /// reported as InvalidFirmwareSigningCertificate, L01.FR.02), Rejected for an unsupported
    /// location or while an installation runs, AcceptedCanceled when it replaces a running update.
    private mutating func signedUpdateFirmware(_ request: V16.SignedUpdateFirmwareRequest, now: Timestamp,
                                               into out: inout [EngineOutput]) -> V16.SignedUpdateFirmwareResponse {
        let firmwareInfo = request.firmware
        if let refusal = firmwareSigningCertificateRefusal(firmwareInfo.signingCertificate, now: now) {
            securityEvent("InvalidFirmwareSigningCertificate", techInfo: refusal.text, now: now, into: &out)
            return V16.SignedUpdateFirmwareResponse(status: .invalidCertificate)
        }
        if let running = firmware.update, running.isInstalling {
            return V16.SignedUpdateFirmwareResponse(status: .rejected)
        }
        guard Self.supportsTransfer(to: firmwareInfo.location) else {
            return V16.SignedUpdateFirmwareResponse(status: .rejected)
        }
        let canceled = firmware.hasUpdate
        startUpdate(FirmwareUpdate(
            location: firmwareInfo.location, requestId: request.requestId, installAt: firmwareInfo.installDateTime,
            retriesLeft: Self.retries(request.retries), retryInterval: Self.retryInterval(request.retryInterval),
            reachable: true, phase: .waiting(until: firmwareInfo.retrieveDateTime, retry: false)), now: now, into: &out)
        if firmwareInfo.retrieveDateTime > now, let update = firmware.update {
            report(.downloadScheduled, of: update, into: &out)
        }
        return V16.SignedUpdateFirmwareResponse(status: canceled ? .acceptedCanceled : .accepted)
    }

    /// Replaces any update that has not started installing (its connectors are released).
    private mutating func startUpdate(_ update: FirmwareUpdate, now: Timestamp, into out: inout [EngineOutput]) {
        let held = firmwareHoldsConnectors
        firmware.update = update
        if held { refreshAllStatuses(now: now, into: &out) }
    }

    /// GetDiagnostics (OCPP 1.6 §5.9): the file name, then Uploading → Uploaded or
    /// UploadFailed. No file name (and no upload) when the window holds no data (it is
    /// empty or lies in the future) or the location's protocol is not supported. A new
    /// request replaces a running upload.
    private mutating func getDiagnostics(_ request: V16.GetDiagnosticsRequest, now: Timestamp,
                                         into out: inout [EngineOutput]) -> V16.GetDiagnosticsResponse {
        if let start = request.startTime, start > now || request.stopTime.map({ $0 <= start }) == true {
            return V16.GetDiagnosticsResponse()
        }
        guard Self.supportsTransfer(to: request.location) else { return V16.GetDiagnosticsResponse() }
        firmware.upload = FileUpload(requestId: nil, retriesLeft: Self.retries(request.retries),
                                     retryInterval: Self.retryInterval(request.retryInterval),
                                     phase: .waiting(until: now, retry: false))
        return V16.GetDiagnosticsResponse(fileName: fileName("diagnostics", now: now))
    }

    /// GetLog (security whitepaper): Rejected for an unsupported location, AcceptedCanceled
    /// when it cancels a running upload (which then reports nothing more), else Accepted;
    /// then LogStatusNotification Uploading → Uploaded or UploadFailure with the requestId.
    private mutating func getLog(_ request: V16.GetLogRequest, now: Timestamp,
                                 into out: inout [EngineOutput]) -> V16.GetLogResponse {
        guard Self.supportsTransfer(to: request.log.remoteLocation) else { return V16.GetLogResponse(status: .rejected) }
        let canceled = firmware.upload != nil
        firmware.upload = FileUpload(requestId: request.requestId, retriesLeft: Self.retries(request.retries),
                                     retryInterval: Self.retryInterval(request.retryInterval),
                                     phase: .waiting(until: now, retry: false))
        let name = fileName(request.logType == .securityLog ? "security" : "diagnostics", now: now)
        return V16.GetLogResponse(status: canceled ? .acceptedCanceled : .accepted, filename: name)
    }

    // MARK: answers to our notifications

    mutating func firmwareNotificationAnswered(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                                               into out: inout [EngineOutput]) throws(CallError) {
        switch action {
        case .firmwareStatusNotification: _ = try V16.FirmwareStatusNotificationResponse(json: payload)
        case .diagnosticsStatusNotification: _ = try V16.DiagnosticsStatusNotificationResponse(json: payload)
        case .logStatusNotification: _ = try V16.LogStatusNotificationResponse(json: payload)
        case .signedFirmwareStatusNotification:
            _ = try V16.SignedFirmwareStatusNotificationResponse(json: payload)
            // The call being answered is still in flight here.
            if let call = installRebootingCall, queue.inFlight?.call == call { rebootNow(now) }
        default:
            break
        }
    }

    mutating func firmwareNotificationFailed(_ action: V16.Action, now: Timestamp, into out: inout [EngineOutput]) {
        // InstallRebooting got a CALLERROR, timed out or lost its connection: reboot anyway.
        if let call = installRebootingCall, !queue.contains(where: { $0 == call }) { rebootNow(now) }
    }

    /// The InstallRebooting notification a signed update waits for before rebooting.
    private var installRebootingCall: PendingCall? {
        guard let update = firmware.update, case .rebooting = update.phase, let requestId = update.requestId else { return nil }
        return .feature(.signedFirmwareStatusNotification, payload: V16.SignedFirmwareStatusNotificationRequest(
            status: .installRebooting, requestId: requestId).encoded)
    }

    private mutating func rebootNow(_ now: Timestamp) {
        guard var update = firmware.update else { return }
        update.phase = .rebooting(deadline: now)
        firmware.update = update
    }

    // MARK: timers

    var firmwareWakeup: Timestamp? {
        var earliest: Timestamp?
        if let update = firmware.update {
            switch update.phase {
            case .waiting(let until, _), .downloading(let until), .installing(let until):
                earliest = until
            case .awaitingInstall(let since):
                if openTransactions == 0 { earliest = max(since, update.installAt ?? since) }
            case .rebooting(let deadline):
                earliest = deadline
            }
        }
        if let upload = firmware.upload {
            let due: Timestamp = switch upload.phase {
            case .waiting(let until, _), .uploading(let until): until
            }
            if earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    mutating func firmwareTick(now: Timestamp, into out: inout [EngineOutput]) {
        uploadTick(now: now, into: &out)
        updateTick(now: now, into: &out)
    }

    private mutating func updateTick(now: Timestamp, into out: inout [EngineOutput]) {
        guard var update = firmware.update else { return }
        let behaviour = settings.fileTransfer
        switch update.phase {
        case .waiting(let until, let retry):
            guard until <= now else { return }
            // Downloading once; a retry after a failed attempt continues the same download.
            if !retry { report(.downloading, of: update, into: &out) }
            update.phase = .downloading(until: now + behaviour.downloadDuration)
            firmware.update = update
        case .downloading(let until):
            guard until <= now else { return }
            let failed = simulatedDraw() < behaviour.downloadFailure || !update.reachable
            if failed {
                if update.retriesLeft > 0 {
                    update.retriesLeft -= 1
                    update.phase = .waiting(until: now + update.retryInterval, retry: true)
                    firmware.update = update
                } else {
                    report(.downloadFailed, of: update, into: &out)
                    firmware.update = nil
                }
                return
            }
            report(.downloaded, of: update, into: &out)
            if update.isSigned {
                if simulatedDraw() < behaviour.signatureFailure {
                    report(.invalidSignature, of: update, into: &out)
                    securityEvent("InvalidFirmwareSignature", techInfo: update.location, now: now, into: &out)
                    firmware.update = nil
                    return
                }
                report(.signatureVerified, of: update, into: &out)
                if let at = update.installAt, at > now { report(.installScheduled, of: update, into: &out) }
            }
            update.phase = .awaitingInstall(since: now)
            firmware.update = update
            refreshAllStatuses(now: now, into: &out)
        case .awaitingInstall(let since):
            // OCPP 1.6 §5.19 leaves it to the charge point: this one waits for running transactions.
            guard openTransactions == 0, max(since, update.installAt ?? since) <= now else { return }
            report(.installing, of: update, into: &out)
            update.phase = .installing(until: now + behaviour.installDuration)
            firmware.update = update
        case .installing(let until):
            guard until <= now else { return }
            let failed = simulatedDraw() < behaviour.installFailure
            if !update.isSigned {
                // The reboot is part of the installation; the outcome is reported after it (OCTT TC_044_1/3).
                finishInstall(update, installed: !failed, now: now, into: &out)
            } else if failed {
                report(.installationFailed, of: update, into: &out)
                firmware.update = nil
                refreshAllStatuses(now: now, into: &out)
            } else {
                report(.installRebooting, of: update, into: &out)
                update.phase = .rebooting(deadline: now + settings.callTimeout)
                firmware.update = update
            }
        case .rebooting(let deadline):
            guard deadline <= now else { return }
            finishInstall(update, installed: true, now: now, into: &out)
        }
    }

    /// Reboots into the new firmware (or the old one after a failure) and queues the
    /// outcome, which goes out after the next accepted boot.
    private mutating func finishInstall(_ update: FirmwareUpdate, installed: Bool, now: Timestamp,
                                        into out: inout [EngineOutput]) {
        firmware.update = nil
        if installed { firmware.installedVersion = Self.firmwareVersion(fromLocation: update.location) }
        reboot(now: now, into: &out)
        report(installed ? .installed : .installationFailed, of: update, into: &out)
        if installed, update.isSigned {
            securityEvent("FirmwareUpdated", techInfo: firmwareVersion, now: now, into: &out)
        }
    }

    private mutating func uploadTick(now: Timestamp, into out: inout [EngineOutput]) {
        guard var upload = firmware.upload else { return }
        switch upload.phase {
        case .waiting(let until, let retry):
            guard until <= now else { return }
            if !retry { report(upload, diagnostics: .uploading, log: .uploading, into: &out) }
            upload.phase = .uploading(until: now + settings.fileTransfer.uploadDuration)
            firmware.upload = upload
        case .uploading(let until):
            guard until <= now else { return }
            if simulatedDraw() < settings.fileTransfer.uploadFailure {
                if upload.retriesLeft > 0 {
                    upload.retriesLeft -= 1
                    upload.phase = .waiting(until: now + upload.retryInterval, retry: true)
                    firmware.upload = upload
                } else {
                    report(upload, diagnostics: .uploadFailed, log: .uploadFailure, into: &out)
                    firmware.upload = nil
                }
            } else {
                report(upload, diagnostics: .uploaded, log: .uploaded, into: &out)
                firmware.upload = nil
            }
        }
    }

    // MARK: notifications

    /// Queues the notification of a firmware step: SignedFirmwareStatusNotification with the
    /// requestId for a signed update; FirmwareStatusNotification for a plain one, which has
    /// no signed-only steps (DownloadScheduled, SignatureVerified, InstallRebooting, ...).
    private mutating func report(_ status: V16.SignedFirmwareStatus, of update: FirmwareUpdate,
                                 into out: inout [EngineOutput]) {
        if let requestId = update.requestId {
            enqueue(.feature(.signedFirmwareStatusNotification, payload: V16.SignedFirmwareStatusNotificationRequest(
                status: status, requestId: requestId).encoded), into: &out)
        } else if let plain = V16.FirmwareStatus(rawValue: status.rawValue) {
            enqueue(.feature(.firmwareStatusNotification, payload: V16.FirmwareStatusNotificationRequest(
                status: plain).encoded), into: &out)
        }
    }

    private mutating func report(_ upload: FileUpload, diagnostics: V16.DiagnosticsStatus, log: V16.UploadLogStatus,
                                 into out: inout [EngineOutput]) {
        if let requestId = upload.requestId {
            enqueue(.feature(.logStatusNotification, payload: V16.LogStatusNotificationRequest(
                status: log, requestId: requestId).encoded), into: &out)
        } else {
            enqueue(.feature(.diagnosticsStatusNotification, payload: V16.DiagnosticsStatusNotificationRequest(
                status: diagnostics).encoded), into: &out)
        }
    }

    // MARK: state read by other profiles and TriggerMessage

    /// The version BootNotification reports: the last installed one, else the identity's.
    public var firmwareVersion: String? { firmware.installedVersion ?? identity.firmwareVersion }

    /// Downloaded firmware waits for installation or installs: no new transaction starts
    /// and idle connectors are Unavailable (OCTT TC_044: the charge point reports all
    /// connectors before installing).
    var firmwareHoldsConnectors: Bool {
        guard let update = firmware.update else { return false }
        switch update.phase {
        case .awaitingInstall, .installing, .rebooting: return true
        case .waiting, .downloading: return false
        }
    }

    /// Where a firmware update stands, for a triggered status notification: Idle when none runs.
    func firmwareProgress(now: Timestamp) -> (status: V16.SignedFirmwareStatus, requestId: Int?) {
        guard let update = firmware.update else { return (.idle, nil) }
        let status: V16.SignedFirmwareStatus
        switch update.phase {
        case .waiting(_, let retry):
            status = retry ? .downloading : (update.isSigned ? .downloadScheduled : .idle)
        case .downloading:
            status = .downloading
        case .awaitingInstall:
            if !update.isSigned {
                status = .downloaded
            } else {
                status = (update.installAt.map { $0 > now } ?? false) ? .installScheduled : .signatureVerified
            }
        case .installing:
            status = .installing
        case .rebooting:
            status = .installRebooting
        }
        return (status, status == .idle ? nil : update.requestId)
    }

    /// The running upload's requestId (GetLog) or nil (GetDiagnostics); nil when none runs.
    var runningUpload: (running: Bool, requestId: Int?) {
        guard let upload = firmware.upload else { return (false, nil) }
        return (true, upload.requestId)
    }

    // MARK: helpers

    mutating func refreshAllStatuses(now: Timestamp, into out: inout [EngineOutput]) {
        for index in connectors.indices { refreshStatus(index, now: now, into: &out) }
    }

    /// A number in [0, 1) from this charge point's outcome stream.
    ///
    /// The engine has no generator of its own (DESIGN: no non-deterministic randomness):
    /// each draw is a stateless hash — the SplitMix64 finalizer — of `settings.seed`, the
    /// charge point id (FNV-1a, stable across processes, unlike `Hasher`) and a draw
    /// counter. The same seed, id and sequence of inputs give the same outcomes; charge
    /// points sharing a seed still draw differently.
    mutating func simulatedDraw() -> Double {
        firmware.draws &+= 1
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in identity.id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var x = (settings.seed ^ hash) &+ firmware.draws &* 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Double(x >> 11) * 0x1p-53
    }

    static func retries(_ requested: Int?) -> Int {
        min(max(0, requested ?? FirmwareState.defaultRetries), FirmwareState.maximumRetries)
    }

    static func retryInterval(_ requested: Int?) -> Interval {
        .seconds(min(max(0, requested ?? FirmwareState.defaultRetryInterval), Int(Int32.max)))
    }

    /// Whether the location's scheme is one of SupportedFileTransferProtocols.
    static func supportsTransfer(to location: String) -> Bool {
        guard let range = location.firstRange(of: "://") else { return false }
        let scheme = location[..<range.lowerBound].uppercased()
        return Configuration.supportedFileTransferProtocols.split(separator: ",").contains { $0 == scheme }
    }

    /// The version a firmware file carries, derived from its location: the file name
    /// without query, fragment and extensions that hold no digit (`.bin`, `.tar.gz`), at
    /// most 50 characters (BootNotification's CiString50). `https://fw.example/sim-2.0.1.bin`
    /// gives `sim-2.0.1`; a location without a file name gives `fw-` and a hash of it.
    static func firmwareVersion(fromLocation location: String) -> String {
        var path = Substring(location)
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<cut] }
        var name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if let scheme = location.firstRange(of: "://"), name.startIndex <= scheme.upperBound { name = "" }  // only a host
        while let dot = name.lastIndex(of: "."), dot != name.startIndex,
              !name[name.index(after: dot)...].contains(where: \.isNumber) {
            name = name[..<dot]
        }
        if name.isEmpty {
            var hash: UInt32 = 0x811C_9DC5
            for byte in location.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
            return "fw-" + String(hash, radix: 16)
        }
        return String(name.prefix(50))
    }

    /// `<kind>-<charge point id>-<UTC time>.log`, at most 255 characters.
    func fileName(_ kind: String, now: Timestamp) -> String {
        let compact = now.iso8601.prefix(19).filter { $0 != "-" && $0 != ":" }
        let name = "\(kind)-\(identity.id)-\(compact)Z.log"
        return name.count <= 255 ? name : "\(kind)-\(compact)Z.log"
    }
}

extension FirmwareUpdate {
    /// Past the download: a new request can no longer replace it.
    var isInstalling: Bool {
        switch phase {
        case .installing, .rebooting: true
        case .waiting, .downloading, .awaitingInstall: false
        }
    }
}
