/// A frame as text fit to keep in a report or a trace: secrets removed, optionally shortened.
///
/// What counts as a secret in an OCPP 1.6J frame: the value of any member whose name mentions
/// `password`, `authorization` (a Basic-auth header, `authorizationKey`) or `secret`, and the
/// `value` of a `{"key": "AuthorizationKey", "value": …}` pair (ChangeConfiguration, the
/// Security Whitepaper's Basic-auth password). Each becomes ``Secret/redacted``. A frame that is
/// not JSON cannot be walked: it is cut just after the first word that names a secret.
public enum FrameExcerpt {
    /// The frame's text with secrets replaced, cut to at most `limit` bytes of UTF-8 (on a
    /// character boundary, `…` appended) when `limit` is given.
    public static func redacted(_ bytes: [UInt8], limit: Int? = nil) -> String {
        var text: String
        if let json = try? JSONParser.parse(bytes) {
            text = redact(json).text
        } else {
            text = String(decoding: bytes, as: UTF8.self)
            if let marker = firstMarker(in: text) {
                text = String(text[..<marker]) + Secret.redacted
            }
        }
        guard let limit, text.utf8.count > limit else { return text }
        var cut = Array(text.utf8.prefix(max(0, limit)))
        // Drop a character cut in half: its continuation bytes, then its lead byte.
        while let last = cut.last, last & 0xC0 == 0x80 { cut.removeLast() }
        if let last = cut.last, last >= 0xC0 { cut.removeLast() }
        return String(decoding: cut, as: UTF8.self) + "…"
    }

    static let markers = ["password", "authorization", "secret"]

    static func isSensitive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return markers.contains { lower.firstRange(of: $0) != nil }
    }

    /// The end of the first marker word in `text` (case-insensitive).
    static func firstMarker(in text: String) -> String.Index? {
        let lower = text.lowercased()
        guard lower.utf8.count == text.utf8.count else {
            // Lower-casing changed the length: do not map indices, keep nothing past the start.
            return markers.contains(where: { lower.firstRange(of: $0) != nil }) ? text.startIndex : nil
        }
        var best: Int?
        for marker in markers {
            if let range = lower.firstRange(of: marker) {
                let end = lower.utf8.distance(from: lower.startIndex, to: range.upperBound)
                best = min(best ?? end, end)
            }
        }
        return best.map { text.utf8.index(text.startIndex, offsetBy: $0) }
    }

    static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let elements):
            return .array(elements.map(redact))
        case .object(let members):
            let keyNamesSecret: Bool = {
                if case .string(let name)? = value["key"] { return isSensitive(name) }
                return false
            }()
            return .object(members.map { member -> (key: String, value: JSONValue) in
                if isSensitive(member.key) || (keyNamesSecret && member.key == "value") {
                    return (member.key, .string(Secret.redacted))
                }
                return (member.key, redact(member.value))
            })
        case .null, .bool, .integer, .number, .string:
            return value
        }
    }
}
