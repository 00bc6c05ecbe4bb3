import Crypto
import Foundation
import NIOCore

/// One end's part of the HTTP/1.1 upgrade that opens a WebSocket (RFC 6455 §4), run by
/// `OCPPWebSocketHandler` before its first frame: the handler writes what `request` gives when
/// the connection is up, parses the peer's head as it arrives and asks `decide` what to do with
/// it; errors before the WebSocket is open go to `failed`. The client sends its request and
/// checks the 101 answer; the server sends nothing first and answers the request.
/// Called on the channel's event loop.
public protocol WebSocketUpgrade: AnyObject {
    /// What this end sends as soon as the connection is up (the client's request), nil to wait
    /// for the peer (the server).
    func request(allocator: ByteBufferAllocator) -> ByteBuffer?
    /// The peer's whole head: open the WebSocket, or refuse it.
    func decide(_ head: HTTPHead, handler: OCPPWebSocketHandler, channel: any Channel) -> UpgradeDecision
    /// The peer's bytes are no HTTP head (`HTTPHeadParser.Failure`), or an error (TLS, I/O)
    /// arrived before the WebSocket opened: what to answer, if anything, before the connection
    /// is closed.
    func failed(_ error: any Error, channel: any Channel) -> ByteBuffer?
}

/// What `WebSocketUpgrade.decide` wants done with the peer's head.
public enum UpgradeDecision {
    /// The WebSocket is open: `response` (the server's 101) is written, then `delegate` hears
    /// `webSocketOpened` and every message after it.
    case open(response: ByteBuffer?, delegate: any WebSocketMessageDelegate)
    /// No WebSocket: `response` (the server's refusal) is written, then the connection closes.
    case refuse(response: ByteBuffer?)
}

/// The `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` of RFC 6455 §4.1 and §4.2.2, shared by
/// both ends.
public enum WebSocketKey {
    /// RFC 6455 §1.3: appended to the client's key before hashing.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The server's answer to `key`: base64(SHA-1(key + GUID)).
    public static func accept(for key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + guid).utf8))).base64EncodedString()
    }

    /// A fresh client key: 16 random bytes, base64 (RFC 6455 §4.1).
    public static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = generator.next() }
        return Data(bytes).base64EncodedString()
    }

    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// Whether `key` is what RFC 6455 §4.1 asks a client to send: 16 bytes, base64.
    public static func isValid(_ key: String) -> Bool {
        Data(base64Encoded: key)?.count == 16
    }
}

/// Builds an HTTP/1.1 head in one buffer: `start` line, each header, the empty line, then `body`.
public enum HTTPHeadWriter {
    public static func write(_ start: String, headers: [(String, String)], body: String = "",
                             allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256 + body.utf8.count)
        buffer.writeString(start)
        buffer.writeStaticString("\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        buffer.writeString(body)
        return buffer
    }
}
