import ChargePoint
import OCPP
import Testing

/// A 2.0.1 CSMS scripted by a test, driving one `ChargePointV201` on a virtual clock, like
/// `ScriptedCSMS` does for 1.6. Every CALL of the engine is decoded with its generated
/// `V201.*Request` type, so a payload that breaks the 2.0.1 schema fails the test; every answer
/// of the engine to a CSMS CALL is decoded with the response type. Checked on every frame: one
/// CALL outstanding at a time, nothing but BootNotification (or a triggered message) before an
/// Accepted boot, nothing written while disconnected.
struct ScriptedCSMS201 {
    struct Call: CustomStringConvertible {
        var id: String
        var action: String
        var payload: JSONValue
        var at: Timestamp
        var description: String { "\(action)#\(id) \(payload.text)" }
    }

    var engine: ChargePointV201
    private(set) var now: Timestamp
    var bootStatus = V201.RegistrationStatusEnum.accepted
    var bootInterval = 300
    /// idTokenInfo status per idToken in Authorize and TransactionEvent answers (Accepted when absent).
    var tokens: [String: V201.AuthorizationStatusEnum] = [:]
    /// CALLs of these actions are answered with this CALLERROR code instead.
    var failing: [String: String] = [:]
    var latency = Interval.zero

    private(set) var calls: [Call] = []
    private(set) var events: [EngineEvent] = []
    private(set) var reboots: [Timestamp] = []
    private(set) var isConnected = false
    private var outstanding: String?
    private var accepted = false
    private var answers: [(at: Timestamp, bytes: [UInt8])] = []
    private var callNumber = 0
    private var sentAnswers: [Frame] = []

    static let start = Timestamp(seconds: 1_780_000_000)
    static let identity = ChargePointIdentity(id: "CS-201", vendor: "ocpp-fleet", model: "Sim-22",
                                              firmwareVersion: "2.0.1-sim", serialNumber: "SN-201", connectors: 2)

    init(connectors: Int = 2, settings: EngineSettings = EngineSettings(), variables: [(String, String)] = []) {
        var identity = Self.identity
        identity.connectors = connectors
        engine = ChargePointV201(identity: identity, settings: settings)
        let refused = engine.configure(variables.map { (key: $0.0, value: $0.1) })
        #expect(refused.isEmpty, "device model refused \(refused)")
        now = Self.start
    }

    static func booted(connectors: Int = 2, variables: [(String, String)] = []) -> ScriptedCSMS201 {
        var csms = ScriptedCSMS201(connectors: connectors, variables: variables)
        csms.connect()
        #expect(csms.engine.isAccepted)
        return csms
    }

    // MARK: inputs

    mutating func input(_ body: (inout ChargePointV201, Timestamp, inout [EngineOutput]) -> Void) {
        var out: [EngineOutput] = []
        body(&engine, now, &out)
        handle(out)
        run(until: now)
    }

    mutating func connect() {
        isConnected = true
        input { $0.connected(now: $1, into: &$2) }
    }

    mutating func disconnect() {
        isConnected = false
        outstanding = nil
        answers = []
        input { $0.disconnected(now: $1, into: &$2) }
    }

    mutating func plugIn(_ evse: Int) { input { $0.plugIn(connector: evse, ev: EVProfile(maxPowerW: 11_000), now: $1, into: &$2) } }
    mutating func unplug(_ evse: Int) { input { $0.unplug(connector: evse, now: $1, into: &$2) } }
    mutating func present(_ token: String, on evse: Int) { input { $0.presentIdTag(token, connector: evse, now: $1, into: &$2) } }

    /// Sends a CSMS CALL and returns the engine's answer frame.
    @discardableResult
    mutating func send(_ action: String, _ payload: JSONValue) -> Frame? {
        callNumber += 1
        let id = "cs-\(callNumber)"
        return sendRaw(Frame.call(id: id, action: action, payload: payload).encoded).first { $0.id == id }
    }

    /// Sends a typed CALL and decodes its CALLRESULT with the generated response type.
    mutating func call<R: OCPPRequest>(_ request: R, sourceLocation: SourceLocation = #_sourceLocation) throws -> R.Response {
        let answer = send(R.action, request.json)
        guard case .callResult(_, let payload)? = answer else {
            Issue.record("\(R.action) answered with \(String(describing: answer))", sourceLocation: sourceLocation)
            throw CallError(.genericError, "no CALLRESULT")
        }
        return try R.Response(json: payload)
    }

