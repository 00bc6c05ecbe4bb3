import ChargePoint
import FleetSpec
import OCPP
import Telemetry

@testable import Fleet

/// A CSMS that answers everything at once, with the embedded CSMS's idTag policy (tags starting
/// BLOCKED, EXPIRED or INVALID are refused with that status) and its DataTransfer rule, for
/// driving engine + driver on a virtual clock. Transaction ids count per charge point, so a
/// charge point's traffic does not depend on any other's.
struct AcceptingCSMS {
    var nextTransactionId = 100
    var transactionsOpen: Set<Int> = []
    var frames: [String] = []

    static func status(of idTag: String) -> V16.AuthorizationStatus {
        let upper = idTag.uppercased()
        if upper.hasPrefix("BLOCKED") { return .blocked }
        if upper.hasPrefix("EXPIRED") { return .expired }
        if upper.hasPrefix("INVALID") { return .invalid }
        return .accepted
    }

    mutating func answer(_ bytes: [UInt8], now: Timestamp) -> [UInt8]? {
        frames.append(String(decoding: bytes, as: UTF8.self))
        guard case let .call(id, action, payload) = try? Frame.parse(bytes) else { return nil }
        let response: [UInt8]
        switch V16.Action(rawValue: action) {
        case .bootNotification:
            response = V16.BootNotificationResponse(status: .accepted, currentTime: now, interval: 60).encoded
        case .heartbeat:
            response = V16.HeartbeatResponse(currentTime: now).encoded
        case .authorize:
            let tag = (try? V16.AuthorizeRequest(json: payload))?.idTag ?? ""
            response = V16.AuthorizeResponse(idTagInfo: V16.IdTagInfo(status: Self.status(of: tag))).encoded
        case .startTransaction:
            let tag = (try? V16.StartTransactionRequest(json: payload))?.idTag ?? ""
            nextTransactionId += 1
            transactionsOpen.insert(nextTransactionId)
            response = V16.StartTransactionResponse(idTagInfo: V16.IdTagInfo(status: Self.status(of: tag)),
                                                    transactionId: nextTransactionId).encoded
        case .stopTransaction:
            if let request = try? V16.StopTransactionRequest(json: payload) {
                transactionsOpen.remove(request.transactionId)
            }
            response = V16.StopTransactionResponse().encoded
        case .dataTransfer:
            let vendor = (try? V16.DataTransferRequest(json: payload))?.vendorId
            response = V16.DataTransferResponse(status: vendor == "ocpp-fleet" ? .accepted : .unknownVendorId).encoded
        default:
            response = Array("{}".utf8)
        }
        return Frame.encodeCallResult(id: id, payload: response)
    }
}

/// The runtime's engine with a log of every input the driver gives it, for determinism checks.
struct RecordingEngine: DrivenEngine {
    var base: AnyChargePointEngine
    var inputs: [String] = []

    var identity: ChargePointIdentity { base.identity }
    var nextWakeup: Timestamp? { base.nextWakeup }
    var pendingTransactionMessages: Int { base.pendingTransactionMessages }
    var openTransactions: Int { base.openTransactions }
    var isAccepted: Bool { base.isAccepted }

    mutating func connected(now: Timestamp, into out: inout [EngineOutput]) { base.connected(now: now, into: &out) }
    mutating func disconnected(now: Timestamp, into out: inout [EngineOutput]) { base.disconnected(now: now, into: &out) }
    mutating func received(_ text: [UInt8], now: Timestamp, into out: inout [EngineOutput]) {
        base.received(text, now: now, into: &out)
    }
    mutating func tick(now: Timestamp, into out: inout [EngineOutput]) { base.tick(now: now, into: &out) }
    mutating func stopAllTransactions(now: Timestamp, into out: inout [EngineOutput]) {
        base.stopAllTransactions(now: now, into: &out)
    }

