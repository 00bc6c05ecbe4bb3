import NIOCore

/// The head of an HTTP/1.1 request or response (RFC 9112 §2-§5): the start line and the header
/// fields, names lower-cased. All a WebSocket upgrade (RFC 6455 §4) needs of HTTP: neither end
/// reads a body before the connection becomes a WebSocket or is closed.
public struct HTTPHead: Equatable, Sendable {
    /// The first line: `GET /ocpp/CP-1 HTTP/1.1` or `HTTP/1.1 101 Switching Protocols`.
    public enum StartLine: Equatable, Sendable {
        case request(method: String, uri: String)
        case response(status: Int, reason: String)
    }

    /// One header field; `name` lower-cased (names are case-insensitive, RFC 9110 §5.1).
    public struct Field: Equatable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name.lowercased()
            self.value = value
        }
    }

    public var startLine: StartLine
    /// In the order they arrived; a name may repeat.
    public var fields: [Field]

    public init(_ startLine: StartLine, fields: [Field]) {
        self.startLine = startLine
        self.fields = fields
    }

    /// A request head with `(name, value)` pairs, for tests and callers that build one.
    public init(method: String = "GET", uri: String, headers: [(String, String)]) {
        self.init(.request(method: method, uri: uri), fields: headers.map { Field(name: $0.0, value: $0.1) })
    }

    public var method: String? {
        if case .request(let method, _) = startLine { method } else { nil }
    }

    public var uri: String? {
        if case .request(_, let uri) = startLine { uri } else { nil }
    }

    public var status: Int? {
        if case .response(let status, _) = startLine { status } else { nil }
    }

    /// Every value of the header `name` (any case), in order.
    public func values(_ name: String) -> [String] {
        let name = name.lowercased()
        return fields.compactMap { $0.name == name ? $0.value : nil }
    }

    /// The first value of the header `name` (any case).
    public func first(_ name: String) -> String? {
        let name = name.lowercased()
        return fields.first { $0.name == name }?.value
    }

    /// The comma-separated elements of every `name` header, trimmed, empty ones dropped
    /// (RFC 9110 §5.6.1): `Connection: keep-alive, Upgrade` is `["keep-alive", "Upgrade"]`.
    public func tokens(_ name: String) -> [Substring] {
        values(name).flatMap { value in
            value.split(separator: ",").map { $0.trimmingHTTPWhitespace() }.filter { !$0.isEmpty }
        }
    }

    /// Whether a `name` header lists `token`, compared without case (`Connection: upgrade`).
    public func contains(_ name: String, token: String) -> Bool {
        tokens(name).contains { $0.lowercased() == token.lowercased() }
    }
}

/// Reads an HTTP/1.1 head off the front of the bytes as they arrive, however they are split
/// (one byte per read included), up to `limit` bytes; what follows the head (the peer's first
/// WebSocket frames) stays in the buffer. Lines end in CRLF, or LF alone (RFC 9112 §2.2 lets a
/// recipient accept that); a field line folded onto the next (obs-fold, §5.2) is joined with a
/// space.
public struct HTTPHeadParser {
    /// Why the bytes are not an HTTP head; the text says what was wrong.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case tooLarge(limit: Int)
        case malformed(String)

