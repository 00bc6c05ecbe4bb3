import NIOCore
import NIOWebSocket

/// Which end of the WebSocket a handler is (RFC 6455 §5.1): a client masks what it sends and
/// refuses masked frames; a server sends unmasked frames and unmasks what it receives.
public enum WebSocketRole: Sendable, Equatable {
    case client
    case server
}

/// What an open OCPP-J WebSocket reports to the side that owns it: the simulated charge point
/// (client) or the embedded CSMS's connection (server). Called on the channel's event loop.
public protocol WebSocketMessageDelegate: AnyObject {
    func webSocketOpened(channel: any Channel)
    /// One whole text message (an OCPP-J frame), unmasked and reassembled; the bytes are valid
    /// only during the call.
    func received(text: UnsafeRawBufferPointer)
    func receivedBinaryFrame()
    /// A ping, answered with a pong before this is called.
    func receivedPing()
    func webSocketClosed()
    func transportError(_ error: any Error)
}

extension WebSocketMessageDelegate {
    public func receivedPing() {}
}

/// Asks a connection to start the close handshake; sent through the pipeline from any thread
/// (`ChannelPipeline.fireUserInboundEventTriggered`). The handler waits its `closeGrace` for the
/// peer's close, then closes the socket anyway.
public struct WebSocketCloseRequest: Sendable, Equatable {
    public var code: WebSocketErrorCode
    public var reason: String

    public init(code: WebSocketErrorCode = .normalClosure, reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// An open OCPP-J WebSocket in one handler, for either end: RFC 6455 framing (decoding the peer's
/// frames, reassembling fragmented messages, masking ours on the client, unmasking the client's on
/// the server), pings answered, closes completed, and the text messages handed to the delegate as
/// bytes.
///
/// One handler instead of NIO's four (frame decoder, protocol-error handler, aggregator, the OCPP
/// handler) and its encoder: a message crosses no pipeline hop and is never boxed as a
/// `WebSocketFrame`. Made with a `WebSocketUpgrade`, it runs the HTTP/1.1 upgrade before too
/// (`HTTPHeadParser` on the bytes as they arrive, the upgrade deciding), so that a connection's
/// pipeline is this handler (behind TLS) from its first byte to its last: nothing is added or
/// removed when the WebSocket opens, and what the peer sent after its head is read as frames.
/// A frame that arrives whole (the usual case) is read (and on the server unmasked in place) straight out of the socket's buffer; a message is copied, masked on the
/// client, into the one buffer that also holds its header (`sendText`) and written from this
/// handler's context, past the pipeline. What is written while a read is handled is flushed once
/// at the end of that read.
public final class OCPPWebSocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    /// Control frames written through the channel (`WebSocketClose`, pings) are encoded here too.
    public typealias OutboundIn = WebSocketFrame
    public typealias OutboundOut = ByteBuffer

    /// What broke the WebSocket protocol (RFC 6455 §5), with the close code it is answered with.
    public enum Violation: Error, Equatable {
        case reservedBitsSet
        case maskedServerFrame
        case invalidControlFrame
        case unexpectedContinuation
        case unfinishedMessage
        case messageTooLarge(Int)
        case tooManyFragments

        public var closeCode: WebSocketErrorCode {
            switch self {
            case .messageTooLarge, .tooManyFragments: .messageTooLarge
            case .reservedBitsSet, .maskedServerFrame, .invalidControlFrame, .unexpectedContinuation,
                 .unfinishedMessage: .protocolError
            }
        }
    }

    /// Most fragments one message may arrive in by default (as `NIOWebSocketFrameAggregator`
    /// allowed the client before); the CSMS passes its own limit.
    public static let maxFragments = 64

    public let role: WebSocketRole
    /// Who hears the open WebSocket; nil until the upgrade (when there is one) opened it.
    private var delegate: (any WebSocketMessageDelegate)?
    /// The HTTP upgrade under way, and the peer's head as far as it arrived; nil once open.
    private var upgrade: (any WebSocketUpgrade)?
    private var headParser = HTTPHeadParser()
    /// Whether the connection being up was acted on (`connectionUp`).
    private var announced = false
    private let maxMessageSize: Int
    private let maxFragments: Int
    /// How long a close we start waits for the peer's answer before the socket is closed.
    private let closeGrace: TimeAmount
    private var context: ChannelHandlerContext?
    /// The start of a frame that has not arrived whole yet.
    private var partial: ByteBuffer?
    /// A fragmented message being reassembled: its opcode, bytes and fragment count.
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments: [UInt8] = []
    private var fragmentCount = 0
    /// Whether our close frame went out: no more pongs, and the peer's close ends the socket.
    public private(set) var closeSent = false
    /// After a protocol violation or a refused upgrade nothing more is read.
    private var failed = false
    /// Set while a read is handled: writes then wait for its end to be flushed together.
    private var reading = false
    private var flushPending = false

    /// A WebSocket that is open already (its upgrade done elsewhere): `delegate` hears
    /// `webSocketOpened` when the handler is added to an active channel, or when it becomes active.
    public convenience init(delegate: any WebSocketMessageDelegate, maxMessageSize: Int, role: WebSocketRole = .client,
                            maxFragments: Int = OCPPWebSocketHandler.maxFragments, closeGrace: TimeAmount = .zero) {
        self.init(opening: .open(delegate), maxMessageSize: maxMessageSize, role: role, maxFragments: maxFragments,
                  closeGrace: closeGrace, maxHeadSize: 0)
    }

    /// A connection that starts with the HTTP/1.1 upgrade `upgrade` runs (the peer's head at
    /// most `maxHeadSize` bytes); its decision names the delegate of the WebSocket.
    public convenience init(upgrade: any WebSocketUpgrade, maxMessageSize: Int, role: WebSocketRole = .client,
                            maxFragments: Int = OCPPWebSocketHandler.maxFragments, closeGrace: TimeAmount = .zero,
                            maxHeadSize: Int = HTTPHeadParser.defaultLimit) {
        self.init(opening: .upgrade(upgrade), maxMessageSize: maxMessageSize, role: role, maxFragments: maxFragments,
                  closeGrace: closeGrace, maxHeadSize: maxHeadSize)
    }

    /// How the WebSocket opens.
    private enum Opening {
        /// Open at once, for this delegate.
        case open(any WebSocketMessageDelegate)
        /// After this upgrade.
        case upgrade(any WebSocketUpgrade)
    }

    private init(opening: Opening, maxMessageSize: Int, role: WebSocketRole, maxFragments: Int,
                 closeGrace: TimeAmount, maxHeadSize: Int) {
        switch opening {
        case .open(let delegate): self.delegate = delegate
        case .upgrade(let upgrade): self.upgrade = upgrade
        }
        self.headParser = HTTPHeadParser(limit: maxHeadSize)
        self.maxMessageSize = maxMessageSize
        self.role = role
        self.maxFragments = maxFragments
        self.closeGrace = closeGrace
    }

    // MARK: lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { connectionUp(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        connectionUp(context: context)
        context.fireChannelActive()
    }

