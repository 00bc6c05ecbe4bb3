import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import Testing

@testable import Fleet

/// Records what the transport reports, in order.
final class RecordingDelegate: ConnectionDelegate {
    enum Event: Equatable {
        case tcpConnected, opened, closed, binary
        case failed(ConnectFailure)
        case text(String)
    }
    var events: [Event] = []

    func tcpConnected(channel: any Channel) { events.append(.tcpConnected) }
    func connectFailed(_ failure: ConnectFailure) { events.append(.failed(failure)) }
    func webSocketOpened(channel: any Channel) { events.append(.opened) }
    func received(text: UnsafeRawBufferPointer) { events.append(.text(String(decoding: text, as: UTF8.self))) }
    func receivedBinaryFrame() { events.append(.binary) }
    func webSocketClosed() { events.append(.closed) }
    func transportError(_ error: any Error) {}
}

@Suite("WebSocket client pipeline")
struct WebSocketClientPipelineTests {
    /// RFC 6455 §1.3's sample key and its accept value.
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    func makeChannel(maxFrameSize: Int = 1 << 20, subprotocol: String = "ocpp1.6") throws -> (EmbeddedChannel, RecordingDelegate) {
        let channel = EmbeddedChannel()
        let delegate = RecordingDelegate()
        let bound = NIOLoopBound<any ConnectionDelegate>(delegate, eventLoop: channel.eventLoop)
        try WebSocketTransport.configurePipeline(channel, hostHeader: "127.0.0.1:9000", path: "/ocpp/CP-00001",
                                                 subprotocol: subprotocol, maxFrameSize: maxFrameSize, delegate: bound,
                                                 requestKey: Self.key)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        return (channel, delegate)
    }

