import ChargePoint
import FleetSpec
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Telemetry

/// The shell around one charge point's engine and driver: it owns the WebSocket, the
/// single timer and the reconnect policy, and turns engine outputs into I/O. It lives on
/// one event loop for its whole life and is touched nowhere else.
final class SimulatedChargePoint: ConnectionDelegate, WheelTimerTarget {
    enum Connection {
        case idle
        case connecting(Channel?)
        case open(Channel)
        case closing(Channel)
        case waitingToReconnect
    }

    let id: String
    /// Index of the spec group this charge point belongs to: its telemetry is kept per group,
    /// and it connects with the group's security settings.
    private let group: Int
    /// This charge point's TLS context (the group's, or its own for a per-charge-point
    /// certificate); nil without TLS.
    private let tlsContext: NIOSSLContext?
    private let loop: any EventLoop
    private let shared: LoopShared
    private var engine: AnyChargePointEngine
    private var driver: SessionDriver
    private var random: SplitMix64
    private var connection = Connection.idle
    /// The open connection's WebSocket handler: CALLs are written through it, past the pipeline.
    private var socket: OCPPWebSocketHandler?
    private var outputs: [EngineOutput] = []
    private var spare: [EngineOutput] = []
    /// The single timer, on the loop's `TimerWheel`: its deadline, and the generation that tells
    /// the live wheel entry from those a re-arm or cancel left behind.
    private var timerDeadline: Timestamp?
    private var timerGeneration: UInt32 = 0
    private var reconnectAttempts = 0
    /// This charge point's connection attempt holds one of the loop's `ConnectSlots`.
    private var holdsConnectSlot = false
    /// It waits in the loop's `ConnectSlots` queue for a slot.
    private var awaitingConnectSlot = false
    /// `close()` is waiting for the answer to our CALL in flight.
    private var closeWhenAnswered = false
    private var reconnectTask: Scheduled<Void>?
    private var everAccepted = false
    /// After `finish`: no new connections, no new sessions.
    private var finishing = false
    /// `finish(stopTransactions:after:)` has scheduled the stops and they have not run yet.
    private var stopDue = false
    private var lastFailure: ConnectFailure?
    /// When its last open WebSocket was lost (wall clock), until the next one opens: that
    /// reconnect's downtime goes to the report's reconnect spread.
    private var lostAt: Timestamp?
    /// `--trace`: set only when this charge point's id matches the pattern.
    private let trace: FrameTrace?
    /// The local address its connections go out from (round-robin by plan index); nil: the kernel's choice.
    private let source: SocketAddress?

    init(plan: ChargePointPlan, behaviour: SharedBehaviour, settings: EngineSettings, seed: UInt64,
         tlsContext: NIOSSLContext? = nil, loop: any EventLoop, shared: LoopShared, trace: FrameTrace? = nil) {
        self.trace = trace
        self.source = shared.sources.isEmpty ? nil : shared.sources[max(0, plan.index - 1) % shared.sources.count]
        self.id = plan.id
        self.group = plan.group
        self.tlsContext = tlsContext
        self.loop = loop
        self.shared = shared
        let (engine, refused) = ChargePointSetup.engine(plan: plan, settings: settings, seed: seed,
                                                              behaviour: behaviour.spec)
        self.engine = engine
        if !refused.isEmpty {
            shared.logger.warning("configuration overrides refused", metadata: ["cp": "\(plan.id)", "keys": "\(refused)"])
        }
        self.driver = ChargePointSetup.driver(plan: plan, behaviour: behaviour, seed: seed)
        self.random = SplitMix64.stream(seed: seed ^ 0x6E65_7477_6F72_6B00, index: UInt64(plan.index))
    }

    var isOpen: Bool { if case .open = connection { true } else { false } }
    var pendingTransactionMessages: Int { Self.pendingTransactionMessages(&engine) }
    /// Read by the sampler for every charge point once a second: through `inout`, as
    /// `earliestWakeup`, since a getter would copy the whole engine each time (1.6% of the
    /// fleet's CPU at 4,000 charge points, `docs/performance.md`).
    var openTransactions: Int { Self.openTransactions(&engine) }

