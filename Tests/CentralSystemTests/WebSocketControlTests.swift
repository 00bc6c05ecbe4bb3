@testable import CentralSystem
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

@Suite("Connection handler: pings, closes and replaced connections")
struct WebSocketControlTests {
    private func control(_ channel: EmbeddedChannel) throws -> WebSocketFrame? {
        try channel.readOutboundFrame()
    }

    private func closeCode(_ frame: WebSocketFrame?) -> WebSocketErrorCode? {
        var data = frame?.unmaskedData
        return data?.readWebSocketErrorCode()
    }

    @Test("A ping is answered with a pong carrying the same data")
    func ping() throws {
        let cp = try ConnectionHarness()
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "are you there")))
        let pong = try #require(try control(cp.channel))
        #expect(pong.opcode == .pong)
        #expect(String(buffer: pong.unmaskedData) == "are you there")
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A close from the charge point is echoed with its status code, then the socket closes")
    func peerClose() throws {
        let cp = try ConnectionHarness()
        #expect(cp.stats.connectionsCurrent == 1)
        var payload = ByteBuffer()
        payload.write(webSocketErrorCode: .goingAway)
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))
        let reply = try #require(try control(cp.channel))
        #expect(reply.opcode == .connectionClose)
        #expect(closeCode(reply) == .goingAway)
        #expect(!cp.channel.isActive)
        #expect(cp.stats.connectionsCurrent == 0)
        #expect(cp.stats.connectionsAccepted == 1)
        #expect(try cp.channel.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test("A second connection with the same id closes the first with a normal close")
    func replacedConnection() throws {
        let shared = ConnectionHarness.shared()
        var first = try ConnectionHarness(id: "CP-9", shared: shared)
        try first.boot()
        var second = try ConnectionHarness(id: "CP-9", shared: shared)

        let close = try #require(try control(first.channel))
        #expect(close.opcode == .connectionClose)
        #expect(closeCode(close) == .normalClosure)
        #expect(shared.stats.connectionsReplaced == 1)
        #expect(shared.stats.connectionsPeak == 2)

        // Messages after our close are not answered; the peer's close ends the socket.
        #expect(try first.send(#"[2, "late", "Heartbeat", {}]"#).isEmpty)
        try first.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .connectionClose, data: close.unmaskedData))
        #expect(!first.channel.isActive)
        #expect(try first.channel.finish(acceptAlreadyClosed: true).isClean)

        // The newer connection stays registered and knows the boot.
        _ = try second.call(V16.HeartbeatRequest())
        let stats = shared.stats
        #expect(stats.violations.messagesBeforeBoot == 0)
        #expect(stats.connectionsCurrent == 1)
        #expect(try second.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Without the peer's answer, a close we started ends the socket after the grace period")
    func closeGrace() throws {
        let cp = try ConnectionHarness()
        cp.channel.pipeline.fireUserInboundEventTriggered(CloseRequest.shutdown)
        let close = try #require(try control(cp.channel))
        #expect(close.opcode == .connectionClose)
        #expect(cp.channel.isActive)
        cp.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!cp.channel.isActive)
        #expect(try cp.channel.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test("A message over the size limit ends the connection with 1009")
    func tooLarge() throws {
        var configuration = CentralSystemConfiguration()
        configuration.maxMessageSize = 64
        let cp = try ConnectionHarness(shared: ConnectionHarness.shared(configuration))
        let chunk = ByteBuffer(string: String(repeating: "x", count: 40))
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: false, opcode: .text, data: chunk))
        try cp.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .continuation, data: chunk))
        let close = try #require(try control(cp.channel))
        #expect(closeCode(close) == .messageTooLarge)
        #expect(!cp.channel.isActive)
        #expect(try cp.channel.finish(acceptAlreadyClosed: true).isClean)
    }
}
