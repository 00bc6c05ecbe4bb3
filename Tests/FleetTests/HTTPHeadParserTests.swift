import NIOCore
import OCPPWebSocket
import Testing

@Suite("HTTP head parser and Sec-WebSocket-Accept (the upgrade both ends run)")
struct HTTPHeadParserTests {
    static let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"

    /// Feeds `text` in pieces of the given sizes (the last repeats); returns the head and what
    /// the parser left in the buffer after it.
    func parse(_ text: String, pieces: Int) throws -> (HTTPHead?, [UInt8]) {
        var parser = HTTPHeadParser()
        let bytes = Array(text.utf8)
        var offset = 0
        var buffer = ByteBuffer()
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieces)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            if let head = try parser.parse(&buffer) {
                buffer.writeBytes(bytes[offset...])
                return (head, Array(buffer.readableBytesView))
            }
        }
        return (nil, Array(buffer.readableBytesView))
    }

    @Test("A response split at every byte, or arriving whole, parses the same; the bytes after it stay in the buffer",
          arguments: [1, 2, 3, 7, 50, 1000])
    func splitAnywhere(pieces: Int) throws {
        let (head, rest) = try parse(Self.response + "\u{81}\u{02}hi", pieces: pieces)
        let parsed = try #require(head)
        #expect(parsed.startLine == .response(status: 101, reason: "Switching Protocols"))
        #expect(parsed.first("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(parsed.fields.count == 4)
        #expect(rest == Array("\u{81}\u{02}hi".utf8))
    }

    @Test("Every split point of a request gives the same head as the whole request")
    func everySplitPoint() throws {
        let request = "GET /ocpp/CP-1 HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
        let whole = try #require(try parse(request, pieces: request.utf8.count).0)
        let bytes = Array(request.utf8)
        for split in 1..<bytes.count {
            var parser = HTTPHeadParser()
            var first = ByteBuffer(bytes: bytes[..<split])
            let early = try parser.parse(&first)
            #expect(early == nil && first.readableBytes == 0)
            var second = ByteBuffer(bytes: bytes[split...])
            let head = try parser.parse(&second)
            #expect(head == whole, "split at \(split)")
        }
        #expect(whole.method == "GET" && whole.uri == "/ocpp/CP-1")
    }

    @Test("Names are case-insensitive, values trimmed, tokens split at commas, repeated headers all kept")
    func headerForms() throws {
        let text = "GET / HTTP/1.1\r\nconnection:keep-alive,  Upgrade \r\nUPGRADE: WebSocket\r\n"
            + "sec-websocket-protocol: ocpp2.0.1, ,ocpp1.6\r\nSec-WebSocket-Protocol:\tocpp2.0\r\n\r\n"
        let head = try #require(try parse(text, pieces: 5).0)
        #expect(head.contains("Connection", token: "upgrade"))
        #expect(head.contains("Upgrade", token: "websocket"))
        #expect(head.tokens("Sec-WebSocket-Protocol") == ["ocpp2.0.1", "ocpp1.6", "ocpp2.0"])
        #expect(head.values("SEC-WEBSOCKET-PROTOCOL") == ["ocpp2.0.1, ,ocpp1.6", "ocpp2.0"])
        #expect(head.first("connection") == "keep-alive,  Upgrade")
        #expect(!head.contains("Connection", token: "close"))
    }

    @Test("Folded lines are joined with a space; bare LF line ends are accepted; an empty reason is one")
    func oddWhitespace() throws {
        let folded = try #require(try parse("GET / HTTP/1.1\r\nX-Long: one\r\n  two\r\n\tthree\r\nHost: h\r\n\r\n", pieces: 3).0)
        #expect(folded.first("x-long") == "one two three")
        #expect(folded.first("host") == "h")
        let bare = try #require(try parse("HTTP/1.1 404\nContent-Length: 0\n\n", pieces: 1).0)
        #expect(bare.startLine == .response(status: 404, reason: ""))
        #expect(bare.first("content-length") == "0")
    }

    @Test("A head past the limit fails cleanly, whether it arrives whole or a byte at a time", arguments: [1, 100_000])
    func tooLarge(pieces: Int) {
        let text = "GET / HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 9000) + "\r\n\r\n"
        #expect(throws: HTTPHeadParser.Failure.tooLarge(limit: 8192)) { try parse(text, pieces: pieces) }
    }

    @Test("Garbage is malformed: no HTTP version, a header without colon, space before the colon, a bad status",
          arguments: ["hello\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
                      "HTTP/1.1 abc OK\r\n\r\n", "GET /\r\n\r\n", "\r\n\r\n", "GET / HTTP/1.1\r\n folded-first\r\n\r\n"])
    func malformed(text: String) {
        let error = #expect(throws: HTTPHeadParser.Failure.self) { try parse(text, pieces: 4) }
        if case .tooLarge = error { Issue.record("\(text.debugDescription) is not too large") }
    }

    @Test("Sec-WebSocket-Accept of RFC 6455 §1.3's sample key; keys are 16 random bytes in base64")
    func acceptValue() {
        #expect(WebSocketKey.accept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let key = WebSocketKey.random()
        #expect(WebSocketKey.isValid(key) && key != WebSocketKey.random())
        #expect(!WebSocketKey.isValid("c2hvcnQ="))  // "short"
        #expect(!WebSocketKey.isValid("not base64!"))
    }
}
