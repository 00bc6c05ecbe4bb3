import CentralSystem
import Fleet
import FleetSpec
import Foundation
import Logging
import NIOCore
import NIOPosix
import PeerSupport
import Telemetry
import Testing

/// "Nothing lost" across CSMS outages: the Python CSMS (`Tests/peer/csms.py --outage-every`)
/// drops every connection in the middle of whatever it is doing (mostly a transport abort,
/// some with a close frame) and refuses connections for a while (HTTP 503, then a closed
/// listening socket, by turns); sessions go on offline. Afterwards every transaction that
/// started was stopped exactly once, readings taken offline arrived after the reconnect,
/// and whatever the CSMS saw twice was an identical replay that got the same id back.
/// The embedded CSMS gets the same outages from `OutageProxy`, a TCP proxy in front of it.
@Suite("Transactions survive CSMS outages", .timeLimit(.minutes(3)))
struct OutageTests {
    static let chargePoints = 20
    static let outages = 3
    static let outageEvery = 7
    static let outageLength = 3
    /// Outages begin 7, 14 and 21 s after the peer starts and last 3 s. After 3 s of refusals a
    /// charge point's back-off (full jitter, uniform in 0…0.5 s × 2ⁿ) usually brings it back within
    /// a few seconds of the end; 30 s leave time to reconnect after the last one.
    static let runSeconds = 30

    /// Sessions of 4–9 s with a reading every second: most transactions span an outage, many
    /// start or stop while offline (AllowOfflineTxForUnknownId), and retries fit in the run.
    static let spec = """
        run:
          duration: 30s
          seed: 11
          rampUp: 2s
          callTimeout: 10s
          stopTimeout: 15s
        groups:
          - name: outage
            count: 20
            idPattern: "OUTAGE-{index:03}"
            connectors: 2
            behaviour: brisk
            config:
              MeterValueSampleInterval: 1
              MeterValuesSampledData: "Energy.Active.Import.Register,Power.Active.Import"
              AllowOfflineTxForUnknownId: true
              TransactionMessageRetryInterval: 2
        behaviours:
          brisk:
            idleBetweenSessions: {uniform: [500ms, 2s]}
            plugToAuthorize: {uniform: [300ms, 800ms]}
            chargeDuration: {uniform: [4s, 9s]}
            unplugDelay: {uniform: [300ms, 800ms]}
            powerKW: {uniform: [7, 22]}
        """

    func runFleet(against url: String) async throws -> (FleetOutcome, Duration) {
        try await IntegrationTests.runFleet(spec: Self.spec, file: "outage.yaml", seconds: Self.runSeconds, against: url)
    }

