import NIOCore
import NIOHTTP1
import NIOWebSocket

/// An open OCPP-J WebSocket, client side, in one handler: RFC 6455 framing (decoding the CSMS's
/// frames, reassembling fragmented messages, masking ours), pings answered, closes completed, and
/// the text messages handed to the charge point as bytes.
///
/// One handler instead of NIO's four (frame decoder, protocol-error handler, aggregator, our
/// frame handler) and its encoder: a message crosses no pipeline hop and is never boxed as a
/// `WebSocketFrame`. An unfragmented frame that arrives whole (the usual case) is read straight
/// out of the socket's buffer; a CALL is masked while it is copied into the one buffer that also
/// holds its header (`sendText`), and written from this handler's context, past the pipeline.
final class OCPPWebSocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    /// Control frames written through the channel (`WebSocketClose`, pings) are encoded here too.
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    /// What broke the WebSocket protocol (RFC 6455 §5), with the close code it is answered with.
    enum Violation: Error, Equatable {
        case reservedBitsSet
        case maskedServerFrame
        case invalidControlFrame
        case unexpectedContinuation
        case unfinishedMessage
        case messageTooLarge(Int)
        case tooManyFragments

        var closeCode: WebSocketErrorCode {
            switch self {
            case .messageTooLarge, .tooManyFragments: .messageTooLarge
            case .reservedBitsSet, .maskedServerFrame, .invalidControlFrame, .unexpectedContinuation,
                 .unfinishedMessage: .protocolError
            }
        }
    }

    /// Most fragments one message may arrive in (as `NIOWebSocketFrameAggregator` allowed before).
    static let maxFragments = 64

    private let chargePoint: any ConnectionDelegate
    private let maxMessageSize: Int
    private var context: ChannelHandlerContext?
    /// The start of a frame that has not arrived whole yet.
    private var partial: ByteBuffer?
    /// A fragmented message being reassembled: its opcode, bytes and fragment count.
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments: [UInt8] = []
    private var fragmentCount = 0
    private var closeSent = false
    /// After a protocol violation nothing more is read.
    private var failed = false

    init(delegate: any ConnectionDelegate, maxMessageSize: Int) {
        self.chargePoint = delegate
        self.maxMessageSize = maxMessageSize
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { chargePoint.webSocketOpened(channel: context.channel) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        chargePoint.webSocketClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        chargePoint.transportError(error)
        context.close(promise: nil)
    }

    // MARK: sending

    /// Sends one text message (a whole OCPP-J frame) as a single masked WebSocket frame: header
    /// and payload in one buffer, one write and flush.
    func sendText(_ payload: [UInt8], mask: UInt32) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 14)
        payload.withUnsafeBytes { Self.writeFrame(opcode: .text, payload: $0, mask: mask, into: &buffer) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// A frame written through the pipeline (a close or a ping): encoded with its own mask key.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        if frame.opcode == .connectionClose { closeSent = true }
        let key = frame.maskKey ?? .random()
        let mask = key.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var payload = frame.data
        var buffer = context.channel.allocator.buffer(capacity: payload.readableBytes + 14)
        payload.readWithUnsafeReadableBytes { bytes in
            Self.writeFrame(opcode: frame.opcode, payload: bytes, mask: mask, into: &buffer)
            return bytes.count
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    /// RFC 6455 §5.2: FIN, opcode, the MASK bit with the 7, 7+16 or 7+64 bit length, the key, then
    /// the payload XORed with the key (§5.3), in network byte order.
    static func writeFrame(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, mask: UInt32,
                           into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | UInt8(webSocketOpcode: opcode))
        let count = payload.count
        if count < 126 {
            buffer.writeInteger(0x80 | UInt8(count))
        } else if count <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(count))
        }
        buffer.writeInteger(mask)
        let key = (UInt8(truncatingIfNeeded: mask >> 24), UInt8(truncatingIfNeeded: mask >> 16),
                   UInt8(truncatingIfNeeded: mask >> 8), UInt8(truncatingIfNeeded: mask))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            withUnsafeBytes(of: key) { key in
                for index in 0..<count { out[index] = payload[index] ^ key[index & 3] }
            }
            return count
        }
    }

    // MARK: receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if var earlier = partial {
            partial = nil
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        do throws(Violation) {
            while let frame = try Self.nextFrame(&buffer, maxFrameSize: maxMessageSize) {
                try handle(frame, context: context)
                if failed || !context.channel.isActive { return }
            }
        } catch {
            fail(error, context: context)
            return
        }
        if buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            partial = buffer
        }
    }

    /// One frame as it arrived: header fields and its (already unmasked) payload.
    struct Frame {
        var fin: Bool
        var opcode: WebSocketOpcode
        var payload: ByteBuffer
    }

    /// Reads one whole frame off the front of `buffer`, or nil (and nothing consumed) when it has
    /// not arrived whole. Throws on what RFC 6455 §5.2 and §5.5 forbid a server to send.
    static func nextFrame(_ buffer: inout ByteBuffer, maxFrameSize: Int) throws(Violation) -> Frame? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self),
              let second = buffer.getInteger(at: start + 1, as: UInt8.self) else { return nil }
        guard first & 0x70 == 0 else { throw .reservedBitsSet }
        guard second & 0x80 == 0 else { throw .maskedServerFrame }
        let fin = first & 0x80 != 0
        let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F) ?? .continuation
        var headerLength = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            headerLength = 4
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
            guard extended <= UInt64(maxFrameSize) else { throw .messageTooLarge(Int(clamping: extended)) }
            length = Int(extended)
            headerLength = 10
        }
        if opcode.isControlOpcode, !fin || length > 125 { throw .invalidControlFrame }
        guard length <= maxFrameSize else { throw .messageTooLarge(length) }
        guard buffer.readableBytes >= headerLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        // Present: the length was checked just above.
        let payload = buffer.readSlice(length: length) ?? ByteBuffer()
        return Frame(fin: fin, opcode: opcode, payload: payload)
    }

    private func handle(_ frame: Frame, context: ChannelHandlerContext) throws(Violation) {
        switch frame.opcode {
        case .text, .binary:
            guard fragmentOpcode == nil else { throw .unfinishedMessage }
            if frame.fin {
                deliver(frame.opcode, frame.payload)
            } else {
                fragmentOpcode = frame.opcode
                fragmentCount = 1
                fragments.removeAll(keepingCapacity: true)
                fragments.append(contentsOf: frame.payload.readableBytesView)
            }
        case .continuation:
            guard let opcode = fragmentOpcode else { throw .unexpectedContinuation }
            fragmentCount += 1
            guard fragmentCount <= Self.maxFragments else { throw .tooManyFragments }
            guard fragments.count + frame.payload.readableBytes <= maxMessageSize else {
                throw .messageTooLarge(fragments.count + frame.payload.readableBytes)
            }
            fragments.append(contentsOf: frame.payload.readableBytesView)
            if frame.fin {
                fragmentOpcode = nil
                if opcode == .text { chargePoint.received(fragments) } else { chargePoint.receivedBinaryFrame() }
                fragments = []
            }
        case .ping:
            var pong = context.channel.allocator.buffer(capacity: frame.payload.readableBytes + 6)
            frame.payload.withUnsafeReadableBytes {
                Self.writeFrame(opcode: .pong, payload: $0, mask: UInt32.random(in: .min ... .max), into: &pong)
            }
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if closeSent {
                context.close(promise: nil)
                return
            }
            var data = frame.payload
            sendClose(data.readWebSocketErrorCode() ?? .normalClosure, context: context)
        default:
            // Pongs, and the reserved opcodes that NIO's decoder let through as well.
            break
        }
    }

    private func deliver(_ opcode: WebSocketOpcode, _ payload: ByteBuffer) {
        if opcode == .text {
            chargePoint.received(Array(payload.readableBytesView))
        } else {
            // OCPP-J uses text frames only (OCPP-J 1.6 §4.1.1).
            chargePoint.receivedBinaryFrame()
        }
    }

    /// Answers (or starts) the close handshake with `code` and closes once it is written.
    private func sendClose(_ code: WebSocketErrorCode, context: ChannelHandlerContext) {
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: code)
        var frame = context.channel.allocator.buffer(capacity: 8)
        body.withUnsafeReadableBytes {
            Self.writeFrame(opcode: .connectionClose, payload: $0, mask: UInt32.random(in: .min ... .max), into: &frame)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// A frame the protocol forbids: the close code that says why (1002, or 1009 for a message too
    /// large, as NIO's protocol-error handler sent), then the connection ends.
    private func fail(_ violation: Violation, context: ChannelHandlerContext) {
        failed = true
        partial = nil
        fragments = []
        chargePoint.transportError(violation)
        if closeSent {
            context.close(promise: nil)
        } else {
            sendClose(violation.closeCode, context: context)
        }
    }
}

@available(*, unavailable)
extension OCPPWebSocketHandler: Sendable {}

/// The WebSocket upgrade of NIO (request key, `Sec-WebSocket-Accept` check) with our own pipeline
/// after it: `OCPPWebSocketHandler` alone, once the CSMS has chosen our subprotocol.
struct OCPPWebSocketUpgrader: NIOHTTPClientProtocolUpgrader {
    let handshake: NIOWebSocketClientUpgrader
    let subprotocol: String
    let maxMessageSize: Int
    let delegate: NIOLoopBound<any ConnectionDelegate>

    var supportedProtocol: String { handshake.supportedProtocol }
    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        handshake.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        handshake.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
    }

    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        let channel = context.channel
        let chosen = upgradeResponse.headers.first(name: "Sec-WebSocket-Protocol")
        guard chosen?.lowercased() == subprotocol.lowercased() else {
            delegate.value.connectFailed(.subprotocolRejected(offered: subprotocol, got: chosen))
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                OCPPWebSocketHandler(delegate: delegate.value, maxMessageSize: maxMessageSize))
        }
    }
}
