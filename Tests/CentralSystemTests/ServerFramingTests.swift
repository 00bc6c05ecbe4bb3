@testable import CentralSystem
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

/// The server end of `OCPPWebSocketHandler` as the CSMS uses it: a charge point's frames are
/// masked (RFC 6455 §5.3), ours are not, and whatever arrives in one read is answered with one flush.
@Suite("WebSocket framing, server side")
struct ServerFramingTests {
    static let key = WebSocketMaskingKey([0xDE, 0xAD, 0xBE, 0xEF])!

    /// `text` as a charge point puts it on the wire: one masked frame.
    static func masked(_ text: String, opcode: WebSocketOpcode = .text, fin: Bool = true) -> ByteBuffer {
        var data = ByteBuffer(string: text)
        data.webSocketMask(key)
        let channel = EmbeddedChannel()
        try? channel.writeInboundFrame(WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: data))
        return (try? channel.readInbound(as: ByteBuffer.self)) ?? ByteBuffer()
    }

    static let heartbeat = #"[2,"h1","Heartbeat",{}]"#

    @Test("A masked CALL split across reads at every byte is unmasked and answered once, unmasked")
    func splitAcrossReads() throws {
        let wire = Self.masked(Self.heartbeat)
        for cut in 1..<wire.readableBytes {
            let cp = try ConnectionHarness()
            var rest = wire
            let slice = rest.readSlice(length: cut)
            let head = try #require(slice)
            try cp.channel.writeInbound(head)
            #expect(try cp.channel.readOutbound(as: ByteBuffer.self) == nil, "cut at \(cut)")
            try cp.channel.writeInbound(rest)
            let replies = try cp.written()
            #expect(replies.count == 1, "cut at \(cut)")
            #expect(replies.first?.hasPrefix(#"[3,"h1","#) == true)
            #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
        }
    }

    @Test("A masked message with a 16-bit length is unmasked whole")
    func extendedLength() throws {
        let cp = try ConnectionHarness()
        let data = String(repeating: "v", count: 300)
        let text = #"[2,"d1","DataTransfer",{"vendorId":"elsewhere","data":"\#(data)"}]"#
        try cp.channel.writeInbound(Self.masked(text))
        let replies = try cp.written()
        #expect(replies.count == 1)
        #expect(replies.first?.hasPrefix(#"[3,"d1",{"status":"#) == true)
        #expect(cp.stats.received(.dataTransfer) == 1)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Two CALLs in one read are both answered, in order, by the one flush at the end of the read")
    func twoInOneRead() throws {
        let cp = try ConnectionHarness()
        var both = Self.masked(#"[2,"a","Heartbeat",{}]"#)
        both.writeImmutableBuffer(Self.masked(#"[2,"b","Heartbeat",{}]"#))
        try cp.channel.writeInbound(both)
        let replies = try cp.written()
        #expect(replies.count == 2)
        #expect(replies.first?.hasPrefix(#"[3,"a","#) == true)
        #expect(replies.last?.hasPrefix(#"[3,"b","#) == true)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("Masked fragments with a masked ping between them: the pong first, then the one answer")
    func maskedFragmentsAndPing() throws {
        let cp = try ConnectionHarness()
        try cp.channel.writeInbound(Self.masked(#"[2,"f","Heart"#, fin: false))
        try cp.channel.writeInbound(Self.masked("hello", opcode: .ping))
        let pong = try #require(try cp.channel.readOutboundFrame())
        #expect(pong.opcode == .pong && String(buffer: pong.data) == "hello")
        try cp.channel.writeInbound(Self.masked(#"beat",{}]"#, opcode: .continuation))
        let replies = try cp.written()
        #expect(replies.count == 1)
        #expect(replies.first?.hasPrefix(#"[3,"f","#) == true)
        #expect(cp.stats.pingsReceived == 1)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A frame announced over the size limit (64-bit length) is refused with 1009 before its payload arrives")
    func oversized() throws {
        var configuration = CentralSystemConfiguration()
        configuration.maxMessageSize = 1024
        let cp = try ConnectionHarness(shared: ConnectionHarness.shared(configuration))
        var header = ByteBuffer()
        header.writeInteger(UInt8(0x81))
        header.writeInteger(UInt8(0x80 | 127))
        header.writeInteger(UInt64(1 << 20))
        try cp.channel.writeInbound(header)
        let close = try #require(try cp.channel.readOutboundFrame())
        #expect(close.opcode == .connectionClose)
        var data = close.data
        #expect(data.readWebSocketErrorCode() == .messageTooLarge)
        cp.channel.embeddedEventLoop.run()
        #expect(!cp.channel.isActive)
        #expect(try cp.channel.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test("While our close is out, pings and CALLs are no longer answered")
    func quietAfterClose() throws {
        let cp = try ConnectionHarness()
        cp.channel.pipeline.fireUserInboundEventTriggered(CloseRequest.shutdown)
        let close = try #require(try cp.channel.readOutboundFrame())
        #expect(close.opcode == .connectionClose)
        try cp.channel.writeInbound(Self.masked("late", opcode: .ping))
        try cp.channel.writeInbound(Self.masked(Self.heartbeat))
        #expect(try cp.channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(cp.stats.received(.heartbeat) == 0)
        try cp.channel.writeInbound(Self.masked("", opcode: .connectionClose))
        #expect(!cp.channel.isActive)
        #expect(try cp.channel.finish(acceptAlreadyClosed: true).isClean)
    }
}