    @Test("20 charge points, the Python CSMS drops every connection every 7 s for 3 s: nothing is lost or doubled")
    func pythonCSMSOutages() async throws {
        let python: String
        switch PeerPython.locate() {
        case .found(let found):
            python = found
        case .missing(let note, let isFailure):
            if isFailure { Issue.record("Python CSMS outages: \(note)") } else { PeerPython.announceSkip("Python CSMS outages", note) }
            return
        }
        let peer = try PythonCSMS.start(python: python, arguments: [
            "--heartbeat-interval", "5", "--outage-every", "\(Self.outageEvery)",
            "--outage-length", "\(Self.outageLength)", "--outage-count", "\(Self.outages)",
        ])
        let outcome: FleetOutcome
        let finishTime: Duration
        do {
            (outcome, finishTime) = try await runFleet(against: "ws://127.0.0.1:\(peer.port)/ocpp")
        } catch {
            _ = try? peer.stop()
            throw error
        }
        let summary = PeerSummary(try peer.stop())
        let telemetry = outcome.telemetry
        let transactions = summary.object("transactions")

        // The CSMS saw nothing wrong: no StopTransaction for an unknown or already stopped id, no
        // second transaction on a busy connector, no MeterValues for a closed transaction.
        #expect(summary.int("violationCount") == 0, "violations: \(summary.raw["violations"] ?? "?")")
        #expect(summary.array("csmsErrors").isEmpty, "peer errors: \(summary.raw["csmsErrors"] ?? "?")")

        // The outages happened and hit everybody; every charge point came back after each.
        #expect(summary.int("outages") == Self.outages)
        let windows = summary.array("outageWindows").map { PeerSummary($0 as? [String: Any] ?? [:]) }
        #expect(windows.count == Self.outages)
        #expect(windows.first?.int("droppedChargePoints") == Self.chargePoints, "the first outage finds all connected")
        for window in windows {
            #expect(window.int("dropped") > 0, "outage \(window.int("index")) dropped nothing")
            #expect(window.int("reconnected") == window.int("droppedChargePoints"),
                    "outage \(window.int("index")): not every dropped charge point came back")
        }
        #expect(summary.int("connectionsDroppedByOutage") == windows.reduce(0) { $0 + $1.int("dropped") })
        let perChargePoint = summary.object("perChargePoint")
        #expect(perChargePoint.raw.count == Self.chargePoints)
        for (id, value) in perChargePoint.raw {
            let chargePoint = PeerSummary(value as? [String: Any] ?? [:])
            #expect(chargePoint.int("reconnectedAfterOutages") == Self.outages, "\(id) did not reconnect after every outage")
            // Every connection but the last ended in an outage: no other disconnects, no reconnect storm.
            #expect(chargePoint.int("connections") == chargePoint.int("droppedByOutage") + 1,
                    "\(id): \(chargePoint.int("connections")) connections, \(chargePoint.int("droppedByOutage")) dropped")
        }
        #expect(summary.int("duplicateConnections") == 0)
        // A connection whose handshake ended just as an outage began is dropped at once: the charge
        // point may not have read the answer the CSMS sent.
        let abortedOnArrival = windows.reduce(0) { $0 + $1.int("abortedOnArrival") }
        #expect(telemetry.connectionsOpened <= summary.int("connections"))
        #expect(telemetry.connectionsOpened + abortedOnArrival >= summary.int("connections"),
                "the fleet and the CSMS count the same connections (but for \(abortedOnArrival) dropped on arrival)")
        #expect(telemetry.connectionsClosed == telemetry.connectionsOpened)

        // Every transaction that started was stopped exactly once; repeats were identical replays.
        let started = transactions.int("started")
        #expect(started >= Self.chargePoints)
        #expect(transactions.int("stopped") == started)
        #expect(transactions.array("open").isEmpty, "open on the CSMS: \(transactions.raw["open"] ?? "?")")
        #expect(transactions.int("startMessages") == started + transactions.int("duplicateStarts"))
        #expect(transactions.int("stopMessages") == started + transactions.int("duplicateStops"))
        let perTransaction = transactions.array("perTransaction").map { PeerSummary($0 as? [String: Any] ?? [:]) }
        #expect(perTransaction.count == started)
        for transaction in perTransaction {
            #expect(transaction.bool("stopped"), "transaction \(transaction.int("id")) never stopped")
        }
        #expect(started == telemetry.transactionsStarted, "one transaction id per transaction the fleet started")
        #expect(telemetry.transactionsStarted == telemetry.transactionsStopped)
        // Before each outage the CSMS recorded transaction messages without answering them; each
        // came back after the reconnect as an identical replay (a StartTransaction got its id again).
        let held = transactions.object("heldAnswers")
        #expect(held.raw.values.reduce(0) { $0 + ($1 as? Int ?? 0) } > 0, "no answer was held back before an outage")
        #expect(transactions.int("replayedStarts") >= held.int("StartTransaction"))
        #expect(transactions.int("replayedStops") >= held.int("StopTransaction"))
        #expect(transactions.int("replayedMeterValues") >= held.int("MeterValues"))

        // Readings taken while the CSMS was away were delivered after the reconnect.
        #expect(transactions.int("offlineMeterValues") > 0, "no MeterValues timestamped inside an outage arrived")
        #expect(transactions.int("withOfflineMeterValues") > 0)

        // The fleet counted the same story: every replay the CSMS saw was one the charge points
        // sent (more may have been lost on the wire before reaching it), messages waited offline,
        // and none was dropped.
        let messages = telemetry.transactionMessages
        let replaysSeen = transactions.int("replayedStarts") + transactions.int("replayedStops")
            + transactions.int("replayedMeterValues")
        #expect(messages.replayed >= replaysSeen, "fleet replayed \(messages.replayed), CSMS saw \(replaysSeen)")
        #expect(messages.queuedOffline > 0, "no transaction message was made offline")
        #expect(messages.dropped.isEmpty, "dropped: \(messages.dropped)")
        // Each connection after a charge point's first was a reconnect, timed from the loss.
        #expect(telemetry.reconnectDowntime?.count == telemetry.connectionsOpened - Self.chargePoints,
                "reconnects \(telemetry.reconnectDowntime?.count ?? 0), connections \(telemetry.connectionsOpened)")
        #expect((telemetry.reconnectDowntime?.min ?? 0) > 0)

        // The fleet ended clean: nothing open, nothing unconfirmed, nothing refused.
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
        #expect(telemetry.bootAccepted == Self.chargePoints)
        for (action, stats) in telemetry.actions {
            #expect(stats.callErrors == 0, "\(action) got CALLERRORs: \(stats.callErrorsByCode)")
            #expect(stats.timeouts == 0, "\(action) timed out")
        }

        let reconnectBeforeNext = windows.map { "\($0.int("reconnectedBeforeNextOutage"))/\($0.int("droppedChargePoints"))" }
        let reconnectMax = windows.map { "\(PeerSummary($0.raw["reconnectSeconds"] as? [String: Any] ?? [:]).double("max"))" }
        FileHandle.standardError.write(Data("""
            outage run: outages \(summary.int("outages")), dropped \(summary.int("connectionsDroppedByOutage")) \
            (per outage \(windows.map { $0.int("dropped") })), back before the next outage \(reconnectBeforeNext), \
            slowest reconnect s \(reconnectMax), connections \(summary.int("connections")), \
            transactions \(started), held answers \(held.raw), replayed starts \(transactions.int("replayedStarts")) stops \
            \(transactions.int("replayedStops")) meter values \(transactions.int("replayedMeterValues")), \
            meter values \(transactions.int("meterValues")), offline \(transactions.int("offlineMeterValues")) \
            in \(transactions.int("withOfflineMeterValues")) transactions, fleet counted queued offline \
            \(messages.queuedOffline) replayed \(messages.replayed) dropped \(messages.droppedTotal), finish() took \(finishTime)\n
            """.utf8))
    }
}

