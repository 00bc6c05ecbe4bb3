import ChargePoint
import OCPP
import Testing

/// A Central System scripted by a test, driving one `ChargePointV16` on a virtual clock.
///
/// Every frame the engine sends is parsed with `Frame.parse` and its payload decoded with
/// the matching `V16.*Request` (or `*Response`) type, so a frame that breaks the schema
/// fails the test wherever it happens. CALLs are answered by the default behaviour of a
/// permissive CSMS unless the test scripted something else; answers travel with `latency`.
/// Time moves only through `advance(by:)`, which calls `tick` at `engine.nextWakeup`.
///
/// Protocol invariants checked on every frame: never two CALLs outstanding (OCPP-J 1.6
/// §4.1.1), nothing but BootNotification before an Accepted boot (OCPP 1.6 §4.2), no frame
/// written on a closed connection, and a wakeup in the past must not repeat forever.
struct ScriptedCSMS {
    /// How the CSMS answers one CALL of the engine.
    enum Reply {
        case result(JSONValue)
        case error(CallError.Code)
        /// Text sent as is, with `{id}` replaced by the CALL's unique id (malformed answers).
        case raw(String)
        /// No answer for now: the call waits in `held` for `answer(_:with:)`, maybe forever.
        case hold

        static func conf<P: OCPPPayload>(_ payload: P) -> Reply { .result(payload.json) }
    }

    /// A CALL the engine sent.
    struct Call: CustomStringConvertible {
        var id: String
        var action: String
        var payload: JSONValue
        var sentAt: Timestamp

        func decode<R: OCPPRequest>(_: R.Type) throws -> R {
            #expect(action == R.action)
            return try R(json: payload)
        }

        var description: String { "\(action)#\(id) \(payload.text)" }
    }

    struct WireFrame: Equatable, CustomStringConvertible {
        var at: Timestamp
        var fromEngine: Bool
        var bytes: [UInt8]
        var description: String { "\(at) \(fromEngine ? "CP→CS" : "CS→CP") \(String(decoding: bytes, as: UTF8.self))" }
    }

    var engine: ChargePointV16
    private(set) var now: Timestamp

    // MARK: behaviour of the CSMS

    /// Time between the engine writing a CALL and the answer arriving.
    var latency = Interval.zero
    var bootStatus = V16.RegistrationStatus.accepted
    var bootInterval = 300
    /// idTagInfo status per idTag for Authorize and StartTransaction (Accepted when absent).
    var tags: [String: V16.AuthorizationStatus] = [:]
    var nextTransactionId = 1000
    /// Replies used before the default behaviour, per action name, first in first out.
    var script: [String: [Reply]] = [:]
    /// Reconnect by itself `after` a `.reboot`, as the fleet runtime does.
    var reconnectAfterReboot = true
    /// Report the close that follows a `.reboot` with `disconnected`; a shell may skip it.
    var reportCloseOnReboot = true

    // MARK: what happened

    private(set) var calls: [Call] = []
    private(set) var held: [Call] = []
    private(set) var events: [EngineEvent] = []
    private(set) var reboots: [Timestamp] = []
    /// When the engine closed the connection to open it again without a reboot.
    private(set) var reconnects: [Timestamp] = []
    private(set) var wire: [WireFrame] = []
    /// The engine's answers to CSMS-initiated CALLs, by unique id.
    private(set) var answers: [String: Frame] = [:]
    private(set) var isConnected = false

    private var outstanding: String?
    private var accepted = false
    private var pendingOutputs: [EngineOutput] = []
    private var deliveries: [(at: Timestamp, sequence: Int, bytes: [UInt8])] = []
    private var deliverySequence = 0
    private var reconnectAt: Timestamp?
    private var csmsCalls: [String: V16.Action] = [:]
    private var csmsCallNumber = 0
    /// The action a TriggerMessage/ExtendedTriggerMessage asked for, by the CALL's id, and
    /// the actions an Accepted trigger lets out before the boot is accepted (OCPP 1.6 §4.2.1).
    private var triggerRequests: [String: String] = [:]
    private var triggeredBeforeAcceptance: Set<String> = []