    private static func pendingTransactionMessages(_ engine: inout AnyChargePointEngine) -> Int { engine.pendingTransactionMessages }
    private static func openTransactions(_ engine: inout AnyChargePointEngine) -> Int { engine.openTransactions }
    var failure: ConnectFailure? { lastFailure }

    // MARK: lifecycle

    func start() {
        driver.begin(now: shared.clock.now())
        connect()
    }

    private func connect() {
        reconnectTask = nil
        guard !finishing || pendingTransactionMessages > 0 else { connection = .idle; return }
        connection = .connecting(nil)
        socket = nil
        guard !holdsConnectSlot else { openConnection(); return }
        guard !awaitingConnectSlot else { return }
        if shared.connectSlots.take(for: self) {
            holdsConnectSlot = true
            openConnection()
        } else {
            awaitingConnectSlot = true
        }
    }

    /// The loop's `ConnectSlots` has a slot for this charge point: it starts its attempt, or
    /// (closed while it waited) returns false and the slot goes to the next one.
    private func connectSlotGranted() -> Bool {
        awaitingConnectSlot = false
        guard case .connecting(.none) = connection else { return false }
        holdsConnectSlot = true
        openConnection()
        return true
    }

    /// The attempt ended (open, failed or abandoned): its slot goes to the next waiting charge
    /// point that still wants one.
    private func releaseConnectSlot() {
        guard holdsConnectSlot else { return }
        holdsConnectSlot = false
        while let next = shared.connectSlots.release() {
            if next.connectSlotGranted() { return }
        }
    }

    private func openConnection() {
        let security = group < shared.transports.count
            ? shared.transports[group].clientSecurity(chargePointId: id, context: tlsContext)
            : .plain
        WebSocketTransport.connect(self, endpoint: shared.endpoint, address: shared.address,
                                   path: shared.endpoint.path(for: id), subprotocol: engine.subprotocol,
                                   security: security, source: source, maxFrameSize: shared.maxFrameSize, loop: loop,
                                   connectTimeout: .seconds(10))
    }