    mutating func plugIn(connector: Int, ev: EVProfile, now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) plugIn \(connector) \(ev.maxPowerW) \(ev.batteryWh) \(ev.initialSoC)")
        base.plugIn(connector: connector, ev: ev, now: now, into: &out)
    }
    mutating func unplug(connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) unplug \(connector)")
        base.unplug(connector: connector, now: now, into: &out)
    }
    mutating func presentIdTag(_ idTag: String, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) presentIdTag \(connector) \(idTag)")
        base.presentIdTag(idTag, connector: connector, now: now, into: &out)
    }
    mutating func setEVSuspended(_ suspended: Bool, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) setEVSuspended \(connector) \(suspended)")
        base.setEVSuspended(suspended, connector: connector, now: now, into: &out)
    }
    mutating func setFault(_ code: V16.ChargePointErrorCode?, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) setFault \(connector) \(code?.rawValue ?? "-")")
        base.setFault(code, connector: connector, now: now, into: &out)
    }
    mutating func setEVPower(_ watts: Double, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) setEVPower \(connector) \(watts)")
        base.setEVPower(watts, connector: connector, now: now, into: &out)
    }
    mutating func sessionEnergyWh(connector: Int, now: Timestamp) -> Double? {
        base.sessionEnergyWh(connector: connector, now: now)
    }
    mutating func powerCycle(now: Timestamp, into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) powerCycle")
        base.powerCycle(now: now, into: &out)
    }
    mutating func sendDataTransfer(vendorId: String, messageId: String?, data: String?, now: Timestamp,
                                   into out: inout [EngineOutput]) {
        inputs.append("\(now.microseconds) dataTransfer \(vendorId) \(messageId ?? "-") \(data ?? "-")")
        base.sendDataTransfer(vendorId: vendorId, messageId: messageId, data: data, now: now, into: &out)
    }
}

/// One charge point with its driver, run on a virtual clock against `AcceptingCSMS`, doing what
/// `SimulatedChargePoint` does with the engine's outputs: reboots and outages disconnect it and
/// it reconnects after the delay.
///
/// With `answerDelay`, each answer arrives that long after its CALL (a virtual network, so
/// latencies are not all zero), and an answer due after a disconnect is lost; with
/// `telemetry`, the charge point records into it what `SimulatedChargePoint` records.
struct VirtualChargePoint {
    var engine: RecordingEngine
    var driver: SessionDriver
    var csms = AcceptingCSMS()
    var now = VirtualChargePoint.epoch
    var online = false
    var reconnectAt: Timestamp?
    var started = 0
    var stopped = 0
    var outages = 0
    var reboots = 0
    var answerDelay: (@Sendable (_ answersSoFar: Int) -> Interval)?
    var telemetry: LoopTelemetry?
    private(set) var group = 0
    private var answers: [(due: Timestamp, connection: Int, bytes: [UInt8])] = []
    private var connection = 0
    private var bootCounted = false

    static let epoch = Timestamp(seconds: 1_790_000_000)

    init(seed: UInt64, behaviour: BehaviourSpec = BehaviourSpec(
        arrival: .uniform(lower: 60, upper: 600), plugToAuthorize: .uniform(lower: 2, upper: 10),
        chargeDuration: .exponential(mean: 1800), unplugDelay: .uniform(lower: 5, upper: 60), powerKW: .constant(11)),
        connectors: Int = 2, connectorSpecs: [ConnectorSpec]? = nil) {
        let plan = ChargePointPlan(index: 1, id: "CP-1", group: 0, vendor: "ocpp-fleet", model: "sim", firmwareVersion: nil,
                                   connectors: connectorSpecs?.count ?? connectors, behaviour: "b", config: [],
                                   connectorSpecs: connectorSpecs)
        self.init(plan: plan, behaviour: behaviour, seed: seed)
    }

    init(plan: ChargePointPlan, behaviour: BehaviourSpec, seed: UInt64) {
        group = plan.group
        engine = RecordingEngine(base: ChargePointSetup.engine(plan: plan, settings: EngineSettings(), seed: seed).0)
        driver = ChargePointSetup.driver(plan: plan, behaviour: SharedBehaviour(behaviour), seed: seed)
    }

    var frames: [String] { csms.frames }

    /// The earliest moment something is due.
    var nextEvent: Timestamp? {
        [engine.nextWakeup, driver.nextWakeup, reconnectAt, answers.first?.due].compactMap { $0 }.min()
    }

    /// Hands the engine the answers due by now, of the current connection.
    private mutating func deliverAnswers(into out: inout [EngineOutput]) {
        while let answer = answers.first, answer.due <= now {
            answers.removeFirst()
            if online, answer.connection == connection { engine.received(answer.bytes, now: now, into: &out) }
        }
    }

