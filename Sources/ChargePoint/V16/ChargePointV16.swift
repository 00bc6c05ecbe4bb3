import OCPP

/// Settings of the engine that are not OCPP configuration keys.
public struct EngineSettings: Sendable, Equatable {
    /// How long a CALL may wait for its answer.
    public var callTimeout: Interval
    /// Retry delay for a BootNotification that timed out or got interval 0.
    public var bootRetry: Interval
    /// Most calls kept while offline (bounded memory per charge point).
    public var queueCapacity: Int
    /// Energy register at power-on, in Wh.
    public var initialMeterWh: Double
    /// Durations and failure odds of simulated firmware downloads and log uploads.
    public var fileTransfer: FileTransferBehaviour
    /// Seed of the engine's simulated outcomes (file transfer failures): the same seed and
    /// charge point id give the same outcomes (see `ChargePointV16.simulatedDraw`).
    public var seed: UInt64

    /// The cryptography of the Security profile (key pairs, CSRs, X.509); nil: SignCertificate
    /// cannot be triggered and certificates cannot be installed.
    public var certificateServices: CertificateServicesReference?
    /// Send SecurityEventNotification (security whitepaper A04). Off by default: a Central
    /// System without the security extension answers it with a CALLERROR.
    public var securityEvents: Bool

    public init(callTimeout: Interval = .seconds(30), bootRetry: Interval = .seconds(60),
                queueCapacity: Int = 256, initialMeterWh: Double = 0,
                fileTransfer: FileTransferBehaviour = FileTransferBehaviour(), seed: UInt64 = 0,
                securityEvents: Bool = false, certificateServices: (any CertificateServices)? = nil) {
        self.callTimeout = callTimeout
        self.bootRetry = bootRetry
        self.queueCapacity = queueCapacity
        self.initialMeterWh = initialMeterWh
        self.fileTransfer = fileTransfer
        self.seed = seed
        self.securityEvents = securityEvents
        self.certificateServices = certificateServices.map(CertificateServicesReference.init)
    }
}

/// An OCPP 1.6J charge point, sans-IO: every input carries `now`, every effect is an
/// `EngineOutput` appended to `out`. Confined to one event loop by its owner.
public struct ChargePointV16: ChargePointEngine {
    public static let subprotocol = V16.subprotocol

    public let identity: ChargePointIdentity
    public internal(set) var configuration: Configuration
    let settings: EngineSettings

    enum Registration: Sendable, Equatable {
        /// Boot needed on the next connection (power-on or reboot).
        case unregistered
        /// BootNotification queued or in flight.
        case booting
        /// Pending or Rejected: boot again at `at`.
        case retry(at: Timestamp)
        case accepted
    }

    struct Connector: Sendable {
        var status: V16.ChargePointStatus = .available
        var fault: V16.ChargePointErrorCode?
        var inoperative = false
        var scheduledInoperative: Bool?
        var plugged = false
        var ev: EVProfile?
        var evSuspended = false
        /// Authorization refused by the CSMS in StartTransaction.conf (StopTransactionOnInvalidId false).
        var suspendedByEVSE = false
        var finishing = false
        var authorizingTag: String?
        var authorizedTag: String?
        var waitingSince: Timestamp?
        var transaction: Int?
        var meter: Meter
        var nextSample: Timestamp?
        var sessionStartWh: Double = 0
        /// The status last sent in a StatusNotification, and since when a newer one has held
        /// (set only while MinimumStatusDuration delays the report).
        var reported: V16.ChargePointStatus?
        var statusSince: Timestamp?
    }

    struct TransactionRecord: Sendable {
        var ref: Int
        var connector: Int
        var idTag: String
        var transactionId: Int?
        var startWh: Double
        var startedAt: Timestamp
        /// The idTag's group (OCPP 1.6 §3.10): another card of it may stop the transaction.
        var parentIdTag: String?
        /// The reservation this transaction ended, sent in StartTransaction.req.
        var reservationId: Int?
        /// Another card presented to stop it, waiting for its Authorize.conf.
        var stopCandidate: String?
        /// The register value at which energy delivery stops: the idTag was found invalid
        /// and MaxEnergyOnInvalidId allows this much.
        var energyLimitWh: Int?
    }

