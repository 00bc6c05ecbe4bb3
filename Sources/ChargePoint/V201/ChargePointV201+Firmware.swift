import OCPP

/// A firmware update in progress (L01, L02): the step under way and what the request asked.
/// Durations and failure odds are the 1.6 engine's `FileTransferBehaviour`.
struct FirmwareUpdateV201: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        /// Waiting for retrieveDateTime (DownloadScheduled sent).
        case scheduled
        case downloading
        /// Downloaded (and verified, if signed); waiting for installDateTime or for idle EVSEs.
        case waitingToInstall
        case installing
    }

    var requestId: Int
    var step: Step
    var attemptsLeft: Int
    var retryInterval: Int
    var signed: Bool
    var installAt: Timestamp?
}

extension ChargePointV201 {
    /// L01: Accepted (AcceptedCanceled when it replaces an update still downloading); the
    /// status notifications follow the steps. A signed firmware is verified after download.
    mutating func updateFirmware(_ request: V201.UpdateFirmwareRequest, now: Timestamp,
                                 into out: inout [EngineOutput]) -> V201.UpdateFirmwareResponse {
        var replaced = false
        if let position = jobs.firstIndex(where: { if case .firmware = $0.kind { true } else { false } }) {
            if case .firmware(let running) = jobs[position].kind, running.step == .installing {
                return V201.UpdateFirmwareResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "InstallInProgress"))
            }
            jobs.remove(at: position)
            replaced = true
        }
        let firmware = request.firmware
        var update = FirmwareUpdateV201(requestId: request.requestId, step: .scheduled, attemptsLeft: min(max(1, request.retries ?? 1), 10),
                                        retryInterval: min(max(0, request.retryInterval ?? 0), 86_400), signed: firmware.signature != nil,
                                        installAt: firmware.installDateTime)
        if firmware.retrieveDateTime > now {
            firmwareStatus(.downloadScheduled, update, into: &out)
            jobs.append(FileJobV201(kind: .firmware(update), due: firmware.retrieveDateTime))
        } else {
            update.step = .downloading
            firmwareStatus(.downloading, update, into: &out)
            jobs.append(FileJobV201(kind: .firmware(update), due: now + settings.fileTransfer.downloadDuration))
        }
        return V201.UpdateFirmwareResponse(status: replaced ? .acceptedCanceled : .accepted)
    }

    private mutating func firmwareStatus(_ status: V201.FirmwareStatusEnum, _ update: FirmwareUpdateV201,
                                         into out: inout [EngineOutput]) {
        enqueue(.other(.firmwareStatusNotification,
                       payload: V201.FirmwareStatusNotificationRequest(status: status, requestId: update.requestId).encoded),
                into: &out)
    }

    /// One step of the update is over: the next one starts, or it fails (a download is tried
    /// `retries` times, `retryInterval` apart).
    mutating func firmwareStepEnded(_ update: FirmwareUpdateV201, now: Timestamp, into out: inout [EngineOutput]) {
        var update = update
        let transfer = settings.fileTransfer
        switch update.step {
        case .scheduled:
            update.step = .downloading
            firmwareStatus(.downloading, update, into: &out)
            jobs.append(FileJobV201(kind: .firmware(update), due: now + transfer.downloadDuration))
        case .downloading:
            if simulatedDraw(update.requestId &* 31 &+ update.attemptsLeft) < transfer.downloadFailure {
                update.attemptsLeft -= 1
                guard update.attemptsLeft > 0 else { firmwareStatus(.downloadFailed, update, into: &out); return }
                jobs.append(FileJobV201(kind: .firmware(update), due: now + .seconds(update.retryInterval) + transfer.downloadDuration))
                return
            }
            firmwareStatus(.downloaded, update, into: &out)
            if update.signed {
                guard simulatedDraw(update.requestId &* 37) >= transfer.signatureFailure else {
                    firmwareStatus(.invalidSignature, update, into: &out)
                    return
                }
                firmwareStatus(.signatureVerified, update, into: &out)
            }
            update.step = .waitingToInstall
            if let at = update.installAt, at > now { firmwareStatus(.installScheduled, update, into: &out) }
            jobs.append(FileJobV201(kind: .firmware(update), due: max(now, update.installAt ?? now)))
        case .waitingToInstall:
            // L01.FR.06: installation waits for the transactions to end.
            guard openTransactions == 0 else {
                jobs.append(FileJobV201(kind: .firmware(update), due: now + .seconds(10)))
                return
            }
            update.step = .installing
            firmwareStatus(.installing, update, into: &out)
            jobs.append(FileJobV201(kind: .firmware(update), due: now + transfer.installDuration))
        case .installing:
            if simulatedDraw(update.requestId &* 41) < transfer.installFailure {
                firmwareStatus(.installationFailed, update, into: &out)
                return
            }
            firmwareStatus(.installRebooting, update, into: &out)
            firmwareInstalled = update.requestId
            firmwareRebootPending = true
        }
    }

    /// After the reboot that installed it, the new firmware reports Installed (L01.FR.08).
    mutating func reportInstalledFirmware(into out: inout [EngineOutput]) {
        guard let requestId = firmwareInstalled else { return }
        firmwareInstalled = nil
        enqueue(.other(.firmwareStatusNotification,
                       payload: V201.FirmwareStatusNotificationRequest(status: .installed, requestId: requestId).encoded),
                into: &out)
    }
}
