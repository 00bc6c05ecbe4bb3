import Logging
import NIOCore
import NIOWebSocket
import OCPP

/// Asks a connection to end with a WebSocket close; sent through the pipeline from any
/// thread (`ChannelPipeline.fireUserInboundEventTriggered`).
enum CloseRequest: Sendable, Equatable {
    /// The same charge point id connected again.
    case replaced
    /// The server is shutting down.
    case shutdown

    var reason: String {
        switch self {
        case .replaced: "replaced by a newer connection of the same charge point"
        case .shutdown: "central system shutting down"
        }
    }
}

/// The WebSocket side of one charge point's connection, confined to its channel's event
/// loop: text messages go to the `ChargePointSession` and its answers go back; pings are
/// answered, binary frames counted and dropped, close handshakes completed. Replies are
/// written as they come and flushed once per read burst. The same for both OCPP versions:
/// `Answers` is the only difference.
final class OCPPConnectionHandler<Answers: CallAnswers>: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// We sent a close frame and wait for the peer's.
        case closeSent
        /// The peer's close was answered (or the socket failed); nothing more is sent.
        case closed
    }

    private var session: ChargePointSession<Answers>
    private let shared: SharedState
    private var counters: LoopCounters?
    private var state = State.open
    private var registered = false
    private var flushPending = false
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

    func handlerAdded(context: ChannelHandlerContext) {
        counters = shared.counters(for: context.eventLoop)
        let (replaced, booted) = shared.registry.open(chargePointId, on: context.channel)
        registered = true
        session.restoreBoot(booted)
        shared.gauge.opened()
        counters?.record { $0.connections[Answers.version, default: 0] += 1 }
        if let plan = shared.configuration.scenario {
            let now = Self.uptime(context)
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

    func channelInactive(context: ChannelHandlerContext) {
        unregister(context: context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        unregister(context: context)
    }

    private func unregister(context: ChannelHandlerContext) {
        guard registered else { return }
        registered = false
        state = .closed
        scenario?.close()
        scenarioTimer?.cancel()
        scenarioTimer = nil
        shared.registry.close(chargePointId, on: context.channel)
        shared.gauge.closed()
        logger.debug("charge point disconnected", metadata: ["cp.id": "\(chargePointId)"])
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard case .open = state else { return }
            receivedText(context: context, frame.unmaskedData)
        case .binary:
            // OCPP-J sends text frames only (OCPP-J 1.6 §4.1.1).
            counters?.record { $0.binaryFrames += 1 }
            logger.trace("binary frame ignored", metadata: ["cp.id": "\(chargePointId)"])
        case .ping:
            guard case .open = state else { return }
            counters?.record { $0.pings += 1 }
            context.write(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)),
                          promise: nil)
            flushPending = true
        case .connectionClose:
            receivedClose(context: context, frame)
        default:
            // Pongs, and continuations (the aggregator in front of us joins fragments).
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let request = event as? CloseRequest {
            startClose(context: context, code: .normalClosure, reason: request.reason)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["cp.id": "\(chargePointId)", "error": "\(error)"])
        switch error {
        case is NIOWebSocketError:
            // WebSocketProtocolErrorHandler already sent the close frame and closes.
            state = .closed
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge,
             NIOWebSocketFrameAggregator.Error.tooManyFragments:
            startClose(context: context, code: .messageTooLarge, reason: "message too large", grace: .zero)
        case is NIOWebSocketFrameAggregator.Error:
            startClose(context: context, code: .protocolError, reason: "bad fragmentation", grace: .zero)
        default:
            state = .closed
            context.close(promise: nil)
        }
    }

    // MARK: -

    private func receivedText(context: ChannelHandlerContext, _ payload: ByteBuffer) {
        let message = payload.withUnsafeReadableBytes { raw in
            Result { () throws(JSONParser.Failure) -> JSONValue in
                try JSONParser.parse(raw.assumingMemoryBound(to: UInt8.self))
            }
        }
        if scenario != nil, case .success(let json) = message, Self.isResponse(json),
           let frame = try? Frame.parse(json), scenario!.response(frame) {
            logger.trace("answer to our call", metadata: ["cp.id": "\(chargePointId)", "in": "\(String(buffer: payload))"])
            pumpScenario(context: context)
            return
        }
        let outcome = session.received(message, now: shared.configuration.clock.now)
        counters?.record { $0.add(outcome.tally) }
        logger.trace("message", metadata: [
            "cp.id": "\(chargePointId)",
            "in": "\(String(buffer: payload))",
            "out": "\(outcome.reply.map { String(decoding: $0, as: UTF8.self) } ?? "-")",
        ])
        if let reply = outcome.reply {
            let buffer = context.channel.allocator.buffer(bytes: reply)
            context.write(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
            flushPending = true
        }
        if scenario != nil {
            // After the reply: BootNotification.conf goes out before the CALLs that the boot triggers.
            scenario!.observed(outcome.tally, now: Self.uptime(context))
            pumpScenario(context: context)
        }
    }

    private static func isResponse(_ json: JSONValue) -> Bool {
        guard case .array(let elements) = json, let first = elements.first, case .integer(let type) = first else { return false }
        return type == 3 || type == 4
    }

    private static func uptime(_ context: ChannelHandlerContext) -> Duration {
        .nanoseconds(Int64(clamping: context.eventLoop.now.uptimeNanoseconds))
    }

    /// Writes the scenario's next CALL if one is due and none is outstanding, records its
    /// counts and re-arms the timer.
    private func pumpScenario(context: ChannelHandlerContext) {
        guard scenario != nil else { return }
        if case .open = state,
           let call = scenario!.nextFrame(now: Self.uptime(context), wall: shared.configuration.clock.now) {
            logger.trace("call", metadata: ["cp.id": "\(chargePointId)", "out": "\(String(decoding: call, as: UTF8.self))"])
            let buffer = context.channel.allocator.buffer(bytes: call)
            context.write(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
            flushPending = true
        }
        let counts = scenario!.takeCounts()
        if !counts.isEmpty {
            counters?.record { for (action, n) in counts { $0.sent[action, default: .init()].merge(n) } }
        }
        if scenario!.onceSent.count != onceRecorded {
            onceRecorded = scenario!.onceSent.count
            shared.scenarioMemory.recordOnceSent(chargePointId, scenario!.onceSent)
        }
        armScenarioTimer(context: context)
    }

    private func armScenarioTimer(context: ChannelHandlerContext) {
        let wakeup = scenario?.nextWakeup
        guard wakeup != scenarioTimerAt else { return }
        scenarioTimer?.cancel()
        scenarioTimer = nil
        scenarioTimerAt = wakeup
        guard let wakeup, case .open = state else { return }
        let deadline = NIODeadline.uptimeNanoseconds(UInt64(max(0, wakeup.components.seconds * 1_000_000_000
            + wakeup.components.attoseconds / 1_000_000_000)))
        scenarioTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.scenarioTimerAt = nil
            self.scenarioTimer = nil
            guard self.scenario != nil, case .open = self.state else { return }
            self.scenario!.timerFired(now: Self.uptime(context))
            self.pumpScenario(context: context)
            if self.flushPending {
                self.flushPending = false
                context.flush()
            }
        }
    }

    private func receivedClose(context: ChannelHandlerContext, _ frame: WebSocketFrame) {
        switch state {
        case .closeSent, .closed:
            // The peer answered our close (RFC 6455 §5.5.1): the server closes TCP first.
            state = .closed
            context.close(promise: nil)
        case .open:
            // Echo the peer's status code, then close (RFC 6455 §5.5.1).
            state = .closed
            var data = frame.unmaskedData
            let code = data.readSlice(length: 2) ?? ByteBuffer()
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
                .whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Sends a close frame; the socket closes when the peer answers or after `grace`.
    private func startClose(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String,
                            grace: TimeAmount? = nil) {
        guard case .open = state else { return }
        state = .closeSent
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let channel = context.channel
        let wait = grace ?? shared.configuration.closeGrace
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { result in
                guard case .success = result, wait > .zero else {
                    channel.close(promise: nil)
                    return
                }
                let backstop = channel.eventLoop.scheduleTask(in: wait) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in backstop.cancel() }
            }
    }
}

@available(*, unavailable)
extension OCPPConnectionHandler: Sendable {}