extension OutageTests {
    @Test("20 charge points, the embedded CSMS behind a proxy that drops every connection every 7 s for 3 s")
    func embeddedCSMSOutages() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = CentralSystemConfiguration()
        configuration.heartbeatInterval = 5
        let server = CentralSystemServer(configuration: configuration, group: group, logger: Logger(label: "csms"))
        let csmsPort = try await server.start(host: "127.0.0.1", port: 0)
        let proxy = try OutageProxy(loop: group.next(), upstreamPort: csmsPort)
        let port = try await proxy.listen()

        // The same schedule as the Python peer's: answers lost for the last 2 s before each outage.
        let outages = proxy.stageOutages(count: Self.outages, every: .seconds(Int64(Self.outageEvery)),
                                         lasting: .seconds(Int64(Self.outageLength)), port: port)
        let outcome: FleetOutcome
        do {
            (outcome, _) = try await runFleet(against: "ws://127.0.0.1:\(port)/steve/websocket/CentralSystemService")
        } catch {
            _ = try? await outages.get()
            _ = try? await proxy.close()
            try? await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        let dropped = try await outages.get()
        let stats = server.stats
        let report = try await proxy.close()
        try await server.shutdown()
        try await group.shutdownGracefully()
        let telemetry = outcome.telemetry

        // The outages happened and hit everybody; every charge point came back after each, and
        // every connection but its last ended in an outage.
        #expect(dropped.count == Self.outages)
        #expect(report.outages.first?.droppedChargePoints.count == Self.chargePoints, "the first outage finds all connected")
        // The later outages found charge points back to drop. Not each of them: on a loaded machine
        // the reconnect back-off (0.5, 1, 2, 4 s …) can bring a whole fleet back just after the next
        // outage began ([20, 0, 10] seen at load 12), which is the back-off working, not a loss.
        #expect(dropped.dropFirst().reduce(0, +) > 0, "dropped per outage: \(dropped)")
        #expect(report.chargePoints.count == Self.chargePoints)
        for (id, chargePoint) in report.chargePoints {
            #expect(chargePoint.reconnectedAfterOutages == Self.outages, "\(id) did not reconnect after every outage")
            #expect(chargePoint.connections == chargePoint.dropped + 1,
                    "\(id): \(chargePoint.connections) connections, \(chargePoint.dropped) dropped")
        }
        #expect(stats.connectionsReplaced == 0)
        let young = report.outages.reduce(0) { $0 + $1.droppedYoung }
        #expect(telemetry.connectionsOpened <= stats.connectionsAccepted)
        #expect(telemetry.connectionsOpened + young >= stats.connectionsAccepted,
                "the fleet and the CSMS count the same connections (but for \(young) dropped at once)")

        // The fleet's side: nothing open, nothing unconfirmed, every start stopped.
        #expect(outcome.openTransactions == 0)
        #expect(outcome.unconfirmedTransactionMessages == 0)
        #expect(telemetry.bootAccepted == Self.chargePoints)
        #expect(telemetry.transactionsStarted >= Self.chargePoints)
        #expect(telemetry.transactionsStarted == telemetry.transactionsStopped)
        for (action, stats) in telemetry.actions {
            #expect(stats.callErrors == 0, "\(action) got CALLERRORs: \(stats.callErrorsByCode)")
            #expect(stats.timeouts == 0, "\(action) timed out")
        }
        #expect(stats.violations.messagesBeforeBoot == 0)
        #expect(stats.callErrorsSent.isEmpty, "the CSMS rejected messages: \(stats.callErrorsSent)")

        // The CSMS's side: a replayed Start got the same id back, a replayed Stop is no violation.
        #expect(stats.openTransactions == 0, "open on the CSMS: \(stats.openTransactionIds)")
        #expect(stats.transactionsStarted == telemetry.transactionsStarted)
        #expect(stats.violations.unknownTransactionStops == 0)
        let messages = telemetry.transactionMessages
        #expect(messages.replayed >= stats.replayedTransactionStarts + stats.replayedTransactionStops)
        #expect(messages.queuedOffline > 0, "no transaction message was made offline")
        #expect(messages.dropped.isEmpty, "dropped: \(messages.dropped)")
        // Each connection after a charge point's first was a reconnect, timed from the loss.
        #expect(telemetry.reconnectDowntime?.count == telemetry.connectionsOpened - Self.chargePoints,
                "reconnects \(telemetry.reconnectDowntime?.count ?? 0), connections \(telemetry.connectionsOpened)")
        #expect((telemetry.reconnectDowntime?.min ?? 0) > 0)
        FileHandle.standardError.write(Data("""
            outage run (embedded): dropped per outage \(dropped), connections \(stats.connectionsAccepted), \
            charge points dropped per outage \(report.outages.map(\.droppedChargePoints.count)), \
            fleet transactions \(telemetry.transactionsStarted), CSMS transactions \(stats.transactionsStarted) \
            (open \(stats.openTransactions)), replayed starts \(stats.replayedTransactionStarts), \
            replayed stops \(stats.replayedTransactionStops), stops of unknown ids \(stats.violations.unknownTransactionStops), \
            fleet counted queued offline \(messages.queuedOffline) replayed \(messages.replayed) dropped \(messages.droppedTotal)\n
            """.utf8))
    }
}

