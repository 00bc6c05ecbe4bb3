import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `HOST:PORT` of `--prometheus`: `127.0.0.1:9464`, `localhost:0`, `[::1]:9464`.
struct MetricsEndpoint: Equatable {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0 ... 65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        self.host = host
        self.port = port
    }
}

/// Chooses swift-prometheus as the swift-metrics backend for this process (once) and returns
/// its registry. Latency buckets span 1 ms … 30 s, so CSMS answers land in distinct buckets.
func bootstrapPrometheus() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.defaultDurationHistogramBuckets = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]
    MetricsSystem.bootstrap(factory)
    return registry
}

/// A tiny HTTP/1.1 server on the fleet's event loops: `GET /metrics` answers the registry in
/// Prometheus' text format, anything else 404. The registry renders at scrape time, so a
/// scrape costs the fleet nothing between scrapes.
final class MetricsServer: Sendable {
    private let channel: any Channel
    /// `host:port` it listens on (the real port when 0 was asked for).
    let address: String

    private init(channel: any Channel, address: String) {
        self.channel = channel
        self.address = address
    }

    static func start(host: String, port: Int, registry: PrometheusCollectorRegistry,
                      group: any EventLoopGroup) async throws -> MetricsServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(registry: registry))
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        let shown = host.contains(":") ? "[\(host)]" : host
        return MetricsServer(channel: channel, address: "\(shown):\(bound)")
    }

    func close() async throws {
        try await channel.close()
    }
}

/// Answers one request at a time on a keep-alive connection.
private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var request: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let (status, contentType, body): (HTTPResponseStatus, String, [UInt8]) =
            switch (head.method, path) {
            case (.GET, "/metrics"), (.HEAD, "/metrics"):
                (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
            case (_, "/metrics"):
                (.methodNotAllowed, "text/plain; charset=utf-8", Array("use GET\n".utf8))
            default:
                (.notFound, "text/plain; charset=utf-8", Array("ocpp-fleet serves /metrics only\n".utf8))
            }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension MetricsHandler: Sendable {}
