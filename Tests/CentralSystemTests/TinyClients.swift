import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// What the tiny WebSocket client saw, in order.
enum ClientEvent: Sendable, Equatable {
    case upgraded(subprotocol: String?)
    case text(String)
    case closed(WebSocketErrorCode?)
    case httpStatus(UInt)
}

/// A minimal NIO WebSocket client for tests: upgrades, sends text frames, reports what it
/// receives as `ClientEvent`s and answers a close. Its stream ends when the socket closes
/// or after `deadline`, so no test waits unboundedly.
struct TinyWebSocketClient {
    let channel: any Channel
    let events: AsyncStream<ClientEvent>

    static func connect(port: Int, path: String, subprotocol: String?, group: any EventLoopGroup,
                        deadline: TimeAmount = .seconds(20)) async throws -> TinyWebSocketClient {
        let (events, continuation) = AsyncStream<ClientEvent>.makeStream()
        let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
            let upgrader = NIOWebSocketClientUpgrader(upgradePipelineHandler: { channel, response in
                continuation.yield(.upgraded(subprotocol: response.headers.first(name: "Sec-WebSocket-Protocol")))
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientFrameHandler(continuation: continuation))
                }
            })
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                        context.pipeline.syncOperations.removeHandler(name: "upgrade-request", promise: nil)
                    }))
                try channel.pipeline.syncOperations.addHandler(
                    UpgradeRequestHandler(path: path, subprotocol: subprotocol, continuation: continuation),
                    name: "upgrade-request")
            }
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        channel.eventLoop.scheduleTask(in: deadline) { continuation.finish() }
        return TinyWebSocketClient(channel: channel, events: events)
    }

    func send(_ text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }
}

/// Sends the upgrade request once connected; reports a refusal's HTTP status.
private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let path: String
    private let subprotocol: String?
    private let continuation: AsyncStream<ClientEvent>.Continuation

    init(path: String, subprotocol: String?, continuation: AsyncStream<ClientEvent>.Continuation) {
        self.path = path
        self.subprotocol = subprotocol
        self.continuation = continuation
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Host", "127.0.0.1"), ("Content-Length", "0")])
        if let subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
        context.write(Self.wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path,
                                                                 headers: headers))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let response) = Self.unwrapInboundIn(data) {
            continuation.yield(.httpStatus(response.status.code))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Reports text frames and the server's close, and answers that close.
private final class ClientFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<ClientEvent>.Continuation

    init(continuation: AsyncStream<ClientEvent>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            continuation.yield(.text(String(buffer: frame.unmaskedData)))
        case .connectionClose:
            var payload = frame.unmaskedData
            continuation.yield(.closed(payload.readWebSocketErrorCode()))
            var echo = ByteBuffer()
            echo.write(webSocketErrorCode: .normalClosure)
            context.writeAndFlush(Self.wrapOutboundOut(
                WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)), promise: nil)
        default:
            break
        }
    }
}

/// Sends raw bytes and returns everything the server answers until it closes (or
/// `deadline` passes).
func rawHTTP(port: Int, request: String, group: any EventLoopGroup,
             deadline: TimeAmount = .seconds(20)) async throws -> String {
    let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
    let channel = try await ClientBootstrap(group: group).channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteCollector(continuation: continuation))
        }
    }.connect(host: "127.0.0.1", port: port).get()
    channel.closeFuture.whenComplete { _ in continuation.finish() }
    let timeout = channel.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
    try await channel.writeAndFlush(ByteBuffer(string: request))
    var answer = ""
    for await chunk in stream { answer += String(buffer: chunk) }
    timeout.cancel()
    return answer
}

private final class ByteCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let continuation: AsyncStream<ByteBuffer>.Continuation

    init(continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(Self.unwrapInboundIn(data))
    }
}