/// A TCP proxy in front of a CSMS that stages the CSMS's outages: for a while before each,
/// the CSMS's answers on the connections open then are lost on the way (the CSMS has acted
/// on the request; the charge point never hears of it); then every connection is dropped,
/// three in four with a reset, the others with a plain close, and the port is closed
/// (connections refused) until `listen(port:)` opens it again. It reads the charge point id
/// from each upgrade request, so it can tell who was dropped and who came back. All its
/// state lives on one event loop.
final class OutageProxy: Sendable {
    private let loop: any EventLoop
    private let upstream: SocketAddress
    private let box: NIOLoopBoundBox<State>

    /// What the proxy saw, per outage and per charge point.
    struct Report: Sendable {
        struct Outage: Sendable {
            var dropped = 0
            /// Dropped within 100 ms of being accepted: the charge point may not have seen the
            /// upgrade answer the CSMS already sent, so the two may count this connection differently.
            var droppedYoung = 0
            var droppedChargePoints: Set<String> = []
        }

        struct ChargePoint: Sendable {
            var connections = 0
            var dropped = 0
            /// Outages after whose end this charge point connected again.
            var reconnectedAfterOutages = 0
        }

        var outages: [Outage] = []
        var chargePoints: [String: ChargePoint] = [:]
    }