    var registration = Registration.unregistered
    public private(set) var isConnected = false
    var connectors: [Connector]
    var queue: OutboundQueue<PendingCall>
    /// Ids of our CALLs that timed out lately: an answer to one is a `lateAnswer` fault.
    var recentTimeouts = RecentTimeouts()
    var nextHeartbeat: Timestamp?
    var nextAlignedSample: Timestamp?
    var transactions: [TransactionRecord] = []
    var nextTransactionRef = 0
    var authorizationCache = AuthorizationCache()
    /// End of the run: no new sessions.
    var stopping = false
    var pendingReset: (type: V16.ResetType, deadline: Timestamp)?

    // Feature profiles beyond Core: each keeps its state here and its logic in its own file
    // (`ChargePointV16+<Profile>.swift`); empty until used, so an idle charge point pays little.
    var smartCharging = SmartChargingState()
    var firmware = FirmwareState()
    var remoteTrigger = RemoteTriggerState()
    var localAuthList = LocalAuthListState()
    var reservations = ReservationState()
    var security = SecurityState()

    static let authorizationCacheCapacity = 16
    static let softResetDrainLimit = Interval.seconds(30)

    public init(identity: ChargePointIdentity, settings: EngineSettings = EngineSettings()) {
        self.identity = identity
        self.settings = settings
        self.configuration = Configuration(numberOfConnectors: identity.connectors)
        self.connectors = Array(repeating: Connector(meter: Meter(energyWh: 0)), count: identity.connectors + 1)
        for index in 1..<connectors.count { connectors[index].meter = Meter(energyWh: settings.initialMeterWh) }
        self.queue = OutboundQueue(capacity: settings.queueCapacity)
    }

    /// Applies configuration overrides from the fleet spec before the first connection.
    /// Returns the keys that were refused.
    public mutating func configure(_ overrides: [(key: String, value: String)]) -> [String] {
        overrides.filter { configuration.set($0.key, to: $0.value) != .accepted }.map(\.key)
    }

    // MARK: state read by the runtime

    public var isAccepted: Bool { registration == .accepted }
    /// A CALL of ours is awaiting its answer.
    public var hasCallInFlight: Bool { queue.inFlight != nil }
    /// After `quiesce()`: answers CSMS calls but starts no CALL of its own.
    public private(set) var isQuiescing = false

    /// The connection is about to close: send no new CALL, so that the one in flight (if
    /// any) is the last and the socket can close once it is answered.
    public mutating func quiesce() { isQuiescing = true }
    public var openTransactions: Int { connectors.reduce(0) { $0 + ($1.transaction == nil ? 0 : 1) } }
    public var pendingTransactionMessages: Int { queue.pendingTransactionMessages }

    public func status(ofConnector connector: Int) -> V16.ChargePointStatus { connectors[connector].status }
    public func isPlugged(connector: Int) -> Bool { connectors[connector].plugged }
    public func hasTransaction(connector: Int) -> Bool { connectors[connector].transaction != nil }
    public func meterWh(connector: Int) -> Int { connectors[connector].meter.registerWh }

