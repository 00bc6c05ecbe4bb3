@testable import CentralSystem
import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

/// The CSMS's side of the HTTP/1.1 upgrade, run by the connection's one handler
/// (`ChargePointUpgrade`), over an `EmbeddedChannel`: what it answers and counts.
@Suite("Server upgrade: hand-written HTTP/1.1 handshake")
struct ServerUpgradeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// A connected channel whose pipeline is what `CentralSystemServer` builds without TLS.
    func makeChannel(_ configuration: CentralSystemConfiguration = .init()) throws -> (EmbeddedChannel, SharedState) {
        let shared = ConnectionHarness.shared(configuration)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ChargePointSocket.handler(upgrade: ChargePointUpgrade(shared: shared), shared: shared))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        return (channel, shared)
    }

    static func request(_ headers: [(String, String)], uri: String = "/ocpp/CP-1") -> String {
        (["GET \(uri) HTTP/1.1", "Host: 127.0.0.1:9000"] + headers.map { "\($0.0): \($0.1)" }).joined(separator: "\r\n")
            + "\r\n\r\n"
    }

    static let upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
                          ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Protocol", "ocpp1.6")]

    /// Everything the server wrote, as text.
    func written(_ channel: EmbeddedChannel) throws -> String {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sends `request` and returns the answer's head and body, after which the server closed.
    func refusal(_ request: String, _ configuration: CentralSystemConfiguration = .init())
        throws -> (head: HTTPHead, body: String, stats: CentralSystemStats) {
        let (channel, shared) = try makeChannel(configuration)
        try channel.writeInbound(ByteBuffer(string: request))
        channel.embeddedEventLoop.run()
        var answer = ByteBuffer(string: try written(channel))
        var parser = HTTPHeadParser()
        let head = try #require(try parser.parse(&answer))
        #expect(!channel.isActive, "a refusal closes the connection")
        #expect(head.first("Content-Length") == String(answer.readableBytes))
        #expect(head.first("Connection") == "close")
        _ = try? channel.finish()
        return (head, String(buffer: answer), shared.stats)
    }

    @Test("An upgrade is answered with 101, the accept value of the key and the chosen subprotocol, and the connection opens")
    func switchingProtocols() throws {
        let (channel, shared) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: Self.request(Array(Self.upgrade.dropLast()) + [("Sec-WebSocket-Protocol", "ocpp2.0, ocpp1.6")])))
        let answer = try written(channel)
        #expect(answer == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n")
        #expect(channel.isActive)
        #expect(shared.stats.connectionsCurrent == 1)
        _ = try? channel.finish()
    }

    @Test("A request arriving a byte at a time, with a BootNotification frame right behind it, is upgraded and answered")
    func splitRequestAndFrame() throws {
        let (channel, _) = try makeChannel()
        var bytes = ByteBuffer(string: Self.request(Self.upgrade))
        let boot = String(decoding: Frame.encodeCall(id: "b1", action: V16.BootNotificationRequest.action,
                                                     payload: V16.BootNotificationRequest(chargePointVendor: "v",
                                                                                          chargePointModel: "m").encoded),
                          as: UTF8.self)
        let mask: [UInt8] = [1, 2, 3, 4]
        bytes.writeInteger(UInt8(0x81))
        bytes.writeInteger(UInt8(0x80 | boot.utf8.count))
        bytes.writeBytes(mask)
        bytes.writeBytes(boot.utf8.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        for byte in bytes.readableBytesView {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        var out: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out += buffer.readableBytesView }
        var answer = ByteBuffer(bytes: out)
        var parser = HTTPHeadParser()
        let head = try #require(try parser.parse(&answer))
        #expect(head.status == 101)
        let frame = try #require(try OCPPWebSocketHandler.nextFrame(&answer, role: .client, maxFrameSize: 1 << 20))
        guard case .callResult(let id, let payload) = try Frame.parse(String(buffer: frame.payload)) else {
            Issue.record("BootNotification not answered")
            return
        }
        #expect(id == "b1")
        #expect(try V16.BootNotificationResponse(json: payload).status == .accepted)
        _ = try? channel.finish()
    }

    @Test("A wrong WebSocket version is 426 with Sec-WebSocket-Version: 13 (RFC 6455 §4.2.2)")
    func wrongVersion() throws {
        let answer = try refusal(Self.request(Self.upgrade.map { $0.0 == "Sec-WebSocket-Version" ? ($0.0, "8") : $0 }))
        #expect(answer.head.startLine == .response(status: 426, reason: "Upgrade Required"))
        #expect(answer.head.first("Sec-WebSocket-Version") == "13")
        #expect(answer.stats.handshakesRejected == 1)
    }

    @Test("A missing or invalid Sec-WebSocket-Key, or no Connection: Upgrade, is 400",
          arguments: [nil, "short", "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ=="] as [String?])
    func badKey(key: String?) throws {
        var headers = Self.upgrade.filter { $0.0 != "Sec-WebSocket-Key" }
        if let key { headers.append(("Sec-WebSocket-Key", key)) }
        let answer = try refusal(Self.request(headers))
        #expect(answer.head.status == 400)
        #expect(answer.body.contains("Sec-WebSocket-Key"))
        #expect(answer.stats.handshakesRejected == 1)
        let noConnection = try refusal(Self.request(Self.upgrade.filter { $0.0 != "Connection" }))
        #expect(noConnection.head.status == 400)
    }

    @Test("Without the password a charge point is refused with 401 and WWW-Authenticate, and counted")
    func unauthorized() throws {
        var configuration = CentralSystemConfiguration()
        configuration.password = Secret("lab-password-0123456789")
        let answer = try refusal(Self.request(Self.upgrade), configuration)
        #expect(answer.head.startLine == .response(status: 401, reason: "Unauthorized"))
        #expect(answer.head.first("WWW-Authenticate") == "Basic realm=\"OCPP\", charset=\"UTF-8\"")
        #expect(answer.body.hasPrefix("HTTP Basic authentication"))
        #expect(answer.stats.authenticationFailures == 1 && answer.stats.handshakesRejected == 1)
        let right = "Basic " + Data("CP-1:lab-password-0123456789".utf8).base64EncodedString()
        let (channel, _) = try makeChannel(configuration)
        try channel.writeInbound(ByteBuffer(string: Self.request(Self.upgrade + [("Authorization", right)])))
        #expect(try written(channel).hasPrefix("HTTP/1.1 101 "))
        _ = try? channel.finish()
    }

    @Test("GET /health is 200 ok, another path 404, a malformed or oversized request 400; none is counted as an upgrade")
    func plainRequests() throws {
        let health = try refusal("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(health.head.status == 200 && health.body == "ok")
        let missing = try refusal("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(missing.head.startLine == .response(status: 404, reason: "Not Found"))
        #expect(missing.body == "not found")
        let garbage = try refusal("\u{16}\u{03}\u{01} hello\r\n\r\n")
        #expect(garbage.head.status == 400)
        let huge = try refusal("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 9000) + "\r\n\r\n")
        #expect(huge.head.status == 400 && huge.body.contains("larger than 8192 bytes"))
        #expect(health.stats.handshakesRejected + missing.stats.handshakesRejected + garbage.stats.handshakesRejected == 0)
    }

    @Test("A close request before the upgrade is done closes the connection")
    func closeBeforeUpgrade() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /ocpp/CP-1 HTTP/1.1\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(CloseRequest.shutdown)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(try written(channel).isEmpty)
    }
}
