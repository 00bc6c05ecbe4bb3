@testable import CentralSystem
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

@Suite("Server over real sockets")
struct ServerSocketTests {
    static let handshake = """
        GET /ocpp/CP-2 HTTP/1.1\r
        Host: 127.0.0.1\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Sec-WebSocket-Version: 13\r
        \r

        """

    @Test("A charge point offering ocpp1.6 boots over a real WebSocket; one offering none gets HTTP 400",
          .timeLimit(.minutes(1)))
    func realSockets() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logger = Logger(label: "csms-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = CentralSystemServer(configuration: .init(), group: group, logger: logger)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        #expect(port > 0)

        let client = try await TinyWebSocketClient.connect(
            port: port, path: "/steve/websocket/CentralSystemService/CP-1", subprotocol: "ocpp1.6, ocpp2.0.1",
            group: group)
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .upgraded(subprotocol: "ocpp1.6"))

        let boot = V16.BootNotificationRequest(chargePointVendor: "ocpp-fleet", chargePointModel: "Sim")
        client.send(String(decoding: Frame.encodeCall(id: "b1", action: V16.BootNotificationRequest.action,
                                                      payload: boot.encoded), as: UTF8.self))
        guard case .text(let text) = await events.next() else {
            Issue.record("no answer to BootNotification")
            return
        }
        guard case .callResult(let id, let payload) = try Frame.parse(text) else {
            Issue.record("BootNotification answered with \(text)")
            return
        }
        #expect(id == "b1")
        let response = try V16.BootNotificationResponse(json: payload)
        #expect(response.status == .accepted)
        #expect(response.interval == 300)

        let refused = try await rawHTTP(port: port, request: Self.handshake, group: group)
        #expect(refused.hasPrefix("HTTP/1.1 400"), "got \(refused)")
        #expect(refused.contains("ocpp1.6"))

        let noSubprotocol = try await TinyWebSocketClient.connect(port: port, path: "/ocpp/CP-3", subprotocol: nil,
                                                                  group: group)
        var refusedEvents = noSubprotocol.events.makeAsyncIterator()
        #expect(await refusedEvents.next() == .httpStatus(400))

        let health = try await rawHTTP(port: port, request: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", group: group)
        #expect(health.hasPrefix("HTTP/1.1 200"))
        #expect(health.hasSuffix("\r\n\r\nok"))
        let missing = try await rawHTTP(port: port, request: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", group: group)
        #expect(missing.hasPrefix("HTTP/1.1 404"))

        // After the upgrade a connection keeps the one handler that ran it.
        let sockets = server.shared.registry.openSockets
        #expect(sockets.count == 1)
        for socket in sockets {
            let handler = try await socket.eventLoop.submit {
                (try? socket.pipeline.syncOperations.handler(type: OCPPWebSocketHandler.self)) != nil
            }.get()
            #expect(handler)
        }
        var stats = server.stats
        #expect(stats.connectionsAccepted == 1)
        #expect(stats.connectionsCurrent == 1)
        #expect(stats.handshakesRejected == 2)
        #expect(stats.bootsAccepted == 1)

        try await server.shutdown()
        #expect(await events.next() == .closed(.normalClosure))
        try await client.channel.closeFuture.get()
        stats = server.stats
        #expect(stats.connectionsCurrent == 0)
        #expect(stats.connectionsPeak == 1)
        try await group.shutdownGracefully()
    }
}