    public var nextWakeup: Timestamp? {
        var earliest = queue.nextDeadline
        func consider(_ time: Timestamp?) {
            if let time, earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        // A boot retry falls due only on a live connection (`tick` ignores it offline).
        if isConnected, case .retry(let at) = registration { consider(at) }
        if isConnected, registration == .accepted {
            consider(nextHeartbeat)
            consider(nextAlignedSample)
        }
        for connector in connectors {
            consider(connector.nextSample)
            if let since = connector.statusSince { consider(since + .seconds(configuration.minimumStatusDuration)) }
            if let since = connector.waitingSince { consider(since + .seconds(configuration.connectionTimeOut)) }
        }
        consider(pendingReset?.deadline)
        consider(featureWakeup)
        consider(invalidIdWakeup)
        return earliest
    }

    // MARK: connection

    public mutating func connected(now: Timestamp, into out: inout [EngineOutput]) {
        isConnected = true
        securityConnected(now: now, into: &out)  // Security profile: StartupOfTheDevice
        switch registration {
        case .unregistered, .booting:
            registration = .booting
            queue.pushFront(.bootNotification)
        case .retry:
            break
        case .accepted:
            armHeartbeat(now: now)
            armAlignedSampling(now: now)
            for index in connectors.indices { enqueueStatus(index, burst: true, now: now, into: &out) }
        }
        pump(now: now, into: &out)
    }

    public mutating func disconnected(now: Timestamp, into out: inout [EngineOutput]) {
        connectionLost(now: now, into: &out)
    }

    /// The socket is gone: transaction messages stay queued, the unanswered call of any
    /// other kind is given up, and timers that need a connection stop.
    private mutating func connectionLost(now: Timestamp, into out: inout [EngineOutput]) {
        isConnected = false
        if let abandoned = queue.connectionLost() {
            // Not a timeout: the call simply has no answer; reports count it as sent only.
            switch abandoned.call {
            case .bootNotification:
                registration = .unregistered
            case .authorize(let connector, let idTag):
                // Unanswered: the card is refused, so the connector does not wait for it forever.
                authorizationRefused(connector, idTag: idTag, now: now, into: &out)
            case .feature(let action, _):
                featureCallFailed(action, now: now, into: &out)
            case .heartbeat, .statusNotification, .startTransaction, .stopTransaction, .meterValues:
                break
            }
        }
        if registration == .booting { registration = .unregistered }
        nextHeartbeat = nil
        nextAlignedSample = nil
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
            queue.pushFront(.bootNotification)
        }
        if isConnected, registration == .accepted {
            if let due = nextHeartbeat, due <= now {
                if !queue.contains(where: { $0 == .heartbeat }) { enqueue(.heartbeat, due: due, into: &out) }
                armHeartbeat(now: now)
            }
            if let due = nextAlignedSample, due <= now {
                sampleAligned(due: due, now: now, into: &out)
                armAlignedSampling(now: now)
            }
        }
        for index in 1..<connectors.count {
            if let due = connectors[index].nextSample, due <= now {
                samplePeriodic(index, due: due, now: now, into: &out)
            }
            if let since = connectors[index].waitingSince,
               since + .seconds(configuration.connectionTimeOut) <= now, connectors[index].transaction == nil {
                // ConnectionTimeOut: the cable was not plugged in time (OCPP 1.6 §9.1.7).
                connectors[index].waitingSince = nil
                connectors[index].authorizedTag = nil
                out.append(.event(.authorizationFailed(connector: index)))
                refreshStatus(index, now: now, into: &out)
            }
        }
        reportStableStatuses(now: now, into: &out)
        featureTick(now: now, into: &out)
        invalidIdTick(now: now, into: &out)
        pump(now: now, into: &out)
    }

    // MARK: sending

    /// `due`: for a scheduled CALL, when it fell due (see `EngineEvent.callCompleted`'s `sinceDue`).
    mutating func enqueue(_ call: PendingCall, beyondCapacity: Bool = false, due: Timestamp? = nil,
                          into out: inout [EngineOutput]) {
        if let dropped = queue.enqueue(call, beyondCapacity: beyondCapacity, due: due,
                                       online: isConnected && registration == .accepted, into: &out) {
            securityJournalFull(dropped: dropped, for: call, into: &out)  // Security profile: MemoryExhaustion
        }
    }