    static let start = Timestamp(seconds: 1_780_000_000)  // 2026-05-28T20:26:40Z

    static let identity = ChargePointIdentity(id: "CP-0001", vendor: "ocpp-fleet", model: "Sim-22",
                                              firmwareVersion: "1.2.3", serialNumber: "SN-0001", connectors: 2)

    init(engine: ChargePointV16, at start: Timestamp = ScriptedCSMS.start) {
        self.engine = engine
        self.now = start
    }

    init(connectors: Int = 2, settings: EngineSettings = EngineSettings(), configuration: [(String, String)] = []) {
        var identity = Self.identity
        identity.connectors = connectors
        var engine = ChargePointV16(identity: identity, settings: settings)
        let refused = engine.configure(configuration.map { (key: $0.0, value: $0.1) })
        #expect(refused.isEmpty, "configuration refused: \(refused)")
        self.init(engine: engine)
    }

    /// A charge point connected and accepted (boot and the first StatusNotifications answered).
    static func booted(connectors: Int = 2, settings: EngineSettings = EngineSettings(),
                       configuration: [(String, String)] = [], heartbeat: Int = 300) -> ScriptedCSMS {
        var csms = ScriptedCSMS(connectors: connectors, settings: settings, configuration: configuration)
        csms.bootInterval = heartbeat
        csms.connect()
        #expect(csms.engine.isAccepted)
        return csms
    }

    // MARK: inputs

    /// Applies one input at the current time and runs everything due now.
    mutating func input(_ body: (inout ChargePointV16, Timestamp, inout [EngineOutput]) -> Void) {
        var out: [EngineOutput] = []
        body(&engine, now, &out)
        pendingOutputs.append(contentsOf: out)
        run(until: now)
    }

    mutating func connect() {
        isConnected = true
        input { $0.connected(now: $1, into: &$2) }
    }

    mutating func disconnect() {
        dropConnection()
        input { $0.disconnected(now: $1, into: &$2) }
    }

    mutating func plugIn(_ connector: Int, ev: EVProfile = EVProfile(maxPowerW: 11_000)) {
        input { $0.plugIn(connector: connector, ev: ev, now: $1, into: &$2) }
    }

    mutating func unplug(_ connector: Int) {
        input { $0.unplug(connector: connector, now: $1, into: &$2) }
    }

    mutating func present(_ idTag: String, on connector: Int) {
        input { $0.presentIdTag(idTag, connector: connector, now: $1, into: &$2) }
    }

    mutating func fault(_ code: V16.ChargePointErrorCode?, on connector: Int) {
        input { $0.setFault(code, connector: connector, now: $1, into: &$2) }
    }

    mutating func suspendEV(_ suspended: Bool, on connector: Int) {
        input { $0.setEVSuspended(suspended, connector: connector, now: $1, into: &$2) }
    }

    /// Sends a CALL to the engine and returns its answer (nil when there was none).
    @discardableResult
    mutating func send(_ action: String, _ payload: JSONValue) -> Frame? {
        csmsCallNumber += 1
        let id = "cs-\(csmsCallNumber)"
        if let known = V16.Action(rawValue: action) { csmsCalls[id] = known }
        if action == V16.Action.triggerMessage.rawValue || action == V16.Action.extendedTriggerMessage.rawValue,
           case .string(let requested)? = payload["requestedMessage"] {
            triggerRequests[id] = Self.triggeredAction(requested, extended: action == V16.Action.extendedTriggerMessage.rawValue)
        }
        return sendRaw(Frame.call(id: id, action: action, payload: payload).encoded).first { $0.id == id }
    }

    /// Sends a typed CALL and decodes the CALLRESULT; a CALLERROR fails the test.
    mutating func call<R: OCPPRequest>(_ request: R, sourceLocation: SourceLocation = #_sourceLocation) throws -> R.Response {
        let answer = send(R.action, request.json)
        guard case .callResult(_, let payload)? = answer else {
            Issue.record("\(R.action) was answered with \(String(describing: answer))", sourceLocation: sourceLocation)
            throw CallError(.genericError, "no CALLRESULT")
        }
        return try R.Response(json: payload)
    }