    /// The connection is up: the upgrade's request goes out, or the open WebSocket is announced.
    private func connectionUp(context: ChannelHandlerContext) {
        guard !announced else { return }
        announced = true
        if let upgrade {
            if let request = upgrade.request(allocator: context.channel.allocator) {
                context.writeAndFlush(wrapOutboundOut(request), promise: nil)
            }
        } else {
            delegate?.webSocketOpened(channel: context.channel)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // Before the upgrade opened the WebSocket there is none to close.
        delegate?.webSocketClosed()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let upgrade {
            if failed {
                context.close(promise: nil)
            } else {
                refuse(upgrade.failed(error, channel: context.channel), context: context)
            }
            return
        }
        delegate?.transportError(error)
        context.close(promise: nil)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let request = event as? WebSocketCloseRequest {
            if upgrade != nil {
                // No WebSocket yet to close with a close frame.
                context.close(promise: nil)
                return
            }
            startClose(code: request.code, reason: request.reason, grace: closeGrace)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: sending

    /// A mask key for a frame we send: a fresh one on the client, none on the server.
    private var controlMask: UInt32? { role == .client ? UInt32.random(in: .min ... .max) : nil }

    /// Sends one text message (a whole OCPP-J frame) as a single frame, header and payload in one
    /// buffer: masked with `mask` on the client (which must pass one), unmasked on the server.
    public func sendText(_ payload: [UInt8], mask: UInt32? = nil) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 14)
        payload.withUnsafeBytes {
            Self.writeFrame(opcode: .text, payload: $0, mask: role == .client ? mask ?? controlMask : nil, into: &buffer)
        }
        send(buffer, context: context)
    }

    /// Writes `buffer`; flushed now, or at the end of the read being handled.
    private func send(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if reading {
            context.write(wrapOutboundOut(buffer), promise: nil)
            flushPending = true
        } else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }

    /// A frame written through the pipeline (a close or a ping): encoded with its own mask key
    /// on the client, unmasked on the server.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        if frame.opcode == .connectionClose { closeSent = true }
        let mask: UInt32? = switch role {
        case .client: (frame.maskKey ?? .random()).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        case .server: nil
        }
        var payload = frame.data
        var buffer = context.channel.allocator.buffer(capacity: payload.readableBytes + 14)
        payload.readWithUnsafeReadableBytes { bytes in
            Self.writeFrame(opcode: frame.opcode, payload: bytes, mask: mask, into: &buffer)
            return bytes.count
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    /// RFC 6455 §5.2: FIN, opcode, the MASK bit with the 7, 7+16 or 7+64 bit length, the key, then
    /// the payload XORed with the key (§5.3), in network byte order; without a key, no MASK bit
    /// and the payload as it is (a server's frame).
    public static func writeFrame(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, mask: UInt32?,
                                  into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | UInt8(webSocketOpcode: opcode))
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        let count = payload.count
        if count < 126 {
            buffer.writeInteger(maskBit | UInt8(count))
        } else if count <= Int(UInt16.max) {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(count))
        }
        guard let mask else {
            buffer.writeBytes(payload)
            return
        }
        buffer.writeInteger(mask)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            Self.xor(payload, mask: mask, into: out)
            return count
        }
    }

    /// `out[i] = bytes[i] ^ key[i % 4]`, the key's bytes in network order (RFC 6455 §5.3); `out`
    /// may be `bytes` itself.
    static func xor(_ bytes: UnsafeRawBufferPointer, mask: UInt32, into out: UnsafeMutableRawBufferPointer) {
        let key = (UInt8(truncatingIfNeeded: mask >> 24), UInt8(truncatingIfNeeded: mask >> 16),
                   UInt8(truncatingIfNeeded: mask >> 8), UInt8(truncatingIfNeeded: mask))
        withUnsafeBytes(of: key) { key in
            for index in 0..<bytes.count { out[index] = bytes[index] ^ key[index & 3] }
        }
    }

    // MARK: receiving

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if var earlier = partial {
            partial = nil
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        reading = true
        defer {
            reading = false
            if flushPending {
                flushPending = false
                context.flush()
            }
        }
        if let upgrade {
            // The upgrade's head first; what follows it (frames) is read below once open.
            guard upgradeRead(&buffer, upgrade: upgrade, context: context) else { return }
        }
        do throws(Violation) {
            while let frame = try Self.nextFrame(&buffer, role: role, maxFrameSize: maxMessageSize) {
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

    /// Parses the peer's head off `buffer` and acts on the upgrade's decision; true when the
    /// WebSocket is now open and the rest of `buffer` is frames.
    private func upgradeRead(_ buffer: inout ByteBuffer, upgrade: any WebSocketUpgrade,
                             context: ChannelHandlerContext) -> Bool {
        let head: HTTPHead
        do throws(HTTPHeadParser.Failure) {
            guard let parsed = try headParser.parse(&buffer) else { return false }
            head = parsed
        } catch {
            refuse(upgrade.failed(error, channel: context.channel), context: context)
            return false
        }
        switch upgrade.decide(head, handler: self, channel: context.channel) {
        case .open(let response, let delegate):
            self.upgrade = nil
            self.delegate = delegate
            if let response { send(response, context: context) }
            delegate.webSocketOpened(channel: context.channel)
            return context.channel.isActive
        case .refuse(let response):
            refuse(response, context: context)
            return false
        }
    }

    /// Ends a connection whose upgrade failed: `response` (if any) goes out, then it closes.
    private func refuse(_ response: ByteBuffer?, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        partial = nil
        guard let response else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(response)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// One frame as it arrived: header fields and its payload, unmasked.
    public struct Frame {
        public var fin: Bool
        public var opcode: WebSocketOpcode
        public var payload: ByteBuffer
    }

    /// Reads one whole frame off the front of `buffer`, or nil (and nothing consumed) when it has
    /// not arrived whole; a masked payload is unmasked in place. Throws on what RFC 6455 §5.2 and
    /// §5.5 forbid the peer to send. The server also takes unmasked frames, as NIO's decoder did.
    public static func nextFrame(_ buffer: inout ByteBuffer, role: WebSocketRole = .client,
                                 maxFrameSize: Int) throws(Violation) -> Frame? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self),
              let second = buffer.getInteger(at: start + 1, as: UInt8.self) else { return nil }
        guard first & 0x70 == 0 else { throw .reservedBitsSet }
        let masked = second & 0x80 != 0
        if masked, role == .client { throw .maskedServerFrame }
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
        var mask: UInt32?
        if masked {
            guard let key = buffer.getInteger(at: start + headerLength, as: UInt32.self) else { return nil }
            mask = key
            headerLength += 4
        }
        guard buffer.readableBytes >= headerLength + length else { return nil }
        if let mask, length > 0 {
            buffer.withUnsafeMutableReadableBytes { bytes in
                let payload = UnsafeMutableRawBufferPointer(rebasing: bytes[headerLength..<headerLength + length])
                xor(UnsafeRawBufferPointer(payload), mask: mask, into: payload)
            }
        }
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
            guard fragmentCount <= maxFragments else { throw .tooManyFragments }
            guard fragments.count + frame.payload.readableBytes <= maxMessageSize else {
                throw .messageTooLarge(fragments.count + frame.payload.readableBytes)
            }
            fragments.append(contentsOf: frame.payload.readableBytesView)
            if frame.fin {
                fragmentOpcode = nil
                let message = fragments
                fragments = []
                if opcode == .text {
                    message.withUnsafeBytes { delegate?.received(text: $0) }
                } else {
                    delegate?.receivedBinaryFrame()
                }
            }
        case .ping:
            guard !closeSent else { return }
            var pong = context.channel.allocator.buffer(capacity: frame.payload.readableBytes + 6)
            frame.payload.withUnsafeReadableBytes {
                Self.writeFrame(opcode: .pong, payload: $0, mask: controlMask, into: &pong)
            }
            send(pong, context: context)
            delegate?.receivedPing()
        case .connectionClose:
            if closeSent {
                // The peer answered our close (RFC 6455 §5.5.1).
                context.close(promise: nil)
                return
            }
            // Echo the peer's status code, then close (RFC 6455 §5.5.1).
            var data = frame.payload
            sendClose(data.readWebSocketErrorCode() ?? .normalClosure, context: context)
        default:
            // Pongs, and the reserved opcodes that NIO's decoder let through as well.
            break
        }
    }

    private func deliver(_ opcode: WebSocketOpcode, _ payload: ByteBuffer) {
        if opcode == .text {
            payload.withUnsafeReadableBytes { delegate?.received(text: $0) }
        } else {
            // OCPP-J uses text frames only (OCPP-J 1.6 §4.1.1).
            delegate?.receivedBinaryFrame()
        }
    }

    /// Starts the close handshake with `code` and `reason`: the socket closes when the peer
    /// answers, or after `grace` (at once when zero) without an answer. Nothing when our close
    /// already went out.
    public func startClose(code: WebSocketErrorCode, reason: String = "", grace: TimeAmount) {
        guard let context, !closeSent, !failed else { return }
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        body.write(webSocketErrorCode: code)
        body.writeString(reason)
        var frame = context.channel.allocator.buffer(capacity: body.readableBytes + 14)
        body.withUnsafeReadableBytes {
            Self.writeFrame(opcode: .connectionClose, payload: $0, mask: controlMask, into: &frame)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { result in
            guard case .success = result, grace > .zero else {
                channel.close(promise: nil)
                return
            }
            let backstop = channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
            channel.closeFuture.whenComplete { _ in backstop.cancel() }
        }
    }

    /// Answers (or starts) the close handshake with `code` and closes once it is written.
    private func sendClose(_ code: WebSocketErrorCode, context: ChannelHandlerContext) {
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: code)
        var frame = context.channel.allocator.buffer(capacity: 8)
        body.withUnsafeReadableBytes {
            Self.writeFrame(opcode: .connectionClose, payload: $0, mask: controlMask, into: &frame)
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
        delegate?.transportError(violation)
        if closeSent {
            context.close(promise: nil)
        } else {
            sendClose(violation.closeCode, context: context)
        }
    }
}

@available(*, unavailable)
extension OCPPWebSocketHandler: Sendable {}
