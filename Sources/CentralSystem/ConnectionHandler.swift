import Logging
import NIOCore
import NIOWebSocket
import OCPP
import OCPPWebSocket

/// Asks a connection to end with a WebSocket close (`OCPPWebSocketHandler` starts it and waits
/// `closeGrace` for the peer's answer); sent through the pipeline from any thread
/// (`ChannelPipeline.fireUserInboundEventTriggered`).
typealias CloseRequest = WebSocketCloseRequest

extension WebSocketCloseRequest {
    /// The same charge point id connected again.
    static let replaced = WebSocketCloseRequest(reason: "replaced by a newer connection of the same charge point")
    /// The server is shutting down.
    static let shutdown = WebSocketCloseRequest(reason: "central system shutting down")
}

/// A charge point's connection as its `OCPPWebSocketHandler` sees it, either OCPP version.
protocol ChargePointSocketDelegate: WebSocketMessageDelegate {
    /// The handler in front, set once both exist (each holds the other until the connection closes).
    var socket: OCPPWebSocketHandler? { get set }
}

/// The CSMS's WebSocket settings (its message size, fragment count and close grace) and the
/// connection of the negotiated version, in one place for the upgrade and for tests.
enum ChargePointSocket {
    static let maxFragments = 1024

    /// The connection of a charge point speaking `version`.
    static func connection(chargePointId: String, version: OCPPVersion, shared: SharedState) -> any ChargePointSocketDelegate {
        switch version {
        case .v16: ChargePointConnection<V16CallAnswers>(chargePointId: chargePointId, shared: shared)
        case .v201: ChargePointConnection<V201CallAnswers>(chargePointId: chargePointId, shared: shared)
        }
    }

    /// A handler that starts with the HTTP upgrade.
    static func handler(upgrade: ChargePointUpgrade, shared: SharedState) -> OCPPWebSocketHandler {
        OCPPWebSocketHandler(upgrade: upgrade, maxMessageSize: shared.configuration.maxMessageSize, role: .server,
                             maxFragments: maxFragments, closeGrace: shared.configuration.closeGrace)
    }

    /// A handler open from the start, for `delegate`.
    static func handler(delegate: any WebSocketMessageDelegate, shared: SharedState) -> OCPPWebSocketHandler {
        OCPPWebSocketHandler(delegate: delegate, maxMessageSize: shared.configuration.maxMessageSize, role: .server,
                             maxFragments: maxFragments, closeGrace: shared.configuration.closeGrace)
    }
}

/// One charge point's connection, behind its `OCPPWebSocketHandler` (framing, pings, closes) and
/// confined to its channel's event loop: text messages go to the `ChargePointSession` and its
/// answers go back (flushed once per read by the handler); binary frames and pings are counted;
/// while our close is out, messages are no longer answered. The same for both OCPP versions:
/// `Answers` is the only difference.
final class ChargePointConnection<Answers: CallAnswers>: ChargePointSocketDelegate {
    private var session: ChargePointSession<Answers>
    private let shared: SharedState
    /// The connection's handler, until the connection closes (it holds this object too).
    var socket: OCPPWebSocketHandler?
    private var channel: (any Channel)?
    private var counters: LoopCounters?
    private var registered = false
    /// The CSMS's own CALLs, when the configuration has a scenario.
    private var scenario: ScenarioSession?
    private var scenarioTimer: Scheduled<Void>?
    private var scenarioTimerAt: Duration?
    private var onceRecorded = 0

    init(chargePointId: String, shared: SharedState) {
        self.session = ChargePointSession(chargePointId: chargePointId, bootAccepted: false, shared: shared)
        self.shared = shared
    }

    var chargePointId: String { session.chargePointId }
    private var logger: Logger { shared.logger }

    // MARK: WebSocketMessageDelegate

    func webSocketOpened(channel: any Channel) {
        self.channel = channel
        counters = shared.counters(for: channel.eventLoop)
        let (replaced, booted) = shared.registry.open(chargePointId, on: channel)
        registered = true
        session.restoreBoot(booted)
        shared.gauge.opened()
        counters?.record { $0.connections[Answers.version, default: 0] += 1 }
        if let plan = shared.configuration.scenario {
            let now = uptime(channel.eventLoop)
            scenario = ScenarioSession(scenario: plan, chargePointId: chargePointId, version: Answers.version,
                                       epoch: shared.scenarioMemory.epoch(now: now),
                                       onceSent: shared.scenarioMemory.onceSent(chargePointId))
        }
        logger.debug("charge point connected", metadata: ["cp.id": "\(chargePointId)", "ocpp": "\(Answers.version.rawValue)"])
        if let replaced {
            shared.gauge.replaced()
            logger.debug("closing the older connection of a reconnected charge point", metadata: ["cp.id": "\(chargePointId)"])
            replaced.pipeline.fireUserInboundEventTriggered(CloseRequest.replaced)
        }
    }

