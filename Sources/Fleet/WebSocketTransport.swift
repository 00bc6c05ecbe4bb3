import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import OCPP

/// Why a charge point's connection attempt failed, in words a user can act on.
enum ConnectFailure: Error, Equatable, CustomStringConvertible {
    case connect(String)
    case httpStatus(Int, String)
    case subprotocolRejected(offered: String, got: String?)
    case handshakeTimeout
    case closedDuringHandshake

    var description: String {
        switch self {
        case .connect(let reason): "cannot connect: \(reason)"
        case .httpStatus(let code, let reason): "WebSocket upgrade refused: HTTP \(code) \(reason)"
        case .subprotocolRejected(let offered, let got):
            "the server did not accept subprotocol \(offered) (it answered \(got.map { "'\($0)'" } ?? "none"))"
        case .handshakeTimeout: "WebSocket handshake timed out"
        case .closedDuringHandshake: "connection closed during the WebSocket handshake"
        }
    }
}

/// Sends the HTTP upgrade request when the TCP connection is up, and turns a
/// non-101 answer into a `ConnectFailure`. Removed once the upgrade succeeds.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    static let name = "ocpp-upgrade-request"

    private let host: String
    private let path: String
    private let subprotocol: String
    private let onFailure: (ConnectFailure) -> Void

    init(host: String, path: String, subprotocol: String, onFailure: @escaping (ConnectFailure) -> Void) {
        self.host = host
        self.path = path
        self.subprotocol = subprotocol
        self.onFailure = onFailure
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let response) = unwrapInboundIn(data) {
            onFailure(.httpStatus(Int(response.status.code), response.status.reasonPhrase))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let upgradeError = error as? NIOHTTPClientUpgradeError {
            onFailure(.connect("upgrade failed: \(upgradeError)"))
        } else {
            onFailure(.connect("\(error)"))
        }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpgradeRequestHandler: Sendable {}

/// The OCPP-J side of an open WebSocket: text frames to the charge point, pings
/// answered, closes completed. All on the charge point's event loop.
final class OCPPFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let chargePoint: any ConnectionDelegate
    private var closeSent = false

    init(delegate: any ConnectionDelegate) { self.chargePoint = delegate }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { chargePoint.webSocketOpened(channel: context.channel) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            chargePoint.received(Array(payload.readableBytesView))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if !closeSent {
                closeSent = true
                var data = frame.unmaskedData
                let code = data.readWebSocketErrorCode() ?? .normalClosure
                var buffer = context.channel.allocator.buffer(capacity: 2)
                buffer.write(webSocketErrorCode: code)
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: buffer)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .binary:
            // OCPP-J uses text frames only (OCPP-J 1.6 §4.1.1).
            chargePoint.receivedBinaryFrame()
        case .pong, .continuation:
            break
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        chargePoint.webSocketClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        chargePoint.transportError(error)
        context.close(promise: nil)
    }

    /// Notes our own close frame, so the peer's reply ends the connection instead of
    /// being answered again (RFC 6455 §5.5.1).
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data).opcode == .connectionClose { closeSent = true }
        context.write(data, promise: promise)
    }
}

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

@available(*, unavailable)
extension OCPPFrameHandler: Sendable {}

/// What the transport tells the owner of a connection. All calls happen on the
/// connection's event loop.
protocol ConnectionDelegate: AnyObject {
    func tcpConnected(channel: any Channel)
    func connectFailed(_ failure: ConnectFailure)
    func webSocketOpened(channel: any Channel)
    func received(_ text: [UInt8])
    func receivedBinaryFrame()
    func webSocketClosed()
    func transportError(_ error: any Error)
}

enum WebSocketTransport {
    static let maxFrameSize = 1 << 20

    /// Opens one WebSocket on `loop` to `path`; the delegate hears back through
    /// `tcpConnected`, `webSocketOpened`, `connectFailed` and `webSocketClosed`.
    static func connect(_ delegate: any ConnectionDelegate, endpoint: CSMSEndpoint, address: SocketAddress?,
                        path: String, subprotocol: String, loop: any EventLoop, connectTimeout: TimeAmount) {
        let bound = NIOLoopBound<any ConnectionDelegate>(delegate, eventLoop: loop)
        let hostHeader = endpoint.port == 80 ? endpoint.host : "\(endpoint.host):\(endpoint.port)"
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configurePipeline(channel, hostHeader: hostHeader, path: path, subprotocol: subprotocol,
                                          delegate: bound)
                }
            }
        // The address is resolved once per run; without it NIO would call getaddrinfo per connection.
        let connecting = address.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: endpoint.host, port: endpoint.port)
        connecting.whenComplete { result in
            switch result {
            case .success(let channel):
                bound.value.tcpConnected(channel: channel)
            case .failure(let error):
                bound.value.connectFailed(.connect(describe(error)))
            }
        }
    }

    /// The client pipeline: HTTP/1.1 upgrade offering `subprotocol`, then (only when the
    /// server chose that subprotocol) frame aggregation and the OCPP frame handler.
    static func configurePipeline(
        _ channel: any Channel, hostHeader: String, path: String, subprotocol: String,
        delegate bound: NIOLoopBound<any ConnectionDelegate>,
        requestKey: String = NIOWebSocketClientUpgrader.randomRequestKey()
    ) throws {
        let upgrader = NIOWebSocketClientUpgrader(
            requestKey: requestKey, maxFrameSize: maxFrameSize, automaticErrorHandling: true,
            upgradePipelineHandler: { channel, response in
                let chosen = response.headers.first(name: "Sec-WebSocket-Protocol")
                guard chosen?.lowercased() == subprotocol.lowercased() else {
                    bound.value.connectFailed(.subprotocolRejected(offered: subprotocol, got: chosen))
                    channel.close(promise: nil)
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64,
                                                    maxAccumulatedFrameSize: maxFrameSize),
                        OCPPFrameHandler(delegate: bound.value))
                }
            })
        let configuration: NIOHTTPClientUpgradeConfiguration = (
            upgraders: [upgrader],
            completionHandler: { context in
                context.pipeline.removeHandler(name: UpgradeRequestHandler.name, promise: nil)
            }
        )
        try channel.pipeline.syncOperations.addHTTPClientHandlers(withClientUpgrade: configuration)
        try channel.pipeline.syncOperations.addHandler(
            UpgradeRequestHandler(host: hostHeader, path: path, subprotocol: subprotocol,
                                  onFailure: { bound.value.connectFailed($0) }),
            name: UpgradeRequestHandler.name)
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