    /// Writes raw text to the engine; returns the frames it wrote in reply, parsed.
    @discardableResult
    mutating func sendRaw(_ text: String) -> [Frame] { sendRaw(Array(text.utf8)) }

    @discardableResult
    mutating func sendRaw(_ bytes: [UInt8]) -> [Frame] {
        let before = wire.count
        deliver(bytes)
        run(until: now)
        return wire[before...].filter(\.fromEngine).compactMap { try? Frame.parse($0.bytes) }
    }

    /// Answers a held CALL now (plus `latency`).
    mutating func answer(_ call: Call, with reply: Reply) {
        held.removeAll { $0.id == call.id }
        schedule(reply, to: call)
        run(until: now)
    }

    // MARK: time

    mutating func advance(by interval: Interval) { run(until: now + interval) }

    mutating func advance(to time: Timestamp) { run(until: time) }

    /// Delivers answers, reconnects and ticks the engine in time order up to `end`.
    mutating func run(until end: Timestamp) {
        var stepsAtThisInstant = 0
        while true {
            drain()
            var next: Timestamp?
            func consider(_ time: Timestamp?) {
                if let time, next.map({ time < $0 }) ?? true { next = time }
            }
            consider(deliveries.min(by: { ($0.at, $0.sequence) < ($1.at, $1.sequence) })?.at)
            consider(reconnectAt)
            consider(engine.nextWakeup)
            guard let due = next, due <= end else { break }
            if due <= now {
                stepsAtThisInstant += 1
                if stepsAtThisInstant > 10_000 {
                    Issue.record("the engine keeps asking to be woken at \(due) (now \(now)): a busy loop")
                    break
                }
            } else {
                stepsAtThisInstant = 0
                now = due
            }
            if let index = deliveries.indices.filter({ deliveries[$0].at <= now })
                .min(by: { deliveries[$0].sequence < deliveries[$1].sequence }) {
                let bytes = deliveries.remove(at: index).bytes
                deliver(bytes)
            } else if let at = reconnectAt, at <= now {
                reconnectAt = nil
                connect()
            } else {
                var out: [EngineOutput] = []
                engine.tick(now: now, into: &out)
                pendingOutputs.append(contentsOf: out)
            }
        }
        if end > now { now = end }
    }

    // MARK: reading the record

    func calls(_ action: V16.Action) -> [Call] { calls.filter { $0.action == action.rawValue } }

    func decoded<R: OCPPRequest>(_: R.Type) throws -> [R] {
        try calls.filter { $0.action == R.action }.map { try R(json: $0.payload) }
    }

    /// The statuses reported for `connector`, in order.
    func statuses(_ connector: Int) throws -> [V16.ChargePointStatus] {
        try decoded(V16.StatusNotificationRequest.self).filter { $0.connectorId == connector }.map(\.status)
    }

    var actions: [String] { calls.map(\.action) }

    /// The backend protocol faults the engine reported, in order.
    var faults: [(kind: ProtocolFaultKind, sample: String)] {
        events.compactMap { if case let .protocolFault(kind, sample) = $0 { (kind, sample) } else { nil } }
    }

    // MARK: machinery

    private mutating func deliver(_ bytes: [UInt8]) {
        guard isConnected else { return }
        wire.append(WireFrame(at: now, fromEngine: false, bytes: bytes))
        if let frame = try? Frame.parse(bytes), frame.id == outstanding {
            switch frame {
            case .callResult, .callError: outstanding = nil
            case .call: break
            }
        }
        var out: [EngineOutput] = []
        engine.received(bytes, now: now, into: &out)
        pendingOutputs.append(contentsOf: out)
    }

    private mutating func dropConnection() {
        isConnected = false
        outstanding = nil
        deliveries.removeAll()
        held.removeAll()
    }

