import Logging
import NIOCore
import NIOPosix
import NIOSSL
import OCPP
import OCPPWebSocket
import Synchronization

/// The embedded reference CSMS: an OCPP 1.6J and 2.0.1 central system on SwiftNIO that answers
/// every request a charge point sends, fast enough to be the default target of a load test.
///
/// Charge points connect with a WebSocket to any path whose last segment is their id and
/// offer the `ocpp1.6` or `ocpp2.0.1` subprotocol; the one negotiated picks the session. Each connection is one handler confined to its event
/// loop: no task, actor or lock per connection. Transactions, the registry of connected
/// charge points and the counters are shared across loops (see `stats`).
public final class CentralSystemServer: Sendable {
    /// Why `start` failed.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    private enum Listener {
        case idle
        case listening(any Channel)
        case stopped
    }

    /// Internal so tests can look at the registry and the open sockets.
    let shared: SharedState
    private let group: any EventLoopGroup
    private let listener = Mutex(Listener.idle)
    private let upgrade: ChargePointUpgrade

    public init(configuration: CentralSystemConfiguration, group: any EventLoopGroup, logger: Logger) {
        let shared = SharedState(configuration: configuration, loops: Array(group.makeIterator()), logger: logger)
        self.shared = shared
        self.group = group
        self.upgrade = ChargePointUpgrade(shared: shared)
    }

    /// Starts listening; returns the bound port (the chosen one when `port` is 0). With
    /// `configuration.tls` it serves wss://; unreadable TLS files throw `StartError`.
    public func start(host: String, port: Int) async throws -> Int {
        let shared = self.shared
        let upgrade = self.upgrade
        let tlsContext = try shared.configuration.tls.map(ServerSecurity.makeContext)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            // Accepts per wake-up of the listening socket (NIO's default: 4). Under a connection
            // storm on a busy loop, 4 per loop iteration left thousands of connections in the
            // accept queue until the fleet's 10 s handshake timeout (docs/performance.md, 50,000).
            .serverChannelOption(.maxMessagesPerRead, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator,
                                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configureAcceptedChannel(channel, shared: shared, upgrade: upgrade, tls: tlsContext)
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        let refusal: String? = listener.withLock { listener in
            switch listener {
            case .idle:
                listener = .listening(channel)
                return nil
            case .listening: return "the server is already listening"
            case .stopped: return "the server was shut down"
            }
        }
        if let refusal {
            try? await channel.close()
            throw StartError(description: refusal)
        }
        guard let bound = channel.localAddress?.port else {
            throw StartError(description: "the listening socket has no port")
        }
        shared.logger.info("central system listening", metadata: ["host": "\(host)", "port": "\(bound)"])
        return bound
    }

    /// Stops accepting, then ends every connection: WebSocket sessions with a close frame
    /// (1000, normal closure) and the peer's answer, or after `closeGrace` without one.
    public func shutdown() async throws {
        let listening: (any Channel)? = listener.withLock { listener in
            defer { listener = .stopped }
            guard case .listening(let channel) = listener else { return nil }
            return channel
        }
        try? await listening?.close()
        let sockets = shared.registry.beginShutdown()
        let backstop = shared.configuration.closeGrace + .milliseconds(100)
        for socket in sockets {
            socket.pipeline.fireUserInboundEventTriggered(CloseRequest.shutdown)
            let task = socket.eventLoop.scheduleTask(in: backstop) { socket.close(promise: nil) }
            socket.closeFuture.whenComplete { _ in task.cancel() }
        }
        for socket in sockets {
            try? await socket.closeFuture.get()
        }
        shared.logger.info("central system stopped", metadata: ["connections": "\(sockets.count)"])
    }

    /// A snapshot of the counters, open transactions included.
    public var stats: CentralSystemStats { shared.stats }

    // MARK: - pipeline

    /// An accepted connection's pipeline, for its whole life: TLS when configured, then one
    /// `OCPPWebSocketHandler` that runs the HTTP upgrade (`ChargePointUpgrade`) and then the
    /// WebSocket. Nothing is added or removed after the handshake.
    private static func configureAcceptedChannel(_ channel: any Channel, shared: SharedState,
                                                 upgrade: ChargePointUpgrade, tls: NIOSSLContext?) throws {
        guard shared.registry.track(channel) else {
            throw ChannelError.ioOnClosedChannel
        }
        let registry = shared.registry
        channel.closeFuture.whenComplete { _ in registry.untrack(channel) }
        let sync = channel.pipeline.syncOperations
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        try sync.addHandler(ChargePointSocket.handler(upgrade: upgrade, shared: shared))
    }

    /// A connection whose upgrade is done (tests): its `OCPPWebSocketHandler` (framing,
    /// fragments, pings, closes), open, with the connection of `version` behind it.
    static func addWebSocketHandlers(to channel: any Channel, chargePointId: String, version: OCPPVersion = .v16,
                                     shared: SharedState) throws {
        let connection = ChargePointSocket.connection(chargePointId: chargePointId, version: version, shared: shared)
        let handler = ChargePointSocket.handler(delegate: connection, shared: shared)
        connection.socket = handler
        try channel.pipeline.syncOperations.addHandler(handler)
    }
}