    /// Sends the next queued call when the slot is free; also completes a soft reset
    /// once its StopTransactions are confirmed.
    mutating func pump(now: Timestamp, into out: inout [EngineOutput]) {
        if let reset = pendingReset, reset.type == .soft,
           queue.pendingTransactionMessages == 0 || reset.deadline <= now {
            reboot(now: now, into: &out)
            return
        }
        guard isConnected, !isQuiescing else { return }
        let accepted = registration == .accepted
        // What TriggerMessage asked for may go out before the boot is Accepted (OCPP 1.6 §4.2.1).
        let triggered = remoteTrigger.pending
        while let entry = queue.next(now: now, ready: { accepted || $0 == .bootNotification || triggered.contains($0) }) {
            guard let (action, payload) = encode(entry.call) else {
                // A transaction message whose StartTransaction never got an id: it cannot be sent.
                out.append(.event(.transactionMessageDropped(action: entry.call.action.rawValue, reason: .noTransactionId)))
                if case .stopTransaction(let ref, _, _, _, _, _) = entry.call { transactions.removeAll { $0.ref == ref } }
                continue
            }
            if !triggered.isEmpty { remoteTrigger.sent(entry.call) }
            assert(action == entry.call.action)
            queue.send(entry, payload: payload, now: now, timeout: settings.callTimeout, into: &out)
            return
        }
    }

    func transactionId(ref: Int) -> Int? {
        transactions.first(where: { $0.ref == ref })?.transactionId
    }

    private func encode(_ call: PendingCall) -> (V16.Action, [UInt8])? {
        switch call {
        case .bootNotification:
            return (.bootNotification, V16.BootNotificationRequest(
                chargePointVendor: identity.vendor, chargePointModel: identity.model,
                chargePointSerialNumber: identity.serialNumber, firmwareVersion: firmwareVersion,
                meterType: "ocpp-fleet sim").encoded)
        case .heartbeat:
            return (.heartbeat, V16.HeartbeatRequest().encoded)
        case let .statusNotification(connector, status, errorCode, timestamp):
            return (.statusNotification, V16.StatusNotificationRequest(
                connectorId: connector, errorCode: errorCode, status: status, timestamp: timestamp).encoded)
        case let .authorize(_, idTag):
            return (.authorize, V16.AuthorizeRequest(idTag: idTag).encoded)
        case let .startTransaction(ref, connector, idTag, meterStart, timestamp):
            let reservationId = transactions.first(where: { $0.ref == ref })?.reservationId
            return (.startTransaction, V16.StartTransactionRequest(
                connectorId: connector, idTag: idTag, meterStart: meterStart, reservationId: reservationId,
                timestamp: timestamp).encoded)
        case let .stopTransaction(ref, idTag, meterStop, timestamp, reason, data):
            guard let id = transactionId(ref: ref) else { return nil }
            return (.stopTransaction, V16.StopTransactionRequest(
                idTag: idTag, meterStop: meterStop, timestamp: timestamp, transactionId: id,
                reason: reason, transactionData: data).encoded)
        case let .meterValues(connector, ref, values):
            var id: Int?
            if let ref {
                guard let known = transactionId(ref: ref) else { return nil }
                id = known
            }
            return (.meterValues, V16.MeterValuesRequest(connectorId: connector, transactionId: id, meterValue: values).encoded)
        case let .feature(action, payload):
            return (action, payload)
        }
    }

    // MARK: receiving