    private mutating func drain() {
        while !pendingOutputs.isEmpty {
            let output = pendingOutputs.removeFirst()
            switch output {
            case .send(let bytes):
                wire.append(WireFrame(at: now, fromEngine: true, bytes: bytes))
                guard isConnected else {
                    Issue.record("frame written on a closed connection: \(String(decoding: bytes, as: UTF8.self))")
                    continue
                }
                received(fromEngine: bytes)
            case .reboot(let after):
                reboots.append(now)
                accepted = false
                triggeredBeforeAcceptance.removeAll()
                dropConnection()
                if reportCloseOnReboot {
                    var out: [EngineOutput] = []
                    engine.disconnected(now: now, into: &out)
                    pendingOutputs.append(contentsOf: out)
                }
                if reconnectAfterReboot { reconnectAt = now + after }
            case .reconnect(let after):
                reconnects.append(now)
                dropConnection()
                var out: [EngineOutput] = []
                engine.disconnected(now: now, into: &out)
                pendingOutputs.append(contentsOf: out)
                reconnectAt = now + after
            case .event(let event):
                events.append(event)
                switch event {
                case .callTimedOut, .callErrored: outstanding = nil
                case .callSent, .callCompleted, .incoming, .bootAccepted, .transactionStarted, .transactionStopped,
                     .remoteStartAccepted, .sessionEndedByCSMS, .authorizationFailed, .transactionMessageDropped,
                     .transactionMessageQueuedOffline, .transactionMessageReplayed,
                     .securityEventDropped, .protocolFault:
                    break
                }
            }
        }
    }

    private mutating func received(fromEngine bytes: [UInt8]) {
        let frame: Frame
        do {
            frame = try Frame.parse(bytes)
        } catch {
            Issue.record("the engine wrote an unreadable frame: \(error.error)")
            return
        }
        switch frame {
        case let .call(id, action, payload):
            if let outstanding {
                Issue.record("\(action)#\(id) sent while CALL #\(outstanding) is still outstanding")
            }
            outstanding = id
            if !accepted, action != V16.Action.bootNotification.rawValue, !triggeredBeforeAcceptance.contains(action) {
                Issue.record("\(action) sent before the boot was accepted")
            }
            if let known = V16.Action(rawValue: action) {
                do throws(CallError) {
                    try Self.validateRequest(known, payload)
                } catch {
                    Issue.record("\(action) request breaks its schema: \(error) in \(payload.text)")
                }
            } else {
                Issue.record("the engine sent an unknown action \(action)")
            }
            let call = Call(id: id, action: action, payload: payload, sentAt: now)
            calls.append(call)
            let reply: Reply
            if var queued = script[action], !queued.isEmpty {
                reply = queued.removeFirst()
                script[action] = queued
            } else {
                reply = defaultReply(to: call)
            }
            schedule(reply, to: call)
        case let .callResult(id, payload):
            answers[id] = frame
            if let requested = triggerRequests[id], case .string("Accepted")? = payload["status"] {
                triggeredBeforeAcceptance.insert(requested)
            }
            if let action = csmsCalls[id] {
                do throws(CallError) {
                    try Self.validateResponse(to: action, payload)
                } catch {
                    Issue.record("\(action.rawValue) response breaks its schema: \(error) in \(payload.text)")
                }
            }
        case let .callError(id, code, _, _):
            answers[id] = frame
            #expect(CallError.Code(rawValue: code) != nil, "unknown CALLERROR code \(code)")
        }
    }

    private mutating func schedule(_ reply: Reply, to call: Call) {
        let bytes: [UInt8]
        switch reply {
        case .result(let payload):
            if call.action == V16.Action.bootNotification.rawValue, case .string("Accepted")? = payload["status"] {
                accepted = true
            }
            bytes = Frame.callResult(id: call.id, payload: payload).encoded
        case .error(let code):
            bytes = Frame.encodeCallError(id: call.id, error: CallError(code, "scripted"))
        case .raw(let text):
            bytes = Array(text.replacing("{id}", with: call.id).utf8)
        case .hold:
            held.append(call)
            return
        }
        deliverySequence += 1
        deliveries.append((now + latency, deliverySequence, bytes))
    }

