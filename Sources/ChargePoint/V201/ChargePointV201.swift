import OCPP

/// An OCPP 2.0.1 charging station, sans-IO like `ChargePointV16`: every input carries `now`,
/// every effect is an `EngineOutput`. One EVSE per connector of the identity, one connector
/// per EVSE. Configuration is the device model (`DeviceModelValues`), not 1.6 keys.
public struct ChargePointV201: ChargePointEngine {
    public static let subprotocol = V201.subprotocol

    public let identity: ChargePointIdentity
    let settings: EngineSettings
    var deviceModel: DeviceModelValues

    enum Registration: Sendable, Equatable {
        case unregistered
        case booting
        /// Pending or Rejected: boot again at `at` (B02, B03).
        case retry(at: Timestamp)
        /// Pending: the CSMS may already configure the station (B02.FR.02).
        case accepted
    }

    /// An ongoing transaction of one EVSE (E01-E07): its id is the station's own.
    struct Transaction: Sendable {
        var id: String
        /// The number behind the id, for telemetry events (which count transactions by Int).
        var number: Int
        /// The next TransactionEvent's seqNo: 0 for Started, then +1 per event (E01.FR.15).
        var seqNo = 0
        var chargingState: V201.ChargingStateEnum
        var startedAt: Timestamp
        var startWh: Double
        var remoteStartId: Int?
        /// Whether the IdToken of this transaction was already sent in an event.
        var idTokenSent = false
        var evseSent = false
        /// The reservation this transaction used, sent in Started (H01.FR.20).
        var reservationId: Int?
    }

    struct EVSEState: Sendable {
        var plugged = false
        var ev: EVProfile?
        var evSuspended = false
        var inoperative = false
        /// ChangeAvailability arrived during a transaction: applied when it ends (G03.FR.05).
        var scheduledInoperative: Bool?
        var faulted = false
        var remoteStartId: Int?
        /// Since when a remotely started or authorized session waits for the cable (EVConnectionTimeOut).
        var waitingSince: Timestamp?
        var meter: Meter
        // Tokens and the transaction live in boxes: an idle EVSE pays a pointer for each.
        private var authorizingBox: Boxed<V201.IdToken>?
        private var authorizedBox: Boxed<V201.IdToken>?
        private var transactionBox: Boxed<Transaction>?

        init(meter: Meter) { self.meter = meter }

        var authorizingToken: V201.IdToken? {
            get { authorizingBox?.value }
            set { authorizingBox = newValue.map(Boxed.value) }
        }
        var authorizedToken: V201.IdToken? {
            get { authorizedBox?.value }
            set { authorizedBox = newValue.map(Boxed.value) }
        }
        var transaction: Transaction? {
            get { transactionBox?.value }
            set { transactionBox = newValue.map(Boxed.value) }
        }
        var nextSample: Timestamp?
        var reported: V201.ConnectorStatusEnum?
    }

    var registration = Registration.unregistered
    public private(set) var isConnected = false
    var evses: [EVSEState]
    var queue: OutboundQueue<PendingCallV201>
    var recentTimeouts = RecentTimeouts()
    var nextHeartbeat: Timestamp?
    var nextAlignedSample: Timestamp?
    var transactionCounter = 0
    var authorizationCache = AuthorizationCache()
    var localList = LocalListV201()
    var stopping = false
    var pendingReset: (type: V201.ResetEnum, at: Timestamp)?
    var bootReason = V201.BootReasonEnum.powerUp
    /// Actions a TriggerMessage lets out before the boot is Accepted (F06.FR.04 allows it in Pending).
    var triggered: [V201.Action] = []
    /// Uploads and customer-data reports in progress (N01, N09), usually none.
    var jobs: [FileJobV201] = []
    /// Variable monitors set by SetVariableMonitoring (N04), usually none.
    var monitors: [VariableMonitorV201] = []
    /// The last NotifyEvent eventId used.
    var eventNumber = 0
    /// A firmware installed: its requestId, reported Installed after the next accepted boot.
    var firmwareInstalled: Int?
    /// InstallRebooting was queued: reboot once it has been delivered.
    var firmwareRebootPending = false
    /// Reservations in force (H01), usually none.
    var reservations: [ReservationV201] = []
    /// Charging profiles installed (K01), usually none.
    var smartCharging: [InstalledProfileV201] = []
    /// When a limit on a charging EVSE changes next.
    var nextLimitChange: Timestamp?
    /// The station certificate and its pending request (A02), nil until asked for.
    var stationCertificate: Boxed<StationCertificateV201>?