    public mutating func received(_ text: [UInt8], now: Timestamp, into out: inout [EngineOutput]) {
        let frame: Frame
        do {
            frame = try Frame.parse(text)
        } catch {
            protocolFault(of: error, text, into: &out)
            if let id = error.id, !error.wasCall, let flight = queue.inFlight, flight.id == id {
                // A malformed answer to our call: count it as that call failing.
                out.append(.event(.callErrored(action: flight.call.action.rawValue, code: error.error.code.rawValue,
                                               latency: now - flight.sentAt)))
                callFailed(now: now, into: &out)
            } else if error.wasCall || error.id == nil {
                // OCPP-J answers a broken CALL with a CALLERROR; with no usable id we use "-1"
                // (echoing an empty or over-long id would make the answer itself malformed).
                let usable = error.id.flatMap { !$0.isEmpty && $0.utf8.count <= Frame.maximumIDLength ? $0 : nil }
                out.append(.send(Frame.encodeCallError(id: usable ?? "-1", error: error.error)))
                out.append(.event(.incoming(action: "", errorCode: error.error.code.rawValue)))
            }
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
                try handleResult(flight.call, payload: payload, frame: text, now: now, into: &out)
                _ = queue.complete()
                out.append(.event(.callCompleted(action: flight.call.action.rawValue, latency: now - flight.sentAt,
                                                 sinceDue: flight.due.map { now - $0 })))
            } catch {
                fault(.invalidResult, text, into: &out)
                out.append(.event(.callErrored(action: flight.call.action.rawValue, code: error.code.rawValue,
                                               latency: now - flight.sentAt)))
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

    // MARK: the backend's protocol faults

    /// Reports a fault of the Central System with a redacted, truncated excerpt of `frame`.
    /// Only faults pay for the excerpt.
    mutating func fault(_ kind: ProtocolFaultKind, _ frame: [UInt8], into out: inout [EngineOutput]) {
        out.append(.event(.protocolFault(kind: kind, sample: FrameExcerpt.redacted(frame, limit: ProtocolFaultKind.sampleLimit))))
    }

    /// Classifies a text frame that did not parse as an OCPP-J message.
    private mutating func protocolFault(of failure: Frame.ParseFailure, _ frame: [UInt8], into out: inout [EngineOutput]) {
        let kind: ProtocolFaultKind
        switch failure.messageTypeId {
        case 2?: kind = .invalidCall
        case 3?: kind = failure.id != nil && failure.id == queue.inFlight?.id ? .invalidResult : .malformedFrame
        case 4?: kind = .malformedFrame
        case nil: kind = .malformedFrame
        case _?: kind = .unknownMessageType
        }
        fault(kind, frame, into: &out)
    }

    /// The in-flight call timed out or got a CALLERROR: transaction messages are retried
    /// TransactionMessageAttempts times, TransactionMessageRetryInterval × attempt apart
    /// (OCPP 1.6 §4.7); a boot is retried; anything else is given up.
    mutating func callFailed(now: Timestamp, into out: inout [EngineOutput]) {
        guard let flight = queue.inFlight else { return }
        if flight.call.isTransactionMessage {
            if flight.attempt < configuration.transactionMessageAttempts {
                queue.retryInFlight(now: now, delay: .seconds(configuration.transactionMessageRetryInterval) * flight.attempt)
                return
            }
            out.append(.event(.transactionMessageDropped(action: flight.call.action.rawValue, reason: .attemptsExhausted)))
        }
        _ = queue.complete()
        switch flight.call {
        case .bootNotification:
            registration = .retry(at: now + settings.bootRetry)
        case .authorize(let connector, let idTag):
            authorizationRefused(connector, idTag: idTag, now: now, into: &out)
        case .stopTransaction(let ref, _, _, _, _, _):
            transactions.removeAll { $0.ref == ref }
        case .feature(let action, _):
            featureCallFailed(action, now: now, into: &out)
        case .heartbeat, .statusNotification, .startTransaction, .meterValues:
            break
        }
    }

    private mutating func handleResult(_ call: PendingCall, payload: JSONValue, frame: [UInt8], now: Timestamp,
                                       into out: inout [EngineOutput]) throws(CallError) {
        switch call {
        case .bootNotification:
            let response = try V16.BootNotificationResponse(json: payload)
            bootAnswered(response, now: now, into: &out)
        case .heartbeat:
            _ = try V16.HeartbeatResponse(json: payload)
        case .statusNotification:
            _ = try V16.StatusNotificationResponse(json: payload)
        case let .authorize(connector, idTag):
            let response = try V16.AuthorizeResponse(json: payload)
            authorizeAnswered(connector, idTag: idTag, info: response.idTagInfo, now: now, into: &out)
        case let .startTransaction(ref, connector, _, _, _):
            let response = try V16.StartTransactionResponse(json: payload)
            if transactions.contains(where: { $0.ref != ref && $0.transactionId == response.transactionId }) {
                // The id of another open transaction of ours: the CSMS cannot tell them apart.
                fault(.invalidTransactionId, frame, into: &out)
            }
            startAnswered(ref: ref, connector: connector, response: response, now: now, into: &out)
        case let .stopTransaction(ref, idTag, _, _, _, _):
            let response = try V16.StopTransactionResponse(json: payload)
            if let idTag, let info = response.idTagInfo { learn(idTag, info, now: now, into: &out) }
            if let index = transactions.firstIndex(where: { $0.ref == ref }) {
                let record = transactions.remove(at: index)
                if let id = record.transactionId {
                    out.append(.event(.transactionStopped(connector: record.connector, transactionId: id)))
                }
            }
        case .meterValues:
            _ = try V16.MeterValuesResponse(json: payload)
        case .feature(let action, _):
            try featureAnswered(action, payload: payload, now: now, into: &out)
        }
    }

    private mutating func bootAnswered(_ response: V16.BootNotificationResponse, now: Timestamp,
                                       into out: inout [EngineOutput]) {
        // Any JSON integer passes the schema; beyond HeartbeatInterval's range (Int32.max s) the
        // clock arithmetic would overflow.
        let interval = min(response.interval, Int(Int32.max))
        switch response.status {
        case .accepted:
            registration = .accepted
            if interval > 0 { configuration.heartbeatInterval = interval }
            out.append(.event(.bootAccepted))
            armHeartbeat(now: now)
            armAlignedSampling(now: now)
            for index in connectors.indices { enqueueStatus(index, burst: true, now: now, into: &out) }
        case .pending, .rejected:
            // OCPP 1.6 §4.2: wait `interval` before the next BootNotification; 0 means our choice.
            let wait = interval > 0 ? Interval.seconds(interval) : settings.bootRetry
            registration = .retry(at: now + wait)
        }
    }

    mutating func armHeartbeat(now: Timestamp) {
        nextHeartbeat = configuration.heartbeatInterval > 0 ? now + .seconds(configuration.heartbeatInterval) : nil
    }

    /// Clock-aligned samples fall on multiples of ClockAlignedDataInterval since midnight UTC.
    mutating func armAlignedSampling(now: Timestamp) {
        let interval = Int64(configuration.clockAlignedDataInterval) * 1_000_000
        guard interval > 0 else { nextAlignedSample = nil; return }
        let day: Int64 = 86_400_000_000
        let midnight = now.microseconds - ((now.microseconds % day) + day) % day
        let sinceMidnight = now.microseconds - midnight
        nextAlignedSample = Timestamp(microseconds: midnight + (sinceMidnight / interval + 1) * interval)
    }

    // MARK: reboot

    /// Ends the current "power cycle": the shell closes the socket and reconnects; queued
    /// transaction messages survive (they are the persistent journal) and go out after the
    /// next accepted boot. The engine counts itself offline from here, so a shell that
    /// reconnects without reporting the close still gets a clean boot.
    mutating func reboot(now: Timestamp, into out: inout [EngineOutput]) {
        pendingReset = nil
        connectionLost(now: now, into: &out)
        securityRebooting(now: now, into: &out)  // Security profile: ResetOrReboot
        registration = .unregistered
        for index in connectors.indices {
            connectors[index].authorizingTag = nil
            connectors[index].authorizedTag = nil
            connectors[index].waitingSince = nil
            connectors[index].evSuspended = false
            connectors[index].suspendedByEVSE = false
            connectors[index].fault = nil
            connectors[index].status = computeStatus(index)
        }
        queue.removeAll { !$0.isTransactionMessage }
        out.append(.reboot(after: .seconds(1)))
    }
}