    func readRequest(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func respond(_ channel: EmbeddedChannel, _ lines: [String]) throws {
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: text))
        channel.embeddedEventLoop.run()
    }

    func upgrade(_ channel: EmbeddedChannel, subprotocol: String?) throws {
        var lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Accept: \(Self.accept)"]
        if let subprotocol { lines.append("Sec-WebSocket-Protocol: \(subprotocol)") }
        try respond(channel, lines)
    }

    @Test("The upgrade request asks for the charge point's path and offers subprotocol ocpp1.6")
    func upgradeRequest() throws {
        let (channel, _) = try makeChannel()
        let request = try readRequest(channel)
        #expect(request.hasPrefix("GET /ocpp/CP-00001 HTTP/1.1\r\n"))
        #expect(request.contains("Sec-WebSocket-Protocol: ocpp1.6\r\n"))
        #expect(request.contains("Host: 127.0.0.1:9000\r\n"))
        #expect(request.lowercased().contains("upgrade: websocket"))
        #expect(request.contains("Sec-WebSocket-Key: \(Self.key)"))
        _ = try? channel.finish()
    }

    @Test("A server that accepts the offered subprotocol opens the connection and text frames reach the charge point",
          arguments: ["ocpp1.6", "ocpp2.0.1"])
    func acceptedUpgrade(subprotocol: String) throws {
        let (channel, delegate) = try makeChannel(subprotocol: subprotocol)
        #expect(try readRequest(channel).contains("Sec-WebSocket-Protocol: \(subprotocol)\r\n"))
        try upgrade(channel, subprotocol: subprotocol)
        #expect(delegate.events == [.opened])

        var payload = channel.allocator.buffer(string: #"[2,"1","Reset",{"type":"Soft"}]"#)
        let frame = WebSocketFrame(fin: true, opcode: .text, data: payload)
        try channel.writeInbound(encode(frame, channel))
        channel.embeddedEventLoop.run()
        #expect(delegate.events.last == .text(#"[2,"1","Reset",{"type":"Soft"}]"#))

        payload = channel.allocator.buffer(string: "hi")
        try channel.writeInbound(encode(WebSocketFrame(fin: true, opcode: .ping, data: payload), channel))
        let pong = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(pong.getInteger(at: pong.readerIndex, as: UInt8.self) == 0x8A)  // FIN + pong
        _ = try? channel.finish()
    }

    @Test("A frame that arrives in the same read as the 101 answer reaches the charge point")
    func frameWithUpgradeAnswer() throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        let head = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Accept: \(Self.accept)", "Sec-WebSocket-Protocol: ocpp1.6"].joined(separator: "\r\n")
        var bytes = ByteBuffer(string: head + "\r\n\r\n")
        var frame = encode(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: #"[2,"9","Heartbeat",{}]"#)), channel)
        bytes.writeBuffer(&frame)
        try channel.writeInbound(bytes)
        channel.embeddedEventLoop.run()
        #expect(delegate.events == [.opened, .text(#"[2,"9","Heartbeat",{}]"#)])
        _ = try? channel.finish()
    }

    @Test("A server that answers without subprotocol ocpp1.6 fails the connection, naming what it chose",
          arguments: [nil, "ocpp2.0.1"] as [String?])
    func rejectedSubprotocol(chosen: String?) throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        try upgrade(channel, subprotocol: chosen)
        #expect(delegate.events.first == .failed(.subprotocolRejected(offered: "ocpp1.6", got: chosen)))
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("An HTTP error instead of an upgrade fails the connection with the status")
    func httpError() throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        try respond(channel, ["HTTP/1.1 404 Not Found", "Content-Length: 0"])
        #expect(delegate.events.contains(where: {
            if case .failed = $0 { return true } else { return false }
        }))
        _ = try? channel.finish()
    }

    @Test("The request is one buffer: GET, Host, Upgrade, Connection, key, version 13, subprotocol, no Authorization unless set")
    func requestInOneBuffer() throws {
        let (channel, _) = try makeChannel()
        let request = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(String(buffer: request) == "GET /ocpp/CP-00001 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: \(Self.key)\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n")
        _ = try? channel.finish()
    }

    @Test("A 101 arriving a byte at a time opens the connection, with a token list in Connection and lower-case names")
    func upgradeByteByByte() throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        let answer = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
            + "sec-websocket-accept: \(Self.accept)\r\nsec-websocket-protocol: ocpp1.6\r\n\r\n"
        for byte in answer.utf8 {
            #expect(delegate.events.isEmpty)
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(delegate.events == [.opened])
        _ = try? channel.finish()
    }

    @Test("A refusal is reported with its status and reason, exactly")
    func refusalStatus() throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        try respond(channel, ["HTTP/1.1 401 Unauthorized", "WWW-Authenticate: Basic realm=\"OCPP\"", "Content-Length: 0"])
        #expect(delegate.events == [.failed(.httpStatus(401, "Unauthorized"))])
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("A 101 with a wrong or missing Sec-WebSocket-Accept, or without Upgrade, or garbage fails, saying what was wrong",
          arguments: [
            (["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
              "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Sec-WebSocket-Protocol: ocpp1.6"], "Sec-WebSocket-Accept 'AAAA"),
            (["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
              "Sec-WebSocket-Protocol: ocpp1.6"], "Sec-WebSocket-Accept none"),
            (["HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Sec-WebSocket-Accept: \(WebSocketClientPipelineTests.accept)",
              "Sec-WebSocket-Protocol: ocpp1.6"], "no 'Upgrade: websocket'"),
            (["SSH-2.0-OpenSSH_9.6", "garbage"], "malformed HTTP head"),
          ])
    func badAnswer(lines: [String], says: String) throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        try respond(channel, lines)
        guard case .failed(.connect(let reason)) = delegate.events.first else {
            Issue.record("not a connect failure: \(delegate.events)")
            return
        }
        #expect(reason.contains(says), "\(reason)")
        #expect(delegate.events.count == 1)
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("A close from the server is answered with a close and ends the connection")
    func closeHandshake() throws {
        let (channel, delegate) = try makeChannel()
        _ = try readRequest(channel)
        try upgrade(channel, subprotocol: "ocpp1.6")
        var body = channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: .normalClosure)
        try channel.writeInbound(encode(WebSocketFrame(fin: true, opcode: .connectionClose, data: body), channel))
        let reply = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(reply.getInteger(at: reply.readerIndex, as: UInt8.self) == 0x88)  // FIN + close
        channel.embeddedEventLoop.run()
        #expect(delegate.events.last == .closed)
        #expect(!channel.isActive)
    }

    @Test("The maximum message size is configurable: a message within it arrives, a frame or a fragmented message past it closes with 1009",
          arguments: [false, true])
    func maxFrameSize(fragmented: Bool) throws {
        let limit = 2048
        let (channel, delegate) = try makeChannel(maxFrameSize: limit)
        _ = try readRequest(channel)
        try upgrade(channel, subprotocol: "ocpp1.6")
        let fits = #"[2,"1","DataTransfer",{"vendorId":"x","data":""# + String(repeating: "a", count: limit - 50) + #""}]"#
        #expect(fits.utf8.count <= limit)
        try channel.writeInbound(encode(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: fits)), channel))
        channel.embeddedEventLoop.run()
        #expect(delegate.events.last == .text(fits))

        let tooBig = #"[2,"2","DataTransfer",{"vendorId":"x","data":""# + String(repeating: "b", count: limit) + #""}]"#
        if fragmented {
            // Each fragment fits; the message they make does not.
            let bytes = Array(tooBig.utf8)
            let half = bytes.count / 2
            try channel.writeInbound(encode(WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(bytes: bytes[..<half])), channel))
            try channel.writeInbound(encode(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(bytes: bytes[half...])), channel))
        } else {
            try channel.writeInbound(encode(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: tooBig)), channel))
        }
        channel.embeddedEventLoop.run()
        var bytes: [UInt8] = []  // the encoder may write header and payload separately
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        #expect(bytes.first == 0x88)  // FIN + close
        #expect(bytes.count == 8 && bytes[1] == 0x82)  // masked (a client's frame), 2 bytes of status
        if bytes.count == 8 {
            let status = UInt16(bytes[6] ^ bytes[2]) << 8 | UInt16(bytes[7] ^ bytes[3])
            #expect(status == 1009, "message too big")
        }
        #expect(!delegate.events.contains(.text(tooBig)))
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    /// Encodes a server frame (unmasked) the way it arrives on the wire.
    func encode(_ frame: WebSocketFrame, _ channel: EmbeddedChannel) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: frame.data.readableBytes + 10)
        let opcodeByte = UInt8(frame.fin ? 0x80 : 0) | UInt8(webSocketOpcode: frame.opcode)
        buffer.writeInteger(opcodeByte)
        let length = frame.data.readableBytes
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        }
        var data = frame.data
        buffer.writeBuffer(&data)
        return buffer
    }
}