    private mutating func defaultReply(to call: Call) -> Reply {
        let idTag: String? = if case .string(let tag)? = call.payload["idTag"] { tag } else { nil }
        let status = idTag.flatMap { tags[$0] } ?? .accepted
        guard let action = V16.Action(rawValue: call.action) else { return .error(.notImplemented) }
        switch action {
        case .bootNotification:
            return .conf(V16.BootNotificationResponse(status: bootStatus, currentTime: now, interval: bootInterval))
        case .heartbeat:
            return .conf(V16.HeartbeatResponse(currentTime: now))
        case .statusNotification:
            return .conf(V16.StatusNotificationResponse())
        case .authorize:
            return .conf(V16.AuthorizeResponse(idTagInfo: V16.IdTagInfo(status: status)))
        case .startTransaction:
            nextTransactionId += 1
            return .conf(V16.StartTransactionResponse(idTagInfo: V16.IdTagInfo(status: status),
                                                      transactionId: nextTransactionId - 1))
        case .stopTransaction:
            return .conf(V16.StopTransactionResponse(idTagInfo: idTag.map { _ in V16.IdTagInfo(status: status) }))
        case .meterValues:
            return .conf(V16.MeterValuesResponse())
        case .dataTransfer:
            return .conf(V16.DataTransferResponse(status: .unknownVendorId))
        case .securityEventNotification:
            return .conf(V16.SecurityEventNotificationResponse())
        case .signCertificate:
            return .conf(V16.SignCertificateResponse(status: .accepted))
        case .changeAvailability, .changeConfiguration, .clearCache, .getConfiguration, .remoteStartTransaction,
             .remoteStopTransaction, .reset, .unlockConnector, .diagnosticsStatusNotification,
             .firmwareStatusNotification, .getDiagnostics, .updateFirmware, .getLocalListVersion, .sendLocalList,
             .cancelReservation, .reserveNow, .clearChargingProfile, .getCompositeSchedule, .setChargingProfile,
             .triggerMessage, .certificateSigned, .deleteCertificate, .extendedTriggerMessage,
             .getInstalledCertificateIds, .getLog, .installCertificate, .logStatusNotification,
             .signedFirmwareStatusNotification, .signedUpdateFirmware:
            // A modelled notification of a feature profile whose answer is `{}` is acknowledged.
            if action.initiatedByChargePoint, let types = action.payloadTypes,
               (try? types.response.init(json: .object([]))) != nil {
                return .result(.object([]))
            }
            return .error(.notSupported)
        }
    }

    // MARK: schema checks

    /// Decodes a CALL payload the engine wrote with the request type of its action.
    static func validateRequest(_ action: V16.Action, _ payload: JSONValue) throws(CallError) {
        guard action.initiatedByChargePoint, let types = action.payloadTypes else {
            throw CallError(.notSupported, "the charge point does not send \(action.rawValue)")
        }
        _ = try types.request.init(json: payload)
    }

    /// Decodes a CALLRESULT payload the engine wrote with the response type of `action`.
    static func validateResponse(to action: V16.Action, _ payload: JSONValue) throws(CallError) {
        guard action == .dataTransfer || !action.initiatedByChargePoint, let types = action.payloadTypes else {
            throw CallError(.notSupported, "the charge point answers \(action.rawValue) with a CALLERROR")
        }
        _ = try types.response.init(json: payload)
    }
}

extension ScriptedCSMS {
    /// The CALL an Accepted trigger makes the charge point send.
    static func triggeredAction(_ requestedMessage: String, extended: Bool) -> String {
        switch (requestedMessage, extended) {
        case ("FirmwareStatusNotification", true): V16.Action.signedFirmwareStatusNotification.rawValue
        case ("SignChargePointCertificate", true): V16.Action.signCertificate.rawValue
        default: requestedMessage
        }
    }
}

extension ScriptedCSMS.Call {
    /// The transactionId of a MeterValues or StopTransaction payload.
    var transactionId: Int? {
        if case .integer(let id)? = payload["transactionId"] { Int(id) } else { nil }
    }
}

extension EVProfile {
    static let car = EVProfile(maxPowerW: 11_000)
}
