import NIOCore
import NIOHTTP1
import NIOSSL
import OCPP
import OCPPWebSocket

/// Whether an HTTP upgrade request may become an OCPP-J connection (OCPP-J 1.6 §3.1, 2.0.1
/// §3.1): the last path segment, percent-decoded, is the charge point id, the charge point
/// proves it is that id when the server asks (a client certificate naming it, profile 3, or
/// HTTP Basic credentials `<id>:<password>`, profiles 1 and 2), and it offers a subprotocol
/// the server serves (`ocpp1.6`, `ocpp2.0.1`). Of several, the client's first choice wins
/// (RFC 6455 §4.1: the list is in order of preference). Last, the request must be a WebSocket
/// opening handshake (RFC 6455 §4.2.1): `Connection: Upgrade`, a `Sec-WebSocket-Key` of 16
/// bytes, `Sec-WebSocket-Version: 13` (else 426, §4.2.2).
enum Handshake: Equatable {
    case upgrade(chargePointId: String, version: OCPPVersion, subprotocol: String)
    case reject(HTTPResponseStatus, reason: String)

    init(_ head: HTTPHead, credentials: Credentials = .none,
         versions: Set<OCPPVersion> = Set(OCPPVersion.allCases)) {
        guard head.method == "GET", let uri = head.uri else {
            self = .reject(.methodNotAllowed, reason: "a WebSocket upgrade must be a GET request")
            return
        }
        guard let id = Self.chargePointId(uri: uri) else {
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
            guard let header = head.first("Authorization"),
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
        let keys = head.values("Sec-WebSocket-Key")
        guard head.contains("Connection", token: "upgrade"), keys.count == 1, WebSocketKey.isValid(keys[0]) else {
            self = .reject(.badRequest,
                           reason: "invalid WebSocket handshake (Connection: Upgrade and a Sec-WebSocket-Key of 16 bytes required)")
            return
        }
        guard head.values("Sec-WebSocket-Version") == ["13"] else {
            self = .reject(.upgradeRequired, reason: "WebSocket version 13 required (Sec-WebSocket-Version)")
            return
        }
        self = .upgrade(chargePointId: id, version: negotiated.version, subprotocol: negotiated.subprotocol)
    }

    /// The first subprotocol the client offers that the server serves, and its version.
    static func negotiate(_ head: HTTPHead, versions: Set<OCPPVersion>) -> (version: OCPPVersion, subprotocol: String)? {
        for offered in head.tokens("Sec-WebSocket-Protocol") {
            if let version = OCPPVersion(subprotocol: offered), versions.contains(version) {
                return (version, String(offered))
            }
        }
        return nil
    }

    /// Whether the request asks for a WebSocket (an `Upgrade: websocket` header).
    static func isUpgradeRequest(_ head: HTTPHead) -> Bool {
        head.contains("Upgrade", token: "websocket")
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

/// The server's side of the HTTP/1.1 upgrade, for every connection the CSMS accepts: `Handshake`
/// decides; an accepted upgrade is answered with 101 (`Sec-WebSocket-Accept`, the chosen
/// subprotocol) and a `ChargePointConnection` of the negotiated version; a refused one with its
/// status and reason, counted (`WWW-Authenticate` on 401, `Sec-WebSocket-Version` on 426).
/// `GET /health` is 200 "ok", any other request 404, a malformed one 400. Every answer but the
/// 101 closes the connection. One instance serves every loop: it holds settings only.
final class ChargePointUpgrade: WebSocketUpgrade, Sendable {
    private let shared: SharedState

    init(shared: SharedState) {
        self.shared = shared
    }

    /// The server waits for the request.
    func request(allocator: ByteBufferAllocator) -> ByteBuffer? { nil }

    func decide(_ head: HTTPHead, handler: OCPPWebSocketHandler, channel: any Channel) -> UpgradeDecision {
        guard Handshake.isUpgradeRequest(head) else {
            if head.method == "GET", let uri = head.uri, Handshake.path(uri: uri) == "/health" {
                return .refuse(response: Self.answer(.ok, body: "ok", allocator: channel.allocator))
            }
            return .refuse(response: Self.answer(.notFound, body: "not found", allocator: channel.allocator))
        }
        let configuration = shared.configuration
        let credentials = Credentials(channel: channel, password: configuration.password)
        switch Handshake(head, credentials: credentials, versions: configuration.ocppVersions) {
        case .reject(let status, let reason):
            shared.gauge.rejected()
            if status == .unauthorized || status == .forbidden { shared.gauge.unauthorized() }
            return .refuse(response: Self.answer(status, body: reason, allocator: channel.allocator))
        case .upgrade(let id, let version, let subprotocol):
            // `Handshake` checked that there is exactly one key.
            let accept = WebSocketKey.accept(for: head.first("Sec-WebSocket-Key") ?? "")
            let response = HTTPHeadWriter.write("HTTP/1.1 101 Switching Protocols", headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept),
                ("Sec-WebSocket-Protocol", subprotocol),
            ], allocator: channel.allocator)
            let connection = ChargePointSocket.connection(chargePointId: id, version: version, shared: shared)
            connection.socket = handler
            return .open(response: response, delegate: connection)
        }
    }

    func failed(_ error: any Error, channel: any Channel) -> ByteBuffer? {
        if let malformed = error as? HTTPHeadParser.Failure {
            return Self.answer(.badRequest, body: "\(malformed)", allocator: channel.allocator)
        }
        if case NIOSSLError.handshakeFailed = error { shared.gauge.tlsHandshakeFailed() }
        return nil
    }

    /// A plain-text answer after which the connection closes.
    static func answer(_ status: HTTPResponseStatus, body: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(body.utf8.count)),
                       ("Connection", "close")]
        if status == .unauthorized { headers.append(("WWW-Authenticate", "Basic realm=\"OCPP\", charset=\"UTF-8\"")) }
        if status == .upgradeRequired { headers.append(("Sec-WebSocket-Version", "13")) }
        return HTTPHeadWriter.write("HTTP/1.1 \(status.code) \(status.reasonPhrase)", headers: headers, body: body,
                                    allocator: allocator)
    }
}