    func webSocketClosed() {
        guard registered, let channel else { return }
        registered = false
        scenario?.close()
        scenarioTimer?.cancel()
        scenarioTimer = nil
        // The handler holds this object: letting go of it ends the pair.
        socket = nil
        shared.registry.close(chargePointId, on: channel)
        shared.gauge.closed()
        logger.debug("charge point disconnected", metadata: ["cp.id": "\(chargePointId)"])
    }

    func transportError(_ error: any Error) {
        logger.debug("connection error", metadata: ["cp.id": "\(chargePointId)", "error": "\(error)"])
    }

    func receivedBinaryFrame() {
        // OCPP-J sends text frames only (OCPP-J 1.6 §4.1.1).
        counters?.record { $0.binaryFrames += 1 }
        logger.trace("binary frame ignored", metadata: ["cp.id": "\(chargePointId)"])
    }

    func receivedPing() {
        counters?.record { $0.pings += 1 }
    }

    func received(text payload: UnsafeRawBufferPointer) {
        guard let socket, !socket.closeSent, let channel else { return }
        let message = Result { () throws(JSONParser.Failure) -> JSONValue in
            try JSONParser.parse(payload.assumingMemoryBound(to: UInt8.self))
        }
        if scenario != nil, case .success(let json) = message, Self.isResponse(json),
           let frame = try? Frame.parse(json), scenario!.response(frame) {
            logger.trace("answer to our call", metadata: ["cp.id": "\(chargePointId)",
                                                          "in": "\(String(decoding: payload, as: UTF8.self))"])
            pumpScenario(socket, loop: channel.eventLoop)
            return
        }
        let outcome = session.received(message, now: shared.configuration.clock.now)
        counters?.record { $0.add(outcome.tally) }
        logger.trace("message", metadata: [
            "cp.id": "\(chargePointId)",
            "in": "\(String(decoding: payload, as: UTF8.self))",
            "out": "\(outcome.reply.map { String(decoding: $0, as: UTF8.self) } ?? "-")",
        ])
        if let reply = outcome.reply {
            socket.sendText(reply)
        }
        if scenario != nil {
            // After the reply: BootNotification.conf goes out before the CALLs that the boot triggers.
            scenario!.observed(outcome.tally, now: uptime(channel.eventLoop))
            pumpScenario(socket, loop: channel.eventLoop)
        }
    }

    // MARK: -

    private static func isResponse(_ json: JSONValue) -> Bool {
        guard case .array(let elements) = json, let first = elements.first, case .integer(let type) = first else { return false }
        return type == 3 || type == 4
    }

    private func uptime(_ loop: any EventLoop) -> Duration {
        .nanoseconds(Int64(clamping: loop.now.uptimeNanoseconds))
    }

    /// Writes the scenario's next CALL if one is due and none is outstanding, records its
    /// counts and re-arms the timer.
    private func pumpScenario(_ socket: OCPPWebSocketHandler, loop: any EventLoop) {
        guard scenario != nil else { return }
        if !socket.closeSent,
           let call = scenario!.nextFrame(now: uptime(loop), wall: shared.configuration.clock.now) {
            logger.trace("call", metadata: ["cp.id": "\(chargePointId)", "out": "\(String(decoding: call, as: UTF8.self))"])
            socket.sendText(call)
        }
        let counts = scenario!.takeCounts()
        if !counts.isEmpty {
            counters?.record { for (action, n) in counts { $0.sent[action, default: .init()].merge(n) } }
        }
        if scenario!.onceSent.count != onceRecorded {
            onceRecorded = scenario!.onceSent.count
            shared.scenarioMemory.recordOnceSent(chargePointId, scenario!.onceSent)
        }
        armScenarioTimer(socket, loop: loop)
    }

    /// Re-arms the one NIO task at the scenario's next wakeup whenever it changed. (Leaving an
    /// early task armed instead, to save the cancel, cost more: each early firing pops NIO's
    /// timer heap and schedules again; docs/performance.md, "The embedded CSMS".)
    private func armScenarioTimer(_ socket: OCPPWebSocketHandler, loop: any EventLoop) {
        let wakeup = scenario?.nextWakeup
        guard wakeup != scenarioTimerAt else { return }
        scenarioTimer?.cancel()
        scenarioTimer = nil
        scenarioTimerAt = wakeup
        guard let wakeup, !socket.closeSent else { return }
        let deadline = NIODeadline.uptimeNanoseconds(UInt64(max(0, wakeup.components.seconds * 1_000_000_000
            + wakeup.components.attoseconds / 1_000_000_000)))
        scenarioTimer = loop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.scenarioTimerAt = nil
            self.scenarioTimer = nil
            guard self.scenario != nil, let socket = self.socket, !socket.closeSent else { return }
            self.scenario!.timerFired(now: self.uptime(loop))
            self.pumpScenario(socket, loop: loop)
        }
    }
}

@available(*, unavailable)
extension ChargePointConnection: Sendable {}