    func tcpConnected(channel: any Channel) {
        guard case .connecting = connection else { return }
        connection = .connecting(channel)
        // Bound the HTTP upgrade as well as the TCP connect.
        loop.assumeIsolated().scheduleTask(in: .seconds(10)) { [weak channel] in
            guard let channel, channel.isActive else { return }
            if case .connecting(let pending) = self.connection, pending === channel {
                self.connectFailed(.handshakeTimeout)
                channel.close(promise: nil)
            }
        }
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            if case .connecting(let pending) = self.connection, pending === channel {
                self.connectFailed(self.lastFailure ?? .closedDuringHandshake)
            }
        }
    }

    func connectFailed(_ failure: ConnectFailure) {
        switch connection {
        case .connecting:
            releaseConnectSlot()
            lastFailure = failure
            shared.telemetry.connectFailed(reason: failure.description, kind: failure.kind, group: group)
            if shared.failureLog.isFirst(group: group, kind: failure.kind) {
                // Once per group and kind; the report counts every attempt.
                let name = group < shared.transports.count ? shared.transports[group].name : "group-\(group + 1)"
                shared.logger.warning("""
                    group '\(name)': connection failed: \(failure) [\(failure.kind); \
                    further failures of this kind in this group are only counted]
                    """, metadata: ["cp": "\(id)"])
            } else {
                shared.logger.debug("connect failed", metadata: ["cp": "\(id)", "reason": "\(failure)"])
            }
            scheduleReconnect()
        case .idle, .open, .closing, .waitingToReconnect:
            lastFailure = failure
        }
    }

    func webSocketOpened(channel: any Channel) {
        releaseConnectSlot()
        connection = .open(channel)
        socket = try? channel.pipeline.syncOperations.handler(type: OCPPWebSocketHandler.self)
        reconnectAttempts = 0
        lastFailure = nil
        shared.telemetry.connected(group: group)
        if let lostAt {
            shared.telemetry.reconnected(downtimeMicros: shared.clock.wallNow().microseconds - lostAt.microseconds)
            self.lostAt = nil
        }
        shared.gauge.connected()
        drive { engine, _, now, out in engine.connected(now: now, into: &out) }
        startPings(on: channel)
    }

    /// WebSocketPingInterval (OCPP 1.6 §9.1; 2.0.1: OCPPCommCtrlr): with a value above 0 the charge point pings the
    /// CSMS that often (in simulated time, like every OCPP interval), on this connection (a
    /// change takes effect at the next one). Off by default, so an idle charge point keeps a
    /// single timer.
    private func startPings(on channel: any Channel) {
        let seconds = engine.webSocketPingInterval
        guard seconds > 0 else { return }
        let wall = shared.clock.wall(.seconds(Int(seconds)))
        schedulePing(on: channel, every: .microseconds(max(1_000, wall.microseconds)))
    }

    /// One ping after `interval`, then the next: the chain ends with the connection it is for.
    private func schedulePing(on channel: any Channel, every interval: TimeAmount) {
        loop.assumeIsolated().scheduleTask(in: interval) {
            guard case .open(let current) = self.connection, current === channel else { return }
            let ping = WebSocketFrame(fin: true, opcode: .ping, maskKey: self.nextMaskKey(),
                                      data: channel.allocator.buffer(capacity: 0))
            channel.writeAndFlush(ping, promise: nil)
            self.schedulePing(on: channel, every: interval)
        }
    }

    func webSocketClosed() {
        switch connection {
        case .open, .closing:
            shared.telemetry.disconnected(group: group)
            shared.gauge.disconnected()
            drive { engine, _, now, out in engine.disconnected(now: now, into: &out) }
            if case .closing = connection, finishing { connection = .idle; return }
            lostAt = shared.clock.wallNow()
            scheduleReconnect()
        case .idle, .connecting, .waitingToReconnect:
            break
        }
    }

    func transportError(_ error: any Error) {
        shared.logger.debug("transport error", metadata: ["cp": "\(id)", "error": "\(error)"])
    }

    func receivedBinaryFrame() {
        shared.logger.debug("binary frame ignored", metadata: ["cp": "\(id)"])
        trace?.recordBinary(chargePoint: id, time: shared.clock.now())
        // OCPP-J uses text frames only (OCPP-J 1.6 §4.1.1): the backend's fault. Its bytes are
        // not kept (they could be anything).
        shared.telemetry.protocolFault(ProtocolFaultKind.binaryFrame.rawValue, sample: "(binary frame)", group: group)
    }

    /// Exponential back-off with full jitter (`ReconnectBackoff`) from this charge point's
    /// own stream, so that a backend restart is not met by every charge point at once.
    private func scheduleReconnect(after fixed: Interval? = nil) {
        connection = .waitingToReconnect
        if finishing, pendingTransactionMessages == 0 { connection = .idle; return }
        let delay: Interval
        if let fixed {
            // A reboot's or an outage's pause is simulated time.
            delay = shared.clock.wall(fixed)
        } else {
            delay = shared.backoff.delay(attempt: reconnectAttempts, using: &random)
            reconnectAttempts += 1
        }
        reconnectTask?.cancel()
        reconnectTask = loop.assumeIsolated().scheduleTask(in: .microseconds(delay.microseconds)) {
            if case .waitingToReconnect = self.connection { self.connect() }
        }
    }

    // MARK: inputs

    func received(text: UnsafeRawBufferPointer) {
        received(Array(text))
    }

    func received(_ bytes: [UInt8]) {
        trace?.record(.received, chargePoint: id, time: shared.clock.now(), frame: bytes)
        drive { engine, _, now, out in engine.received(bytes, now: now, into: &out) }
    }

    /// End of the run: no new sessions from now; unless told to leave them, the transactions
    /// are stopped `micros` later (the run's ramp-down, `FleetConfiguration.effectiveRampDown`),
    /// and the caller waits for the confirmations. A `close()` before then cancels the stop.
    func finish(stopTransactions: Bool, after micros: Int64 = 0) {
        finishing = true
        driver.stop()
        guard stopTransactions else { return }
        guard micros > 0 else { stopTransactionsNow(); return }
        stopDue = true
        loop.assumeIsolated().scheduleTask(in: .microseconds(micros)) {
            guard self.stopDue else { return }
            self.stopTransactionsNow()
        }
    }

    private func stopTransactionsNow() {
        stopDue = false
        drive { engine, _, now, out in engine.stopAllTransactions(now: now, into: &out) }
        if case .waitingToReconnect = connection, pendingTransactionMessages > 0 {
            // A back-off grown through a long or repeated outage (up to 45 s) would outlast the
            // stop timeout: start again from the shortest, so the stops can still be delivered.
            reconnectAttempts = 0
            scheduleReconnect()
        }
    }

    /// Closes the WebSocket with a normal close; no reconnect follows.
    func close() {
        finishing = true
        stopDue = false
        cancelTimer()
        switch connection {
        case .open(let channel):
            // Close once our CALL in flight (if any) is answered, so no call goes unanswered;
            // the engine starts no new one meanwhile. Bounded: at most 2 s.
            engine.quiesce()
            guard engine.hasCallInFlight else { closeNow(channel); return }
            closeWhenAnswered = true
            loop.assumeIsolated().scheduleTask(in: .seconds(2)) { self.closeNow(channel) }
        case .connecting(let channel):
            channel?.close(promise: nil)
            connection = .idle
            releaseConnectSlot()
        case .waitingToReconnect:
            reconnectTask?.cancel()
            reconnectTask = nil
            connection = .idle
        case .idle, .closing:
            break
        }
    }

    private func closeNow(_ channel: any Channel) {
        closeWhenAnswered = false
        guard case .open(let current) = connection, current === channel else { return }
        connection = .closing(channel)
        WebSocketClose.closeNormally(channel, grace: .seconds(2))
    }

    func wheelTimerFired(generation: UInt32) {
        guard generation == timerGeneration, timerDeadline != nil else { return }
        timerDeadline = nil
        drive { engine, driver, now, out in
            engine.tick(now: now, into: &out)
            driver.tick(now: now, engine: &engine, into: &out)
        }
        if let offline = driver.takeOutage() { dropConnection(for: offline) }
    }

    /// A network outage of the behaviour profile: the connection goes without a close handshake
    /// (as when a modem loses its link) and the first reconnect waits `offline`; the engine keeps
    /// its transaction messages meanwhile, as after any disconnect. A charge point that is not
    /// connected when its outage falls due is offline already: that outage is skipped.
    private func dropConnection(for offline: Interval) {
        guard !finishing, case .open(let channel) = connection else { return }
        connection = .waitingToReconnect  // so the close that follows is not handled as a lost connection
        shared.telemetry.disconnected(group: group)
        shared.gauge.disconnected()
        channel.close(promise: nil)
        drive { engine, _, now, out in engine.disconnected(now: now, into: &out) }
        shared.logger.debug("network outage", metadata: ["cp": "\(id)", "seconds": "\(offline.seconds)"])
        lostAt = shared.clock.wallNow()
        scheduleReconnect(after: offline)
    }

    // MARK: outputs

    /// Runs one input against engine and driver, then performs every output (events may
    /// make the driver act again), then re-arms the single timer.
    private func drive(_ body: (inout AnyChargePointEngine, inout SessionDriver, Timestamp, inout [EngineOutput]) -> Void) {
        let now = shared.clock.now()
        body(&engine, &driver, now, &outputs)
        while !outputs.isEmpty {
            swap(&outputs, &spare)
            for output in spare { perform(output, now: now) }
            spare.removeAll(keepingCapacity: true)
        }
        rearm(Self.earliestWakeup(&engine, &driver))
        if closeWhenAnswered, case .open(let channel) = connection, !engine.hasCallInFlight { closeNow(channel) }
    }

    /// Read through `inout`: a getter on the engine stored in this class would otherwise copy
    /// the whole engine (retaining every array in it) on each call across the module boundary.
    private static func earliestWakeup(_ engine: inout AnyChargePointEngine, _ driver: inout SessionDriver) -> Timestamp? {
        switch (engine.nextWakeup, driver.nextWakeup) {
        case let (a?, b?): min(a, b)
        case let (a?, nil): a
        case let (nil, b?): b
        case (nil, nil): nil
        }
    }

    private func perform(_ output: EngineOutput, now: Timestamp) {
        switch output {
        case .send(let bytes):
            guard case .open = connection, let socket else { return }
            trace?.record(.sent, chargePoint: id, time: now, frame: bytes)
            socket.sendText(bytes, mask: UInt32(truncatingIfNeeded: random.next()))
        case .reboot(let after), .reconnect(let after):
            if case .open(let channel) = connection {
                connection = .closing(channel)
                WebSocketClose.closeNormally(channel, grace: .seconds(2))
                channel.closeFuture.assumeIsolated().whenComplete { _ in
                    if !self.finishing || self.pendingTransactionMessages > 0 { self.scheduleReconnect(after: after) }
                }
            }
        case .event(let event):
            record(event)
            driver.handle(event, now: now)
        }
    }

    /// Client frames must be masked (RFC 6455 §5.3). The key comes from this charge point's
    /// own stream: no `getrandom` system call per frame.
    private func nextMaskKey() -> WebSocketMaskingKey {
        let bits = UInt32(truncatingIfNeeded: random.next())
        // Four bytes always make a key; the initializer only fails on another length.
        return withUnsafeBytes(of: bits) { WebSocketMaskingKey($0) } ?? [0x5A, 0x17, 0xC3, 0x9E]
    }

    private func record(_ event: EngineEvent) {
        let telemetry = shared.telemetry
        switch event {
        case .callSent(let action): telemetry.callSent(action, group: group)
        case .callCompleted(let action, let latency, let sinceDue):
            telemetry.callCompleted(action, latencyMicros: shared.clock.wall(latency).microseconds, group: group)
            if let sinceDue { telemetry.callCompletedSinceDue(action, micros: shared.clock.wall(sinceDue).microseconds) }
        case .protocolFault(let kind, let sample):
            telemetry.protocolFault(kind.rawValue, sample: sample, group: group)
        case .callErrored(let action, let code, let latency):
            telemetry.callErrored(action, code: code, latencyMicros: shared.clock.wall(latency).microseconds, group: group)
        case .callTimedOut(let action): telemetry.callTimedOut(action, group: group)
        case .incoming(let action, let errorCode):
            let name = action.isEmpty ? "(unreadable frame)" : action
            telemetry.incomingReceived(name, group: group)
            if let errorCode {
                telemetry.incomingCallError(name, code: errorCode, group: group)
            } else {
                telemetry.incomingAnswered(name, group: group)
            }
        case .bootAccepted:
            if !everAccepted {
                everAccepted = true
                telemetry.bootAccepted(group: group)
            }
        case .transactionStarted: telemetry.transactionStarted(group: group)
        case .transactionStopped: telemetry.transactionStopped(group: group)
        case .transactionMessageQueuedOffline: telemetry.transactionMessageQueuedOffline()
        case .transactionMessageReplayed: telemetry.transactionMessageReplayed()
        case .transactionMessageDropped(let action, let reason):
            telemetry.transactionMessageDropped(reason: reason.rawValue)
            shared.logger.warning("transaction message dropped", metadata: [
                "cp": "\(id)", "action": "\(action)", "reason": "\(reason.rawValue)"])
        case .securityEventDropped(let type):
            shared.logger.warning("security event dropped", metadata: ["cp": "\(id)", "type": "\(type)"])
        case .remoteStartAccepted, .sessionEndedByCSMS, .authorizationFailed:
            break
        }
    }

    private func rearm(_ next: Timestamp?) {
        guard !(finishing && !isOpen) else { return }
        guard let next else { return }
        if let current = timerDeadline, current <= next { return }
        timerGeneration &+= 1
        timerDeadline = next
        shared.timers.schedule(self, generation: timerGeneration, at: shared.clock.deadline(next), on: loop)
    }

    private func cancelTimer() {
        timerGeneration &+= 1
        timerDeadline = nil
    }
}

@available(*, unavailable)
extension SimulatedChargePoint: Sendable {}