    final class State {
        struct Connection {
            let channel: any Channel
            let acceptedAt: NIODeadline
            var chargePoint: String?
        }

        var listener: (any Channel)?
        var connections: [ObjectIdentifier: Connection] = [:]
        /// Connections whose answers are being lost.
        var losing: Set<ObjectIdentifier> = []
        var report = Report()
        var outageEnds: [NIODeadline] = []
        var connectedAt: [String: [NIODeadline]] = [:]

        func identified(_ id: ObjectIdentifier, as chargePoint: String) {
            guard connections[id]?.chargePoint == nil else { return }
            connections[id]?.chargePoint = chargePoint
            connectedAt[chargePoint, default: []].append(connections[id]?.acceptedAt ?? .now())
            report.chargePoints[chargePoint, default: .init()].connections += 1
        }
    }

    init(loop: any EventLoop, upstreamPort: Int) throws {
        self.loop = loop
        self.upstream = try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort)
        self.box = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: loop)
    }

    /// Accepts connections on `port` (0: an ephemeral one) and returns the bound port; after an
    /// outage this is its end.
    func listen(port: Int = 0) async throws -> Int {
        try await listening(port: port).get()
    }

    private func listening(port: Int) -> EventLoopFuture<Int> {
        let box = self.box
        let upstream = self.upstream
        return ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in Self.connect(client, to: upstream, box: box) }
            .bind(host: "127.0.0.1", port: port)
            .hop(to: loop)
            .map { channel in
                let state = box.value
                state.listener = channel
                if state.outageEnds.count < state.report.outages.count { state.outageEnds.append(.now()) }
                return channel.localAddress?.port ?? 0
            }
    }

    /// Stages `count` outages on the proxy's own event loop: the k-th begins `every × k` after
    /// now (answers lost for the 2 s before it), drops everything, and ends `lasting` later when
    /// the port opens again. Never sooner than `every − lasting` after the previous one ended, so
    /// charge points have time to come back whatever the timing of the machine. The future holds
    /// how many connections each outage dropped.
    ///
    /// On the loop, not in a Swift task: with the whole test suite running, the cooperative
    /// thread pool can be busy for seconds, and a task that sleeps until each step then runs late
    /// steps back to back: the port reopened and was closed again at once, and the later outages
    /// found nobody back to drop ([20, 0, 0], with 40 connections in all).
    func stageOutages(count: Int, every: TimeAmount, lasting: TimeAmount, port: Int) -> EventLoopFuture<[Int]> {
        let loop = self.loop
        let began = NIODeadline.now()
        let done = loop.makePromise(of: [Int].self)
        @Sendable func outage(_ index: Int, after previousEnd: NIODeadline, dropped: [Int]) {
            guard index <= count else { return done.succeed(dropped) }
            let start = max(began + every * Int64(index), previousEnd + every - lasting)
            loop.assumeIsolated().scheduleTask(deadline: start - .seconds(2)) { self.loseAnswersOnLoop() }
            loop.assumeIsolated().scheduleTask(deadline: start) {
                let droppedNow = self.dropEverythingOnLoop()
                loop.assumeIsolated().scheduleTask(in: lasting) {
                    self.listening(port: port).whenComplete { result in
                        switch result {
                        case .success: outage(index + 1, after: .now(), dropped: dropped + [droppedNow])
                        case .failure(let error): done.fail(error)
                        }
                    }
                }
            }
        }
        loop.execute { outage(1, after: began, dropped: []) }
        return done.futureResult
    }

    private static func connect(_ client: any Channel, to upstream: SocketAddress,
                                box: NIOLoopBoundBox<State>) -> EventLoopFuture<Void> {
        let id = ObjectIdentifier(client)
        box.value.connections[id] = State.Connection(channel: client, acceptedAt: .now())
        client.closeFuture.whenComplete { _ in
            box.value.connections[id] = nil
            box.value.losing.remove(id)
        }
        return ClientBootstrap(group: client.eventLoop)
            .channelInitializer { server in
                server.eventLoop.makeCompletedFuture {
                    try server.pipeline.syncOperations.addHandler(Forward(to: client, answersFor: id, box: box))
                }
            }
            .connect(to: upstream)
            .flatMapThrowing { server in
                try client.pipeline.syncOperations.addHandler(Forward(to: server, requestsOf: id, box: box))
            }
            .flatMap { client.setOption(.autoRead, value: true) }
    }

    /// From now until the outage, nothing the CSMS sends on the connections open now arrives.
    private func loseAnswersOnLoop() {
        box.value.losing = Set(box.value.connections.keys)
    }

    /// The outage begins: the port closes and every connection drops. Returns how many did.
    private func dropEverythingOnLoop() -> Int {
        let state = box.value
        state.listener?.close(promise: nil)
        state.listener = nil
        var outage = Report.Outage()
        let now = NIODeadline.now()
        for (index, connection) in state.connections.values.enumerated() {
            outage.dropped += 1
            if now - connection.acceptedAt < .milliseconds(100) { outage.droppedYoung += 1 }
            if let chargePoint = connection.chargePoint {
                outage.droppedChargePoints.insert(chargePoint)
                state.report.chargePoints[chargePoint, default: .init()].dropped += 1
            }
            if index % 4 != 3, let socket = connection.channel as? any SocketOptionProvider {
                _ = socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))  // a reset, not a FIN
            }
            connection.channel.close(promise: nil)
        }
        state.losing = []
        state.report.outages.append(outage)
        return outage.dropped
    }

    /// Stops listening and closes what is left; returns the report.
    func close() async throws -> Report {
        let box = self.box
        return try await loop.submit { () -> Report in
            let state = box.value
            state.listener?.close(promise: nil)
            state.listener = nil
            for connection in state.connections.values { connection.channel.close(promise: nil) }
            var report = state.report
            for (chargePoint, times) in state.connectedAt {
                report.chargePoints[chargePoint]?.reconnectedAfterOutages =
                    state.outageEnds.count { end in times.contains { $0 >= end } }
            }
            return report
        }.get()
    }

    /// Copies bytes to the other side of a proxied connection. Towards the CSMS it reads the
    /// charge point id from the upgrade request; towards the charge point it drops the CSMS's
    /// bytes while answers are being lost.
    final class Forward: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private let partner: any Channel
        private let connection: ObjectIdentifier
        private let carriesAnswers: Bool
        private let box: NIOLoopBoundBox<State>
        private var identified = false

        init(to partner: any Channel, answersFor connection: ObjectIdentifier, box: NIOLoopBoundBox<State>) {
            (self.partner, self.connection, self.carriesAnswers, self.box) = (partner, connection, true, box)
        }

        init(to partner: any Channel, requestsOf connection: ObjectIdentifier, box: NIOLoopBoundBox<State>) {
            (self.partner, self.connection, self.carriesAnswers, self.box) = (partner, connection, false, box)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            if carriesAnswers, box.value.losing.contains(connection) { return }
            if !carriesAnswers, !identified {
                identified = true
                // "GET /ocpp/CP-1 HTTP/1.1": the path's last segment is the charge point id.
                let requestLine = String(buffer: bytes).prefix { !$0.isNewline }.split(separator: " ")
                if requestLine.count == 3, let id = requestLine[1].split(separator: "?").first?.split(separator: "/").last {
                    box.value.identified(connection, as: String(id))
                }
            }
            partner.writeAndFlush(bytes, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension OutageProxy.State: Sendable {}

@available(*, unavailable)
extension OutageProxy.Forward: Sendable {}

/// Typed reads of the peer's JSON summary; a missing or mistyped field reads as 0, false or empty
/// (and so fails the expectation that uses it).
struct PeerSummary {
    let raw: [String: Any]
    init(_ raw: [String: Any]) { self.raw = raw }

    func int(_ key: String) -> Int { raw[key] as? Int ?? 0 }
    func double(_ key: String) -> Double { raw[key] as? Double ?? (raw[key] as? Int).map(Double.init) ?? 0 }
    func bool(_ key: String) -> Bool { raw[key] as? Bool ?? false }
    func array(_ key: String) -> [Any] { raw[key] as? [Any] ?? [] }
    func object(_ key: String) -> PeerSummary { PeerSummary(raw[key] as? [String: Any] ?? [:]) }
}
