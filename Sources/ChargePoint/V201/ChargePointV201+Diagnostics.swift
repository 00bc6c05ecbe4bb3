import OCPP

/// A log upload (N01) or a customer-data report (N09) in progress: what to send when `due`.
struct FileJobV201: Sendable {
    enum Kind: Sendable, Equatable {
        /// Uploading (sent), then Uploaded or UploadFailure at `due`.
        case logUpload(requestId: Int)
        /// NotifyCustomerInformation at `due`.
        case customerReport(requestId: Int, data: String)
        /// A firmware update (L01): the step that ends at `due`.
        case firmware(FirmwareUpdateV201)
    }

    var kind: Kind
    var due: Timestamp
}

/// Functional block N (diagnostics): GetLog with LogStatusNotification, CustomerInformation
/// with NotifyCustomerInformation. Durations and failure odds are the 1.6 engine's
/// `FileTransferBehaviour`, so both versions upload alike.
extension ChargePointV201 {
    mutating func getLog(_ request: V201.GetLogRequest, now: Timestamp, into out: inout [EngineOutput]) -> V201.GetLogResponse {
        let replacing = jobs.contains { if case .logUpload = $0.kind { true } else { false } }
        if replacing {
            // N01.FR.12: the upload it replaces ends as AcceptedCanceled.
            enqueue(.other(.logStatusNotification, payload: V201.LogStatusNotificationRequest(status: .acceptedCanceled).encoded),
                    into: &out)
        }
        jobs.removeAll { if case .logUpload = $0.kind { true } else { false } }
        jobs.append(FileJobV201(kind: .logUpload(requestId: request.requestId), due: now + settings.fileTransfer.uploadDuration))
        enqueue(.other(.logStatusNotification,
                       payload: V201.LogStatusNotificationRequest(status: .uploading, requestId: request.requestId).encoded),
                into: &out)
        let name = "\(identity.id.prefix(40))-\(request.logType == .diagnosticsLog ? "diagnostics" : "security")-\(request.requestId).log"
        return V201.GetLogResponse(status: replacing ? .acceptedCanceled : .accepted, filename: String(name.prefix(255)))
    }

    /// The LogStatusNotification a TriggerMessage asks for: Uploading while one runs, else Idle (F06.FR.13).
    func logStatus() -> V201.LogStatusNotificationRequest {
        for job in jobs {
            if case .logUpload(let requestId) = job.kind { return V201.LogStatusNotificationRequest(status: .uploading, requestId: requestId) }
        }
        return V201.LogStatusNotificationRequest(status: .idle)
    }

    /// N09/N10: the simulated station keeps no customer data; a report says so, a clear succeeds.
    mutating func customerInformation(_ request: V201.CustomerInformationRequest, now: Timestamp) -> V201.CustomerInformationResponse {
        guard request.report || request.clear else { return V201.CustomerInformationResponse(status: .rejected) }
        guard request.idToken != nil || request.customerIdentifier != nil || request.customerCertificate != nil else {
            return V201.CustomerInformationResponse(status: .invalid)
        }
        if let token = request.idToken, request.clear {
            authorizationCache.remove(token.idToken)
        }
        if request.report {
            let data = request.clear ? "Customer data cleared; no other data held" : "No customer data held"
            jobs.append(FileJobV201(kind: .customerReport(requestId: request.requestId, data: data), due: now))
        }
        return V201.CustomerInformationResponse(status: .accepted)
    }

    mutating func jobsTick(now: Timestamp, into out: inout [EngineOutput]) {
        guard jobs.contains(where: { $0.due <= now }) else { return }
        let due = jobs.filter { $0.due <= now }
        jobs.removeAll { $0.due <= now }
        for job in due {
            switch job.kind {
            case .logUpload(let requestId):
                let failed = simulatedDraw(requestId) < settings.fileTransfer.uploadFailure
                enqueue(.other(.logStatusNotification, payload: V201.LogStatusNotificationRequest(
                    status: failed ? .uploadFailure : .uploaded, requestId: requestId).encoded), into: &out)
            case let .customerReport(requestId, data):
                enqueue(.other(.notifyCustomerInformation, payload: V201.NotifyCustomerInformationRequest(
                    data: data, seqNo: 0, generatedAt: now, requestId: requestId).encoded), into: &out)
            case .firmware(let update):
                firmwareStepEnded(update, now: now, into: &out)
            }
        }
    }

    /// A uniform draw in [0, 1) from the seed, the station's id and `salt`: same inputs, same outcome.
    func simulatedDraw(_ salt: Int) -> Double {
        var hash: UInt64 = settings.seed ^ 0x9E37_79B9_7F4A_7C15
        for byte in identity.id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var random = SplitMixDraw(state: hash ^ UInt64(bitPattern: Int64(salt)))
        return random.next()
    }
}

/// SplitMix64 for the engine's simulated outcomes (no global generator in the engine).
struct SplitMixDraw {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}

/// The local authorization list (D01-D04): a version and the tokens the CSMS sent, sorted for
/// lookup; empty until a SendLocalList.
struct LocalListV201: Sendable {
    static let capacity = 1000
    private(set) var version = 0
    private var entries: [(idToken: String, status: V201.AuthorizationStatusEnum, expiry: Timestamp?)] = []

    var count: Int { entries.count }

    func status(of idTag: String, now: Timestamp) -> V201.AuthorizationStatusEnum? {
        guard let entry = entries.first(where: { IdToken.equal($0.idToken, idTag) }) else { return nil }
        if let expiry = entry.expiry, expiry <= now { return .expired }
        return entry.status
    }

    /// D01.FR.13/D01.FR.18: a Full update replaces the list; a Differential one with a version
    /// not above ours is a VersionMismatch; an entry without idTokenInfo is removed.
    mutating func apply(_ request: V201.SendLocalListRequest) -> V201.SendLocalListStatusEnum {
        let items = request.localAuthorizationList ?? []
        switch request.updateType {
        case .full:
            entries = []
        case .differential:
            guard request.versionNumber > version else { return .versionMismatch }
        }
        for item in items {
            entries.removeAll { IdToken.equal($0.idToken, item.idToken.idToken) }
            if let info = item.idTokenInfo {
                guard entries.count < Self.capacity else { return .failed }
                entries.append((item.idToken.idToken, info.status, info.cacheExpiryDateTime))
            }
        }
        version = request.versionNumber
        return .accepted
    }
}