    static let authorizationCacheCapacity = 16

    public init(identity: ChargePointIdentity, settings: EngineSettings = EngineSettings()) {
        self.identity = identity
        self.settings = settings
        self.deviceModel = DeviceModelValues(definition: .shared(evses: max(1, identity.connectors)))
        self.evses = Array(repeating: EVSEState(meter: Meter(energyWh: settings.initialMeterWh)),
                           count: max(1, identity.connectors))
        self.queue = OutboundQueue(capacity: settings.queueCapacity)
    }

    /// Applies device-model values from the fleet spec (`Component.Variable` or
    /// `Component.Variable[Instance]` = value) before the first connection; returns the refused names.
    public mutating func configure(_ overrides: [(key: String, value: String)]) -> [String] {
        var refused: [String] = []
        for (key, value) in overrides {
            let variables = deviceModel.definition.variables
            guard let index = variables.indices.first(where: { Self.name(of: variables[$0]) == key }),
                  variables[index].mutability != .readOnly, variables[index].accepts(value) else {
                refused.append(key)
                continue
            }
            deviceModel.set(index, to: value)
        }
        return refused
    }

    static func name(of variable: DeviceVariable) -> String {
        "\(variable.component).\(variable.name)" + (variable.instance.map { "[\($0)]" } ?? "")
    }

    // MARK: state read by the runtime

    public var isAccepted: Bool { registration == .accepted }
    public var openTransactions: Int { evses.reduce(0) { $0 + ($1.transaction == nil ? 0 : 1) } }
    public var pendingTransactionMessages: Int { queue.pendingTransactionMessages }
    public var hasCallInFlight: Bool { queue.inFlight != nil }
    public private(set) var isQuiescing = false
    public mutating func quiesce() { isQuiescing = true }

    /// The index in `evses` of an EVSE id from the wire, nil when there is none (and without
    /// the overflow `id - 1` would trap on for Int.min).
    func evseIndex(_ id: Int) -> Int? { id >= 1 && id <= evses.count ? id - 1 : nil }

    public func connectorStatus(evse: Int) -> V201.ConnectorStatusEnum { status(of: evse - 1) }
    public func transactionId(evse: Int) -> String? { evses[evse - 1].transaction?.id }
    public func meterWh(evse: Int) -> Int { evses[evse - 1].meter.registerWh }

