import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPPWebSocket
import Testing

@testable import Fleet

@Suite("OCPP WebSocket handler")
struct OCPPWebSocketHandlerTests {
    func makeChannel(maxMessageSize: Int = 1 << 20) throws -> (EmbeddedChannel, OCPPWebSocketHandler, RecordingDelegate) {
        let delegate = RecordingDelegate()
        let handler = OCPPWebSocketHandler(delegate: delegate, maxMessageSize: maxMessageSize)
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        try channel.pipeline.syncOperations.addHandler(handler)
        return (channel, handler, delegate)
    }

    /// A server frame (unmasked) as it arrives on the wire.
    func serverFrame(fin: Bool = true, opcode: UInt8, _ payload: [UInt8], masked: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger((fin ? 0x80 : 0) | opcode)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            buffer.writeInteger(maskBit | UInt8(payload.count))
        } else if payload.count <= 65_535 {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(payload.count))
        }
        if masked { buffer.writeInteger(UInt32(0)) }
        buffer.writeBytes(payload)
        return buffer
    }

    /// Decodes one client frame written by the handler: opcode, and the payload unmasked.
    func clientFrame(_ buffer: ByteBuffer) throws -> (opcode: UInt8, fin: Bool, payload: [UInt8]) {
        var buffer = buffer
        let header = buffer.readBytes(length: 2)
        let (first, second) = try #require(header.map { ($0[0], $0[1]) })
        #expect(second & 0x80 != 0, "client frames are masked (RFC 6455 §5.3)")
        var length = Int(second & 0x7F)
        if length == 126 {
            let extended = buffer.readInteger(as: UInt16.self)
            length = Int(try #require(extended))
        } else if length == 127 {
            let extended = buffer.readInteger(as: UInt64.self)
            length = Int(try #require(extended))
        }
        let keyBytes = buffer.readBytes(length: 4)
        let key = try #require(keyBytes)
        let maskedBytes = buffer.readBytes(length: length)
        let masked = try #require(maskedBytes)
        #expect(buffer.readableBytes == 0)
        return (first & 0x0F, first & 0x80 != 0, masked.enumerated().map { $0.element ^ key[$0.offset & 3] })
    }

    @Test("A CALL goes out as one masked text frame that unmasks to the same bytes",
          arguments: [10, 125, 126, 65_535, 65_536])
    func sendText(size: Int) throws {
        let (channel, handler, _) = try makeChannel()
        let text = (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        handler.sendText(text, mask: 0xA1B2_C3D4)
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let frame = try clientFrame(written)
        #expect(frame.opcode == 0x1 && frame.fin)
        #expect(frame.payload == text)
        _ = try channel.finish()
    }

    @Test("Text frames that arrive whole, split across reads or several in one read each reach the charge point once")
    func framing() throws {
        let (channel, _, delegate) = try makeChannel()
        let one = serverFrame(opcode: 0x1, Array(#"[3,"1",{}]"#.utf8))
        let two = serverFrame(opcode: 0x1, Array(repeating: UInt8(ascii: "x"), count: 300))
        var both = one
        both.writeImmutableBuffer(two)
        try channel.writeInbound(both)
        var split = one
        let head = split.readSlice(length: 3)!
        try channel.writeInbound(head)
        #expect(delegate.events.count == 3)
        try channel.writeInbound(split)
        #expect(delegate.events == [.opened, .text(#"[3,"1",{}]"#), .text(String(repeating: "x", count: 300)), .text(#"[3,"1",{}]"#)])
        _ = try channel.finish()
    }

    @Test("A fragmented text message is reassembled; a ping between its fragments is answered with a pong")
    func fragments() throws {
        let (channel, _, delegate) = try makeChannel()
        try channel.writeInbound(serverFrame(fin: false, opcode: 0x1, Array("[2,\"7\",".utf8)))
        try channel.writeInbound(serverFrame(opcode: 0x9, Array("hi".utf8)))
        let pong = try clientFrame(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(pong.opcode == 0xA && pong.payload == Array("hi".utf8))
        try channel.writeInbound(serverFrame(fin: false, opcode: 0x0, Array("\"Reset\",".utf8)))
        try channel.writeInbound(serverFrame(opcode: 0x0, Array("{\"type\":\"Soft\"}]".utf8)))
        #expect(delegate.events == [.opened, .text(#"[2,"7","Reset",{"type":"Soft"}]"#)])
        _ = try channel.finish()
    }

    @Test("What RFC 6455 forbids a server is answered with the close code that says why, then the connection ends",
          arguments: [
            ("masked server frame", [0x81, 0x82, 0, 0, 0, 0, 0x41, 0x42], 1002),
            ("reserved bit", [0xC1, 0x01, 0x41], 1002),
            ("fragmented ping", [0x09, 0x00], 1002),
            ("continuation without a start", [0x80, 0x01, 0x41], 1002),
            ("frame over the limit", [0x81, 0x7E, 0x04, 0x01], 1009),
            ("text frame inside a fragmented message", [0x01, 0x01, 0x41, 0x81, 0x01, 0x42], 1002),
          ] as [(String, [UInt8], Int)])
    func violations(name: String, bytes: [UInt8], code: Int) throws {
        let (channel, _, delegate) = try makeChannel(maxMessageSize: 1024)
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        let close = try clientFrame(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(close.opcode == 0x8)
        #expect(close.payload.count == 2 && Int(close.payload[0]) << 8 | Int(close.payload[1]) == code, "\(name)")
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(!delegate.events.contains { if case .text = $0 { true } else { false } })
    }

    @Test("A message reassembled past the limit is refused with 1009")
    func reassembledTooLarge() throws {
        let (channel, _, _) = try makeChannel(maxMessageSize: 100)
        try channel.writeInbound(serverFrame(fin: false, opcode: 0x1, Array(repeating: 0x41, count: 60)))
        try channel.writeInbound(serverFrame(opcode: 0x0, Array(repeating: 0x41, count: 60)))
        let close = try clientFrame(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(close.opcode == 0x8 && close.payload == [0x03, 0xF1])
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test("A binary message is reported, not delivered as text")
    func binary() throws {
        let (channel, _, delegate) = try makeChannel()
        try channel.writeInbound(serverFrame(opcode: 0x2, [1, 2, 3]))
        #expect(delegate.events == [.opened, .binary])
        _ = try channel.finish()
    }

    @Test("A message in more fragments than the limit is refused with 1009, like one too large")
    func tooManyFragments() throws {
        let (channel, _, delegate) = try makeChannel()
        try channel.writeInbound(serverFrame(fin: false, opcode: 0x1, [0x41]))
        for _ in 1..<OCPPWebSocketHandler.maxFragments {
            try channel.writeInbound(serverFrame(fin: false, opcode: 0x0, [0x41]))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "\(OCPPWebSocketHandler.maxFragments) fragments are allowed")
        try channel.writeInbound(serverFrame(opcode: 0x0, [0x41]))
        let close = try clientFrame(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(close.opcode == 0x8 && close.payload == [0x03, 0xF1])
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(delegate.events == [.opened, .closed])
    }

    @Test("A ping written through the channel (WebSocketPingInterval) goes out masked with its payload")
    func outgoingPing() throws {
        let (channel, _, _) = try makeChannel()
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: ByteBuffer(string: "p")),
                              promise: nil)
        let ping = try clientFrame(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(ping.opcode == 0x9 && ping.fin && ping.payload == Array("p".utf8))
        _ = try channel.finish()
    }

    @Test("After our own close, the CSMS's close ends the connection and is not answered again (RFC 6455 §5.5.1)")
    func ownCloseCompleted() throws {
        let (channel, _, delegate) = try makeChannel()
        WebSocketClose.closeNormally(channel, grace: .seconds(2))
        let close = try clientFrame(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(close.opcode == 0x8 && close.payload == [0x03, 0xE8])
        try channel.writeInbound(serverFrame(opcode: 0x8, [0x03, 0xE8]))
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(!channel.isActive)
        #expect(delegate.events == [.opened, .closed])
    }
}