    @discardableResult
    mutating func sendRaw(_ bytes: [UInt8]) -> [Frame] {
        let before = sentAnswers.count
        var out: [EngineOutput] = []
        engine.received(bytes, now: now, into: &out)
        handle(out)
        run(until: now)
        return Array(sentAnswers[before...])
    }

    // MARK: time

    mutating func advance(by interval: Interval) { run(until: now + interval) }

    mutating func run(until end: Timestamp) {
        var steps = 0
        while true {
            var next = answers.map(\.at).min()
            if let wake = engine.nextWakeup, next.map({ wake < $0 }) ?? true { next = wake }
            guard let due = next, due <= end else { break }
            steps += 1
            if steps > 100_000 { Issue.record("busy loop at \(due)"); break }
            if due > now { now = due }
            if let index = answers.firstIndex(where: { $0.at <= now }) {
                let bytes = answers.remove(at: index).bytes
                var out: [EngineOutput] = []
                engine.received(bytes, now: now, into: &out)
                handle(out)
            } else {
                var out: [EngineOutput] = []
                engine.tick(now: now, into: &out)
                handle(out)
            }
        }
        if end > now { now = end }
    }

    // MARK: the CSMS side

    private mutating func handle(_ outputs: [EngineOutput]) {
        for output in outputs {
            switch output {
            case .send(let bytes):
                #expect(isConnected, "frame written while disconnected: \(String(decoding: bytes, as: UTF8.self))")
                receive(bytes)
            case .event(let event):
                events.append(event)
            case .reboot:
                reboots.append(now)
                isConnected = false
                outstanding = nil
                answers = []
                accepted = false
            case .reconnect:
                Issue.record("unexpected reconnect")
            }
        }
    }

    private mutating func receive(_ bytes: [UInt8]) {
        guard let frame = try? Frame.parse(bytes) else {
            Issue.record("engine wrote a malformed frame: \(String(decoding: bytes, as: UTF8.self))")
            return
        }
        switch frame {
        case .callResult, .callError:
            sentAnswers.append(frame)
            if case .callResult(let id, let payload) = frame, id.hasPrefix("cs-") {
                _ = payload  // decoded by the caller with the request's response type
            }
        case let .call(id, action, payload):
            #expect(outstanding == nil, "second CALL \(action) while \(outstanding ?? "") is unanswered")
            outstanding = id
            if !accepted, action != "BootNotification" {
                #expect(["Heartbeat", "StatusNotification", "MeterValues", "LogStatusNotification",
                         "FirmwareStatusNotification"].contains(action), "\(action) before the boot was accepted")
            }
            guard let type = V201.Action(rawValue: action)?.payloadTypes?.request else {
                Issue.record("engine sent unknown action \(action)")
                return
            }
            do throws(CallError) { _ = try type.init(json: payload) } catch { Issue.record("\(action) breaks its schema: \(error)") }
            calls.append(Call(id: id, action: action, payload: payload, at: now))
            answers.append((now + latency, answer(id: id, action: action, payload: payload)))
        }
    }

    private mutating func answer(id: String, action: String, payload: JSONValue) -> [UInt8] {
        outstanding = nil
        if let code = failing[action] {
            return Array("[4,\"\(id)\",\"\(code)\",\"scripted\",{}]".utf8)
        }
        func info(_ token: JSONValue?) -> V201.IdTokenInfo {
            guard case .string(let value)? = token?["idToken"] else { return V201.IdTokenInfo(status: .accepted) }
            return V201.IdTokenInfo(status: tokens[value] ?? .accepted)
        }
        let result: [UInt8]
        switch action {
        case "BootNotification":
            accepted = bootStatus == .accepted
            result = V201.BootNotificationResponse(currentTime: now, interval: bootInterval, status: bootStatus).encoded
        case "Heartbeat": result = V201.HeartbeatResponse(currentTime: now).encoded
        case "Authorize": result = V201.AuthorizeResponse(idTokenInfo: info(payload["idToken"])).encoded
        case "TransactionEvent":
            result = V201.TransactionEventResponse(idTokenInfo: payload["idToken"] == nil ? nil : info(payload["idToken"])).encoded
        case "DataTransfer": result = V201.DataTransferResponse(status: .accepted).encoded
        case "SignCertificate": result = V201.SignCertificateResponse(status: .accepted).encoded
        default: result = Array("{}".utf8)
        }
        return Frame.encodeCallResult(id: id, payload: result)
    }

    // MARK: reading the record

    func calls(_ action: String) -> [Call] { calls.filter { $0.action == action } }

    func decoded<R: OCPPRequest>(_: R.Type) throws -> [R] {
        try calls.filter { $0.action == R.action }.map { try R(json: $0.payload) }
    }
}
