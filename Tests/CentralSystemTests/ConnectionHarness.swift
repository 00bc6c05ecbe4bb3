@testable import CentralSystem
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

/// One charge point connection on an `EmbeddedChannel`: the real WebSocket handlers
/// (fragment aggregator and OCPP handler of the negotiated version) with text frames in and out.
struct ConnectionHarness {
    static let now = Timestamp(seconds: 1_764_120_000)
    static let logger = Logger(label: "csms-test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func shared(_ configuration: CentralSystemConfiguration = .init()) -> SharedState {
        var configuration = configuration
        configuration.clock = .fixed(now)
        return SharedState(configuration: configuration, loops: [], logger: logger)
    }

    let shared: SharedState
    let channel: EmbeddedChannel
    private var nextId = 0

    init(id: String = "CP-1", version: OCPPVersion = .v16, shared: SharedState = ConnectionHarness.shared()) throws {
        self.shared = shared
        self.channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        try CentralSystemServer.addWebSocketHandlers(to: channel, chargePointId: id, version: version, shared: shared)
    }

    var stats: CentralSystemStats { shared.stats }

    /// Feeds one text frame; returns the text frames written back.
    func send(_ text: String) throws -> [String] {
        try channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        return try written()
    }

    /// Every frame written so far, which must all be text.
    func written() throws -> [String] {
        var texts: [String] = []
        while let frame = try channel.readOutboundFrame() {
            #expect(frame.opcode == .text)
            texts.append(String(buffer: frame.unmaskedData))
        }
        return texts
    }

    /// Sends one text frame that must be answered with exactly one frame, and parses it.
    func exchange(_ text: String) throws -> Frame {
        let replies = try send(text)
        try #require(replies.count == 1, "expected one reply to \(text), got \(replies)")
        return try Frame.parse(replies[0])
    }

    /// Sends a typed CALL and decodes its CALLRESULT as the request's response type.
    mutating func call<Request: OCPPRequest>(_ request: Request) throws -> Request.Response {
        nextId += 1
        let id = "m\(nextId)"
        let bytes = Frame.encodeCall(id: id, action: Request.action, payload: request.encoded)
        let reply = try exchange(String(decoding: bytes, as: UTF8.self))
        guard case .callResult(let replyId, let payload) = reply else {
            Issue.record("\(Request.action) was answered with \(reply)")
            throw HarnessError.notACallResult
        }
        #expect(replyId == id)
        return try Request.Response(json: payload)
    }

    /// Sends a raw CALLERROR-expecting text and returns the (id, code) of the CALLERROR.
    func callError(_ text: String) throws -> (id: String, code: String) {
        let reply = try exchange(text)
        guard case .callError(let id, let code, _, let details) = reply else {
            Issue.record("\(text) was answered with \(reply)")
            throw HarnessError.notACallError
        }
        #expect(details == .object([]))
        return (id, code)
    }

    @discardableResult
    mutating func boot() throws -> V16.BootNotificationResponse {
        try call(V16.BootNotificationRequest(chargePointVendor: "ocpp-fleet", chargePointModel: "Sim"))
    }

    mutating func start(idTag: String = "TAG-1", connector: Int = 1, meterStart: Int = 100) throws -> V16.StartTransactionResponse {
        try call(V16.StartTransactionRequest(connectorId: connector, idTag: idTag, meterStart: meterStart,
                                             timestamp: Self.now))
    }

    enum HarnessError: Error { case notACallResult, notACallError }
}

extension EmbeddedChannel {
    /// Feeds `frame` as bytes on the wire: its `data` as it is, after a mask key when it has one
    /// (then `data` is already masked, as NIO's decoder hands a client's frame on).
    func writeInboundFrame(_ frame: WebSocketFrame) throws {
        var buffer = ByteBuffer()
        buffer.writeInteger((frame.fin ? 0x80 : 0) | UInt8(webSocketOpcode: frame.opcode))
        let maskBit: UInt8 = frame.maskKey == nil ? 0 : 0x80
        let count = frame.data.readableBytes
        if count < 126 {
            buffer.writeInteger(maskBit | UInt8(count))
        } else if count <= 65_535 {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(count))
        }
        if let key = frame.maskKey { buffer.writeBytes(key) }
        buffer.writeImmutableBuffer(frame.data)
        try writeInbound(buffer)
    }

    /// The next frame the server wrote, decoded (server frames are not masked); nil when none.
    func readOutboundFrame() throws -> WebSocketFrame? {
        guard var buffer = try readOutbound(as: ByteBuffer.self) else { return nil }
        let frame = try #require(try OCPPWebSocketHandler.nextFrame(&buffer, role: .client, maxFrameSize: Int(UInt32.max)),
                                 "a whole frame per write")
        #expect(buffer.readableBytes == 0, "one frame per write")
        return WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.payload)
    }
}
