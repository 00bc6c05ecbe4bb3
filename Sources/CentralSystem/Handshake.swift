import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import OCPP

/// Whether an HTTP upgrade request may become an OCPP-J connection (OCPP-J 1.6 §3.1, 2.0.1
/// §3.1): the last path segment, percent-decoded, is the charge point id, the charge point
/// proves it is that id when the server asks (a client certificate naming it, profile 3, or
/// HTTP Basic credentials `<id>:<password>`, profiles 1 and 2), and it offers a subprotocol
/// the server serves (`ocpp1.6`, `ocpp2.0.1`). Of several, the client's first choice wins
/// (RFC 6455 §4.1: the list is in order of preference).
enum Handshake: Equatable {
    case upgrade(chargePointId: String, version: OCPPVersion, subprotocol: String)
    case reject(HTTPResponseStatus, reason: String)

    init(_ head: HTTPRequestHead, credentials: Credentials = .none,
         versions: Set<OCPPVersion> = Set(OCPPVersion.allCases)) {
        guard head.method == .GET else {
            self = .reject(.methodNotAllowed, reason: "a WebSocket upgrade must be a GET request")
            return
        }
        guard let id = Self.chargePointId(uri: head.uri) else {
            self = .reject(.badRequest, reason: "the charge point id in the path is not valid percent-encoded UTF-8")
            return
        }
        guard !id.isEmpty else {
            self = .reject(.notFound, reason: "no charge point id: connect to <path>/<chargePointId>")
            return
        }
        if let name = credentials.certificateName {
            // OCPP 1.6 Security Whitepaper, profile 3: the certificate must belong to this charge point.
            guard name == id else {
                self = .reject(.forbidden, reason: "the client certificate is for '\(name)', not for charge point '\(id)'")
                return
            }
        } else if let password = credentials.password {
            guard let header = head.headers["Authorization"].first,
                  let (user, given) = ServerSecurity.basicCredentials(header), user == id, password.matches(given)
            else {
                self = .reject(.unauthorized,
                               reason: "HTTP Basic authentication with the charge point id and its password required")
                return
            }
        }
        guard let negotiated = Self.negotiate(head, versions: versions) else {
            let served = versions.sorted().map(\.subprotocol).joined(separator: " or ")
            self = .reject(.badRequest, reason: "subprotocol \(served) required (Sec-WebSocket-Protocol)")
            return
        }
        self = .upgrade(chargePointId: id, version: negotiated.version, subprotocol: negotiated.subprotocol)
    }

    /// The first subprotocol the client offers that the server serves, and its version.
    static func negotiate(_ head: HTTPRequestHead, versions: Set<OCPPVersion>) -> (version: OCPPVersion, subprotocol: String)? {
        for offered in head.headers[canonicalForm: "sec-websocket-protocol"] {
            if let version = OCPPVersion(subprotocol: offered), versions.contains(version) {
                return (version, String(offered))
            }
        }
        return nil
    }

    /// Whether the request asks for a WebSocket (an `Upgrade: websocket` header).
    static func isUpgradeRequest(_ head: HTTPRequestHead) -> Bool {
        head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
    }

    /// The request path without query, fragment, or scheme and authority.
    static func path(uri: String) -> Substring {
        var path = Substring(uri)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
        if let scheme = path.range(of: "://") {
            let authority = path[scheme.upperBound...]
            path = authority.firstIndex(of: "/").map { authority[$0...] } ?? ""
        }
        return path
    }

    /// The percent-decoded last segment of the path ("" when the path ends in "/"); nil when
    /// its encoding is broken.
    static func chargePointId(uri: String) -> String? {
        let path = path(uri: uri)
        let segment = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Answers what is not upgraded to a WebSocket: `GET /health` is 200 "ok", a refused
/// upgrade gets its status and reason (and is counted), anything else is 404. Every
/// answer closes the connection. Removed from the pipeline when an upgrade succeeds.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "ocpp-http"

    private let gauge: ConnectionGauge
    private let password: Secret?
    private let versions: Set<OCPPVersion>
    private var response: (status: HTTPResponseStatus, body: String)?

    init(gauge: ConnectionGauge, password: Secret? = nil, versions: Set<OCPPVersion> = Set(OCPPVersion.allCases)) {
        self.gauge = gauge
        self.password = password
        self.versions = versions
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            response = answer(head, channel: context.channel)
        case .body:
            break
        case .end:
            guard let (status, body) = response else { return }
            response = nil
            respond(context: context, status: status, body: body)
        }
    }

    private func answer(_ head: HTTPRequestHead, channel: any Channel) -> (HTTPResponseStatus, String) {
        if Handshake.isUpgradeRequest(head) {
            // The upgrader turned it down; say why.
            gauge.rejected()
            switch Handshake(head, credentials: Credentials(channel: channel, password: password), versions: versions) {
            case .reject(let status, let reason):
                if status == .unauthorized || status == .forbidden { gauge.unauthorized() }
                return (status, reason)
            case .upgrade:
                return (.badRequest, "invalid WebSocket handshake (Sec-WebSocket-Key and Sec-WebSocket-Version: 13 required)")
            }
        }
        if head.method == .GET, Handshake.path(uri: head.uri) == "/health" {
            return (.ok, "ok")
        }
        return (.notFound, "not found")
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Basic realm=\"OCPP\", charset=\"UTF-8\"") }
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                      promise: nil)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is CloseRequest {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused upgrade arrives here first, then its request head: answered above.
        if error is NIOWebSocketUpgradeError { return }
        if case NIOSSLError.handshakeFailed = error { gauge.tlsHandshakeFailed() }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension HTTPRequestHandler: Sendable {}