    public var nextWakeup: Timestamp? {
        var earliest = queue.nextDeadline
        func consider(_ time: Timestamp?) {
            if let time, earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        if isConnected, case .retry(let at) = registration { consider(at) }
        if isConnected, registration == .accepted {
            consider(nextHeartbeat)
        }
        if firmwareRebootPending, !queue.contains(where: { $0.action == .firmwareStatusNotification }) || !isConnected {
            consider(Timestamp(microseconds: 0))
        }
        consider(nextAlignedSample)
        for evse in evses {
            consider(evse.nextSample)
            if let since = evse.waitingSince { consider(since + .seconds(deviceModel.int(.evConnectionTimeOut))) }
        }
        // OnIdle waits for the last transaction to end; until then nothing is due.
        if let reset = pendingReset, reset.type == .immediate || openTransactions == 0 { consider(reset.at) }
        for job in jobs { consider(job.due) }
        consider(reservationWakeup)
        consider(nextLimitChange)
        for monitor in monitors { consider(monitor.nextReport) }
        return earliest
    }

    // MARK: connection

    public mutating func connected(now: Timestamp, into out: inout [EngineOutput]) {
        isConnected = true
        switch registration {
        case .unregistered, .booting:
            registration = .booting
            queue.pushFront(.bootNotification(bootReason))
        case .retry:
            break
        case .accepted:
            armHeartbeat(now: now)
            for index in evses.indices { evses[index].reported = nil; reportStatus(index, now: now, into: &out) }
        }
        pump(now: now, into: &out)
    }

    public mutating func disconnected(now: Timestamp, into out: inout [EngineOutput]) {
        isConnected = false
        if let abandoned = queue.connectionLost() {
            switch abandoned.call {
            case .bootNotification: registration = .unregistered
            case .authorize(let evse, let token): authorizationAnswered(evse, token: token, status: .invalid, now: now, into: &out)
            case .heartbeat, .statusNotification, .transactionEvent, .other: break
            }
        }
        if registration == .booting { registration = .unregistered }
        nextHeartbeat = nil
        triggered = []
    }

    // MARK: time

    public mutating func tick(now: Timestamp, into out: inout [EngineOutput]) {
        if let flight = queue.inFlight, flight.deadline <= now {
            out.append(.event(.callTimedOut(action: flight.call.action.rawValue)))
            recentTimeouts.insert(flight.id)
            callFailed(now: now, into: &out)
        }
        if case .retry(let at) = registration, at <= now, isConnected {
            registration = .booting
            queue.pushFront(.bootNotification(bootReason))
        }
        if isConnected, registration == .accepted, let due = nextHeartbeat, due <= now {
            if !queue.contains(where: { $0 == .heartbeat }) { enqueue(.heartbeat, due: due, into: &out) }
            armHeartbeat(now: now)
        }
        if let due = nextAlignedSample, due <= now {
            sampleAligned(due: due, now: now, into: &out)
        }
        for index in evses.indices {
            if let due = evses[index].nextSample, due <= now { samplePeriodic(index, due: due, now: now, into: &out) }
            if let since = evses[index].waitingSince, since + .seconds(deviceModel.int(.evConnectionTimeOut)) <= now {
                connectionTimedOut(index, now: now, into: &out)
            }
        }
        if let reset = pendingReset, reset.at <= now, reset.type == .immediate || openTransactions == 0 {
            reboot(reason: .remoteReset, now: now, into: &out)
            return
        }
        if let due = nextLimitChange, due <= now { sharePower(now: now) }
        jobsTick(now: now, into: &out)
        reservationsTick(now: now, into: &out)
        monitorsTick(now: now, into: &out)
        if firmwareRebootPending, !queue.contains(where: { $0.action == .firmwareStatusNotification }) || !isConnected {
            firmwareRebootPending = false
            reboot(reason: .firmwareUpdate, now: now, into: &out)
            return
        }
        pump(now: now, into: &out)
    }

    // MARK: sending

    mutating func enqueue(_ call: PendingCallV201, due: Timestamp? = nil, into out: inout [EngineOutput]) {
        _ = queue.enqueue(call, due: due, online: isConnected && registration == .accepted, into: &out)
    }

    /// Sends the next queued CALL when the slot is free. Before an Accepted boot only the
    /// BootNotification and what a TriggerMessage asked for may go (B02.FR.01, B03.FR.01).
    mutating func pump(now: Timestamp, into out: inout [EngineOutput]) {
        guard isConnected, !isQuiescing else { return }
        let accepted = registration == .accepted
        let triggered = self.triggered
        guard let entry = queue.next(now: now, ready: { call in
            if accepted { return true }
            if case .bootNotification = call { return true }
            return triggered.contains(call.action)
        }) else { return }
        if let position = self.triggered.firstIndex(of: entry.call.action) { self.triggered.remove(at: position) }
        queue.send(entry, payload: encode(entry.call), now: now, timeout: settings.callTimeout, into: &out)
    }

    private func encode(_ call: PendingCallV201) -> [UInt8] {
        switch call {
        case .bootNotification(let reason):
            V201.BootNotificationRequest(
                chargingStation: V201.ChargingStation(serialNumber: identity.serialNumber, model: identity.model,
                                                      vendorName: identity.vendor, firmwareVersion: identity.firmwareVersion),
                reason: reason).encoded
        case .heartbeat:
            V201.HeartbeatRequest().encoded
        case let .statusNotification(evse, status, timestamp):
            V201.StatusNotificationRequest(timestamp: timestamp, connectorStatus: status, evseId: evse, connectorId: 1).encoded
        case .authorize(_, let token):
            V201.AuthorizeRequest(idToken: token).encoded
        case .transactionEvent, .other:
            call.payload
        }
    }

    // MARK: receiving

    public mutating func received(_ text: [UInt8], now: Timestamp, into out: inout [EngineOutput]) {
        let frame: Frame
        do {
            frame = try Frame.parse(text)
        } catch {
            receivedBroken(error, text, now: now, into: &out)
            pump(now: now, into: &out)
            return
        }
        switch frame {
        case let .call(id, action, payload):
            handleCall(id: id, action: action, payload: payload, frame: text, now: now, into: &out)
        case let .callResult(id, payload):
            guard let flight = queue.inFlight, flight.id == id else {
                fault(recentTimeouts.take(id) ? .lateAnswer : .unmatchedResult, text, into: &out)
                break
            }
            do throws(CallError) {
                try handleResult(flight.call, payload: payload, now: now, into: &out)
                _ = queue.complete()
                out.append(.event(.callCompleted(action: flight.call.action.rawValue, latency: now - flight.sentAt,
                                                 sinceDue: flight.due.map { now - $0 })))
            } catch {
                fault(.invalidResult, text, into: &out)
                out.append(.event(.callErrored(action: flight.call.action.rawValue,
                                               code: V201.RPCErrorCode(error.code).rawValue, latency: now - flight.sentAt)))
                callFailed(now: now, into: &out)
            }
        case let .callError(id, code, _, _):
            guard let flight = queue.inFlight, flight.id == id else {
                fault(recentTimeouts.take(id) ? .lateAnswer : .unmatchedError, text, into: &out)
                break
            }
            out.append(.event(.callErrored(action: flight.call.action.rawValue, code: code, latency: now - flight.sentAt)))
            callFailed(now: now, into: &out)
        }
        pump(now: now, into: &out)
    }

    /// A frame that is not a valid OCPP-J message: a broken CALL is answered with the 2.0.1
    /// code (RpcFrameworkError, MessageTypeNotSupported), a broken answer fails our CALL.
    private mutating func receivedBroken(_ failure: Frame.ParseFailure, _ text: [UInt8], now: Timestamp,
                                         into out: inout [EngineOutput]) {
        let kind: ProtocolFaultKind
        switch failure.messageTypeId {
        case 2?: kind = .invalidCall
        case 3?: kind = failure.id != nil && failure.id == queue.inFlight?.id ? .invalidResult : .malformedFrame
        case 4?, nil: kind = .malformedFrame
        case _?: kind = .unknownMessageType
        }
        fault(kind, text, into: &out)
        let code = V201.RPCErrorCode(failure)
        if let id = failure.id, !failure.wasCall, failure.messageTypeId == 3 || failure.messageTypeId == 4,
           let flight = queue.inFlight, flight.id == id {
            out.append(.event(.callErrored(action: flight.call.action.rawValue, code: code.rawValue, latency: now - flight.sentAt)))
            callFailed(now: now, into: &out)
        } else if failure.wasCall || failure.id == nil || code == .messageTypeNotSupported {
            let usable = failure.id.flatMap { !$0.isEmpty && $0.utf8.count <= Frame.maximumIDLength ? $0 : nil }
            out.append(.send(Frame.encodeCallError(id: usable ?? "-1", code: code, description: failure.error.errorDescription)))
            out.append(.event(.incoming(action: "", errorCode: code.rawValue)))
        }
    }

    mutating func fault(_ kind: ProtocolFaultKind, _ frame: [UInt8], into out: inout [EngineOutput]) {
        out.append(.event(.protocolFault(kind: kind, sample: FrameExcerpt.redacted(frame, limit: ProtocolFaultKind.sampleLimit))))
    }

    /// The CALL in flight timed out or got a CALLERROR: a TransactionEvent is retried
    /// MessageAttempts times, MessageAttemptInterval × attempt apart (E13.FR.04), a boot is
    /// retried later, anything else is given up.
    mutating func callFailed(now: Timestamp, into out: inout [EngineOutput]) {
        guard let flight = queue.inFlight else { return }
        if flight.call.isTransactionMessage {
            if flight.attempt < deviceModel.int(.messageAttempts) {
                queue.retryInFlight(now: now, delay: .seconds(deviceModel.int(.messageAttemptInterval)) * flight.attempt)
                return
            }
            out.append(.event(.transactionMessageDropped(action: flight.call.action.rawValue, reason: .attemptsExhausted)))
        }
        _ = queue.complete()
        switch flight.call {
        case .bootNotification: registration = .retry(at: now + settings.bootRetry)
        case .authorize(let evse, let token): authorizationAnswered(evse, token: token, status: .invalid, now: now, into: &out)
        case .heartbeat, .statusNotification, .transactionEvent, .other: break
        }
    }

    private mutating func handleResult(_ call: PendingCallV201, payload: JSONValue, now: Timestamp,
                                       into out: inout [EngineOutput]) throws(CallError) {
        switch call {
        case .bootNotification:
            bootAnswered(try V201.BootNotificationResponse(json: payload), now: now, into: &out)
        case .heartbeat:
            _ = try V201.HeartbeatResponse(json: payload)
        case .statusNotification:
            _ = try V201.StatusNotificationResponse(json: payload)
        case let .authorize(evse, token):
            let response = try V201.AuthorizeResponse(json: payload)
            learn(token.idToken, response.idTokenInfo, now: now)
            authorizationAnswered(evse, token: token, status: response.idTokenInfo.status, now: now, into: &out)
        case let .transactionEvent(evse, transaction, type, _, _):
            let response = try V201.TransactionEventResponse(json: payload)
            transactionEventAnswered(evse, transaction: transaction, type: type, response: response, now: now, into: &out)
        case .other(let action, _):
            // Every other CALL's answer must still meet its schema.
            _ = try action.payloadTypes?.response.init(json: payload)
        }
    }

    private mutating func bootAnswered(_ response: V201.BootNotificationResponse, now: Timestamp,
                                       into out: inout [EngineOutput]) {
        let interval = min(max(0, response.interval), Int(Int32.max))
        switch response.status {
        case .accepted:
            registration = .accepted
            securityEvent(after: bootReason, now: now, into: &out)
            bootReason = .powerUp
            if interval > 0 { deviceModel.set(.heartbeatInterval, to: String(interval)) }
            out.append(.event(.bootAccepted))
            reportInstalledFirmware(into: &out)
            armHeartbeat(now: now)
            armAlignedSampling(now: now)
            for index in evses.indices { evses[index].reported = nil; reportStatus(index, now: now, into: &out) }
        case .pending, .rejected:
            registration = .retry(at: now + (interval > 0 ? .seconds(interval) : settings.bootRetry))
        }
    }

    /// A04: the critical security events of a (re)start, sent once the boot is accepted.
    private mutating func securityEvent(after reason: V201.BootReasonEnum, now: Timestamp, into out: inout [EngineOutput]) {
        let type: String
        switch reason {
        case .powerUp: type = "StartupOfTheDevice"
        case .remoteReset, .localReset, .scheduledReset, .applicationReset, .watchdog: type = "ResetOrReboot"
        case .firmwareUpdate: type = "FirmwareUpdated"
        case .triggered, .unknown: return
        }
        enqueue(.other(.securityEventNotification,
                       payload: V201.SecurityEventNotificationRequest(type: type, timestamp: now).encoded), into: &out)
    }

    mutating func armHeartbeat(now: Timestamp) {
        let interval = deviceModel.int(.heartbeatInterval)
        nextHeartbeat = interval > 0 ? now + .seconds(interval) : nil
    }

    /// Clock-aligned readings fall on multiples of AlignedDataCtrlr.Interval since midnight UTC (J01).
    mutating func armAlignedSampling(now: Timestamp) {
        let interval = Int64(deviceModel.int(.alignedInterval)) * 1_000_000
        guard interval > 0, deviceModel.bool(.alignedDataEnabled) else { nextAlignedSample = nil; return }
        let day: Int64 = 86_400_000_000
        let midnight = now.microseconds - ((now.microseconds % day) + day) % day
        nextAlignedSample = Timestamp(microseconds: midnight + ((now.microseconds - midnight) / interval + 1) * interval)
    }

    // MARK: reboot

    /// Ends this power cycle: the shell closes and reconnects; TransactionEvents stay queued.
    mutating func reboot(reason: V201.BootReasonEnum, now: Timestamp, into out: inout [EngineOutput]) {
        pendingReset = nil
        disconnected(now: now, into: &out)
        registration = .unregistered
        bootReason = reason
        for index in evses.indices {
            evses[index].authorizingToken = nil
            evses[index].authorizedToken = nil
            evses[index].remoteStartId = nil
            evses[index].waitingSince = nil
            evses[index].evSuspended = false
            evses[index].faulted = false
        }
        queue.removeAll { !$0.isTransactionMessage }
        jobs = []
        firmwareRebootPending = false
        out.append(.reboot(after: .seconds(1)))
    }
}
