import FleetSpec
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import OCPP
import OCPPWebSocket

/// One TLS connection's facts for explaining its failure: the host it expected and what the
/// certificate check noticed (filled in by the verification observer, on the same loop).
final class TLSClientState {
    let host: String
    let presentsClientCertificate: Bool
    var verification: TLSFailure?

    init(host: String, presentsClientCertificate: Bool) {
        self.host = host
        self.presentsClientCertificate = presentsClientCertificate
    }
}

@available(*, unavailable)
extension TLSClientState: Sendable {}

enum WebSocketClose {
    /// Starts a normal close (1000): the connection ends when the peer answers, or after `grace`.
    static func closeNormally(_ channel: any Channel, grace: TimeAmount) {
        var buffer = channel.allocator.buffer(capacity: 2)
        buffer.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: buffer)
        channel.writeAndFlush(frame, promise: nil)
        channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
    }
}

/// What the transport tells the owner of a connection. All calls happen on the
/// connection's event loop.
protocol ConnectionDelegate: WebSocketMessageDelegate {
    func tcpConnected(channel: any Channel)
    func connectFailed(_ failure: ConnectFailure)
}

enum WebSocketTransport {
    /// Opens one WebSocket on `loop` to `path`, from the local address `source` if given; the
    /// delegate hears back through `tcpConnected`, `webSocketOpened`, `connectFailed` and `webSocketClosed`.
    static func connect(_ delegate: any ConnectionDelegate, endpoint: CSMSEndpoint, address: SocketAddress?,
                        path: String, subprotocol: String, security: ClientSecurity, source: SocketAddress? = nil,
                        maxFrameSize: Int = RunSettings.defaultMaxFrameSize, loop: any EventLoop,
                        connectTimeout: TimeAmount) {
        let bound = NIOLoopBound<any ConnectionDelegate>(delegate, eventLoop: loop)
        let hostHeader = endpoint.hostHeader
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configurePipeline(channel, hostHeader: hostHeader, path: path, subprotocol: subprotocol,
                                          security: security, endpoint: endpoint, maxFrameSize: maxFrameSize,
                                          delegate: bound)
                }
            }
        if let source { bootstrap = bind(bootstrap, to: source) }
        // The address is resolved once per run; without it NIO would call getaddrinfo per connection.
        let connecting = address.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: endpoint.host, port: endpoint.port)
        connecting.whenComplete { result in
            switch result {
            case .success(let channel):
                bound.value.tcpConnected(channel: channel)
            case .failure(let error):
                if case ChannelError.connectTimeout = error {
                    bound.value.connectFailed(.connectTimeout)
                } else {
                    bound.value.connectFailed(.connect(describe(error)))
                }
            }
        }
    }

    /// Binds the connection to the local address `source` before it connects. On Linux with
    /// `IP_BIND_ADDRESS_NO_PORT`, set before the bind: the kernel then picks the local port at
    /// connect time for the whole 4-tuple, instead of reserving one of the address's ~28,000
    /// ephemeral ports for every connection at bind time (docs/scaling.md, "Source addresses").
    static func bind(_ bootstrap: ClientBootstrap, to source: SocketAddress) -> ClientBootstrap {
        #if os(Linux)
        let bindAddressNoPort = ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: 24))
        return bootstrap.channelOption(bindAddressNoPort, value: 1).bind(to: source)  // 24: IP_BIND_ADDRESS_NO_PORT, <linux/in.h>
        #else
        return bootstrap.bind(to: source)
        #endif
    }

    /// The client pipeline: TLS when the security profile asks for it (SNI: the URL's host
    /// name), then `OCPPWebSocketHandler` alone for the connection's life: it runs the HTTP/1.1
    /// upgrade (`ClientUpgrade`: offering `subprotocol`, with Basic authentication in profiles 1
    /// and 2, `requestKey` as Sec-WebSocket-Key) and then the WebSocket, which opens only when
    /// the server chose that subprotocol. A frame, or a fragmented message once reassembled,
    /// larger than `maxFrameSize` bytes closes the connection with status 1009 (message too big).
    static func configurePipeline(
        _ channel: any Channel, hostHeader: String, path: String, subprotocol: String,
        security: ClientSecurity = .plain, endpoint: CSMSEndpoint? = nil,
        maxFrameSize: Int = RunSettings.defaultMaxFrameSize,
        delegate bound: NIOLoopBound<any ConnectionDelegate>,
        requestKey: String = WebSocketKey.random()
    ) throws {
        var tlsState: TLSClientState?
        if let tls = security.tls {
            let host = endpoint?.host ?? hostHeader
            let state = TLSClientState(host: host, presentsClientCertificate: tls.presentsClientCertificate)
            let handler = try TLSClientHandlerFactory.make(
                context: tls.context, serverHostname: endpoint?.serverName, observe: tls.verifies ? state : nil)
            try channel.pipeline.syncOperations.addHandler(handler)
            tlsState = state
        }
        let upgrade = ClientUpgrade(host: hostHeader, path: path, subprotocol: subprotocol,
                                    authorization: security.authorization, key: requestKey, tls: tlsState,
                                    delegate: bound)
        try channel.pipeline.syncOperations.addHandler(OCPPWebSocketHandler(upgrade: upgrade, maxMessageSize: maxFrameSize))
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        if let connect = error as? NIOConnectionError {
            return connect.connectionErrors.first.map { "\($0.error)" } ?? "\(connect)"
        }
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        return "\(error)"
    }
}