    private mutating func connect(into out: inout [EngineOutput]) {
        online = true
        connection += 1
        telemetry?.connected(group: group)
        engine.connected(now: now, into: &out)
    }

    mutating func process(_ outputs: [EngineOutput]) {
        var pending = outputs
        while !pending.isEmpty {
            var next: [EngineOutput] = []
            for output in pending {
                switch output {
                case .send(let bytes):
                    guard online, let reply = csms.answer(bytes, now: now) else { break }
                    if let answerDelay {
                        answers.append((now + answerDelay(csms.frames.count), connection, reply))
                        answers.sort { $0.due < $1.due }
                    } else {
                        engine.received(reply, now: now, into: &next)
                    }
                case .reboot(let after):
                    reboots += 1
                    goOffline(for: after, into: &next)
                case .reconnect(let after):
                    goOffline(for: after, into: &next)
                case .event(let event):
                    if case .transactionStarted = event { started += 1 }
                    if case .transactionStopped = event { stopped += 1 }
                    record(event)
                    driver.handle(event, now: now)
                }
            }
            pending = next
        }
    }

    /// The counts and latencies `SimulatedChargePoint` records (no time scale here).
    private mutating func record(_ event: EngineEvent) {
        guard let telemetry else { return }
        switch event {
        case .callSent(let action): telemetry.callSent(action, group: group)
        case .callCompleted(let action, let latency, let sinceDue):
            telemetry.callCompleted(action, latencyMicros: latency.microseconds, group: group)
            if let sinceDue { telemetry.callCompletedSinceDue(action, micros: sinceDue.microseconds) }
        case .callErrored(let action, let code, let latency):
            telemetry.callErrored(action, code: code, latencyMicros: latency.microseconds, group: group)
        case .callTimedOut(let action): telemetry.callTimedOut(action, group: group)
        case .bootAccepted:
            if !bootCounted { telemetry.bootAccepted(group: group) }
            bootCounted = true
        case .transactionStarted: telemetry.transactionStarted(group: group)
        case .transactionStopped: telemetry.transactionStopped(group: group)
        default: break  // incoming CALLs and driver prompts: AcceptingCSMS sends no CALLs
        }
    }

    private mutating func goOffline(for interval: Interval, into out: inout [EngineOutput]) {
        guard online else { return }
        online = false
        telemetry?.disconnected(group: group)
        engine.disconnected(now: now, into: &out)
        reconnectAt = now + interval
    }

    /// Connects and starts the driver at `time`.
    mutating func start(at time: Timestamp) {
        now = time
        var out: [EngineOutput] = []
        connect(into: &out)
        driver.begin(now: now)
        process(out)
    }

    /// Runs everything due at `time`.
    mutating func step(at time: Timestamp) {
        now = max(now, time)
        var out: [EngineOutput] = []
        if let at = reconnectAt, at <= now {
            reconnectAt = nil
            connect(into: &out)
        }
        deliverAnswers(into: &out)
        engine.tick(now: now, into: &out)
        driver.tick(now: now, engine: &engine, into: &out)
        if let offline = driver.takeOutage(), online {
            outages += 1
            goOffline(for: offline, into: &out)
        }
        process(out)
    }

    /// The end of the run: no new sessions, every transaction stopped, back online at once (as
    /// `SimulatedChargePoint.finish` restarts its back-off) until the journal is empty.
    mutating func finish(at time: Timestamp) {
        now = max(now, time)
        var out: [EngineOutput] = []
        driver.stop()
        engine.stopAllTransactions(now: now, into: &out)
        if !online {
            reconnectAt = nil
            connect(into: &out)
        }
        process(out)
        var rounds = 0
        while engine.pendingTransactionMessages > 0 || !answers.isEmpty, rounds < 1000,
              let wake = [engine.nextWakeup, answers.first?.due].compactMap({ $0 }).min() {
            rounds += 1
            now = max(now, wake)
            out = []
            deliverAnswers(into: &out)
            engine.tick(now: now, into: &out)
            process(out)
        }
        if online {
            online = false
            telemetry?.disconnected(group: group)
        }
    }

    mutating func run(for seconds: Int64) {
        start(at: now)
        let end = now + Interval(microseconds: seconds * 1_000_000)
        while let wake = nextEvent, wake <= end { step(at: wake) }
        finish(at: end)
    }
}