        public var description: String {
            switch self {
            case .tooLarge(let limit): "the HTTP head is larger than \(limit) bytes"
            case .malformed(let what): "malformed HTTP head: \(what)"
            }
        }
    }

    /// Requests and responses of a WebSocket upgrade are a few hundred bytes.
    public static let defaultLimit = 8192

    public let limit: Int
    /// The head's bytes read so far, when it did not arrive in one piece.
    private var pending: [UInt8] = []
    /// How much of the empty line that ends the head the last bytes were: 1 after LF, 2 after LF CR.
    private var endMatch = 0

    public init(limit: Int = HTTPHeadParser.defaultLimit) {
        self.limit = limit
    }

    /// The head once its empty line has arrived (read off `buffer`, which keeps what follows),
    /// nil while it has not (what arrived is kept here and read off `buffer`).
    public mutating func parse(_ buffer: inout ByteBuffer) throws(Failure) -> HTTPHead? {
        let view = buffer.readableBytesView
        var length = 0
        var complete = false
        for byte in view {
            length += 1
            if scanEnd(byte) {
                complete = true
                break
            }
        }
        guard pending.count + length <= limit else { throw .tooLarge(limit: limit) }
        guard complete else {
            pending.append(contentsOf: view)
            buffer.moveReaderIndex(forwardBy: length)
            return nil
        }
        defer { buffer.moveReaderIndex(forwardBy: length) }
        guard pending.isEmpty else {
            // Arrived in pieces.
            pending.append(contentsOf: view.prefix(length))
            defer { pending = [] }
            return try pending.withUnsafeBytes { Self.parseHead($0) }.get()
        }
        // The usual case: read where it lies.
        return try buffer.withUnsafeReadableBytes { Self.parseHead(UnsafeRawBufferPointer(rebasing: $0[..<length])) }.get()
    }

    /// Advances the end-of-head match by one byte; true at the LF of the empty line.
    private mutating func scanEnd(_ byte: UInt8) -> Bool {
        switch (byte, endMatch) {
        case (UInt8(ascii: "\n"), 0): endMatch = 1
        case (UInt8(ascii: "\r"), 1): endMatch = 2
        case (UInt8(ascii: "\n"), _): return true
        case (UInt8(ascii: "\r"), 0): break
        default: endMatch = 0
        }
        return false
    }

    private static func parseHead(_ bytes: UnsafeRawBufferPointer) -> Result<HTTPHead, Failure> {
        Result { () throws(Failure) in try head(from: bytes) }
    }

    /// The head in `bytes`, which end with its empty line. Read as bytes, not Characters (to
    /// Swift "\r\n" is one Character, and walking Characters costs grapheme breaking); only names
    /// and values become Strings.
    static func head(from bytes: UnsafeRawBufferPointer) throws(Failure) -> HTTPHead {
        var lines: [Range<Int>] = []
        var start = 0
        for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
            let end = index > start && bytes[index - 1] == UInt8(ascii: "\r") ? index - 1 : index
            lines.append(start..<end)
            start = index + 1
        }
        // The last line is the empty one that ends the head.
        lines.removeLast()
        guard let first = lines.first, !first.isEmpty else { throw .malformed("no start line") }
        let startLine = try Self.startLine(bytes[first])
        var fields: [HTTPHead.Field] = []
        for range in lines.dropFirst() {
            let line = bytes[range]
            if isBlank(line[range.lowerBound]) {
                guard !fields.isEmpty else { throw .malformed("a folded line before any header field") }
                let continued = trimmed(line)
                if !continued.isEmpty { fields[fields.count - 1].value += " " + String(decoding: continued, as: UTF8.self) }
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .malformed("a header line without ':'") }
            let name = line[..<colon]
            // RFC 9112 §5.1: no whitespace between the name and the colon.
            guard !name.isEmpty, !name.contains(where: isBlank) else {
                throw .malformed("header name '\(String(decoding: name, as: UTF8.self))'")
            }
            fields.append(HTTPHead.Field(name: String(decoding: name, as: UTF8.self),
                                         value: String(decoding: trimmed(line[(colon + 1)...]), as: UTF8.self)))
        }
        return HTTPHead(startLine, fields: fields)
    }

    private typealias Bytes = Slice<UnsafeRawBufferPointer>

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
    private static func trimmed(_ bytes: Bytes) -> Bytes {
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) })
        else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    /// `METHOD SP target SP HTTP/1.x` or `HTTP/1.x SP status SP reason` (the reason may be empty
    /// or hold spaces).
    private static func startLine(_ line: Bytes) throws(Failure) -> HTTPHead.StartLine {
        let space = UInt8(ascii: " ")
        let firstEnd = line.firstIndex(of: space) ?? line.endIndex
        let first = line[..<firstEnd]
        let rest = firstEnd < line.endIndex ? line[(firstEnd + 1)...] : line[line.endIndex...]
        let secondEnd = rest.firstIndex(of: space)
        let second = rest[..<(secondEnd ?? rest.endIndex)]
        let third = secondEnd.map { rest[($0 + 1)...] }
        let version = "HTTP/1.".utf8
        if first.starts(with: "HTTP/".utf8) {
            guard first.starts(with: version), firstEnd < line.endIndex, second.count == 3,
                  second.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let status = Int(String(decoding: second, as: UTF8.self)) else {
                throw .malformed("status line '\(String(decoding: line, as: UTF8.self))'")
            }
            return .response(status: status, reason: third.map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
        guard let third, third.starts(with: version), !first.isEmpty, !second.isEmpty else {
            throw .malformed("request line '\(String(decoding: line, as: UTF8.self))'")
        }
        return .request(method: String(decoding: first, as: UTF8.self), uri: String(decoding: second, as: UTF8.self))
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
    func trimmingHTTPWhitespace() -> SubSequence {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[start...last]
    }
}
