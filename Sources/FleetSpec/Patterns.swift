import Foundation

/// Parses a duration as written in a fleet spec or on the command line.
///
/// Accepts a non-negative integer of seconds (`"90"`) or one or more `<integer><unit>` parts with
/// units `h`, `m`, `s`, `ms` in that order, each at most once (`"1h30m"`, `"40s"`, `"1s500ms"`).
/// Surrounding whitespace is ignored. Returns `nil` for anything else, including signs, fractions
/// and values past about 292 million years.
public func parseDuration(_ text: String) -> Duration? {
    let units: [(suffix: String, milliseconds: Int64)] = [("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1_000)]
    let rank = ["h": 0, "m": 1, "s": 2, "ms": 3]
    var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
    guard !rest.isEmpty else { return nil }
    if rest.allSatisfy(\.isASCIIDigit) {
        return Int64(rest).map { .seconds($0) }
    }
    var total: Int64 = 0
    var lastRank = -1
    while !rest.isEmpty {
        let digits = rest.prefix(while: \.isASCIIDigit)
        guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
        rest = rest.dropFirst(digits.count)
        guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }),
              let unitRank = rank[unit.suffix], unitRank > lastRank
        else { return nil }
        rest = rest.dropFirst(unit.suffix.count)
        lastRank = unitRank
        let (scaled, overflow1) = amount.multipliedReportingOverflow(by: unit.milliseconds)
        let (sum, overflow2) = total.addingReportingOverflow(scaled)
        guard !overflow1, !overflow2 else { return nil }
        total = sum
    }
    return .milliseconds(total)
}

/// Formats a duration the way `parseDuration` reads it: `"1h30m"`, `"40s"`, `"500ms"`, `"0s"`.
/// Sub-millisecond parts are dropped.
public func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 else { return "-" + formatDuration(.zero - duration) }
    let parts: [(Int64, String)] = [
        (seconds / 3600, "h"), (seconds / 60 % 60, "m"), (seconds % 60, "s"),
        (attoseconds / 1_000_000_000_000_000, "ms"),
    ]
    let text = parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined()
    return text.isEmpty ? "0s" : text
}

/// Formats an id pattern: `{index}` becomes the decimal index, `{index:0N}` the index zero-padded
/// to at least N digits; other text is copied. `"CP-{index:05}"` with 7 gives `"CP-00007"`.
/// Text that is not a valid placeholder is copied as is (spec validation rejects it earlier).
public func formatPattern(_ pattern: String, index: Int) -> String {
    IndexPattern(pattern).format(index: index)
}

/// An id pattern parsed once, for code that formats it again and again (a driver's idTag at each
/// session: parsing it each time was 2.5 % of a busy fleet's CPU). Formats as `formatPattern`.
public struct IndexPattern: Sendable, Equatable {
    private let pieces: [IDPattern.Piece]?
    private let pattern: String

    public init(_ pattern: String) {
        self.pattern = pattern
        if case .success(let pieces) = IDPattern.parse(pattern) { self.pieces = pieces } else { self.pieces = nil }
    }

    public func format(index: Int) -> String {
        guard let pieces else { return pattern.replacingOccurrences(of: "{index}", with: String(index)) }
        return IDPattern.format(pieces, index: index)
    }
}

/// Expands a file path pattern for one charge point: `{id}` becomes the charge point id,
/// `{index}` and `{index:0N}` its index as in ``formatPattern(_:index:)``; other text is copied.
/// `"certs/{id}.pem"` with id `CP-7` gives `"certs/CP-7.pem"`. A path without placeholders is
/// one file for every charge point.
public func expandPathPattern(_ pattern: String, id: String, index: Int) -> String {
    switch PathPattern.parse(pattern) {
    case .success(let pieces):
        return PathPattern.format(pieces, id: id, index: index)
    case .failure:
        return pattern.replacingOccurrences(of: "{id}", with: id)
    }
}

/// Whether a file path pattern has a placeholder, so that it names a file per charge point.
public func isPerChargePointPath(_ pattern: String) -> Bool {
    guard case .success(let pieces) = PathPattern.parse(pattern) else { return false }
    return pieces.contains { if case .literal = $0 { false } else { true } }
}

/// File path patterns (TLS client certificates and keys): the id pattern's placeholders plus
/// `{id}`, and no placeholder at all is allowed.
enum PathPattern {
    enum Piece: Equatable {
        case literal(String)
        case id
        case index(width: Int)
    }

    static func parse(_ pattern: String) -> Result<[Piece], IDPattern.Problem> {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(pattern)
        while let char = rest.first {
            if char == "}" { return .failure(IDPattern.Problem("has '}' without a matching '{'")) }
            guard char == "{" else {
                literal.append(char)
                rest = rest.dropFirst()
                continue
            }
            guard let close = rest.firstIndex(of: "}") else {
                return .failure(IDPattern.Problem("has '{' without a closing '}'"))
            }
            let body = rest[rest.index(after: rest.startIndex)..<close]
            let piece: Piece
            if body == "id" {
                piece = .id
            } else if let width = IDPattern.placeholderWidth(body) {
                guard (0...IDPattern.maxWidth).contains(width) else {
                    return .failure(IDPattern.Problem("pads to \(width) digits in '{\(body)}'; the most is \(IDPattern.maxWidth)"))
                }
                piece = .index(width: width)
            } else {
                return .failure(IDPattern.Problem("has unknown placeholder '{\(body)}'; use {id}, {index} or {index:0N}"))
            }
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
            pieces.append(piece)
            rest = rest[rest.index(after: close)...]
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return .success(pieces)
    }

    static func format(_ pieces: [Piece], id: String, index: Int) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .id: out += id
            case .index(let width): out += IDPattern.format([.index(width: width)], index: index)
            }
        }
        return out
    }
}

/// The parsed form of an id pattern, and the checks the spec applies to it.
enum IDPattern {
    enum Piece: Equatable, Sendable {
        case literal(String)
        case index(width: Int)
    }

    /// The widest zero padding a placeholder may ask for.
    static let maxWidth = 20

    static func parse(_ pattern: String) -> Result<[Piece], Problem> {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(pattern)
        while let char = rest.first {
            if char == "}" { return .failure(Problem("has '}' without a matching '{'")) }
            guard char == "{" else {
                literal.append(char)
                rest = rest.dropFirst()
                continue
            }
            guard let close = rest.firstIndex(of: "}") else { return .failure(Problem("has '{' without a closing '}'")) }
            let body = rest[rest.index(after: rest.startIndex)..<close]
            guard let width = placeholderWidth(body) else {
                return .failure(Problem("has unknown placeholder '{\(body)}'; use {index} or {index:0N}"))
            }
            guard (0...maxWidth).contains(width) else {
                return .failure(Problem("pads to \(width) digits in '{\(body)}'; the most is \(maxWidth)"))
            }
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
            pieces.append(.index(width: width))
            rest = rest[rest.index(after: close)...]
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        guard pieces.contains(where: { if case .index = $0 { true } else { false } }) else {
            return .failure(Problem("must contain {index} or {index:0N}"))
        }
        return .success(pieces)
    }

    /// `index` → 0, `index:0N` → N; `nil` for anything else.
    static func placeholderWidth(_ body: Substring) -> Int? {
        if body == "index" { return 0 }
        guard body.hasPrefix("index:0") else { return nil }
        let digits = body.dropFirst("index:0".count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(digits) ?? Int.max
    }

    static func format(_ pieces: [Piece], index: Int) -> String {
        var out = ""
        out.reserveCapacity(32)
        for piece in pieces {
            switch piece {
            case .literal(let text):
                out += text
            case .index(let width):
                let digits = String(index)
                if digits.utf8.count < width { out += String(repeating: "0", count: width - digits.utf8.count) }
                out += digits
            }
        }
        return out
    }

    /// The literal text before and after the only placeholder; `nil` when there are several.
    static func frame(_ pieces: [Piece]) -> (prefix: String, suffix: String)? {
        guard let placeholder = pieces.firstIndex(where: { if case .index = $0 { true } else { false } }),
              pieces.lastIndex(where: { if case .index = $0 { true } else { false } }) == placeholder
        else { return nil }
        func text(_ slice: ArraySlice<Piece>) -> String {
            slice.map { if case .literal(let text) = $0 { text } else { "" } }.joined()
        }
        return (text(pieces[..<placeholder]), text(pieces[(placeholder + 1)...]))
    }

    /// Whether two patterns (or one with itself) might give the same id for two different indices.
    ///
    /// One placeholder in a fixed frame is injective: the digits, read as a number, give the index
    /// back whatever the padding, so the same frame never collides. Different frames can only meet
    /// when one prefix starts the other and one suffix ends the other. Patterns with several
    /// placeholders are assumed to collide, and get checked id by id.
    static func mayCollide(_ lhs: [Piece], _ rhs: [Piece]) -> Bool {
        guard let left = frame(lhs), let right = frame(rhs) else { return true }
        if left == right { return false }
        let prefixes = left.prefix.hasPrefix(right.prefix) || right.prefix.hasPrefix(left.prefix)
        let suffixes = left.suffix.hasSuffix(right.suffix) || right.suffix.hasSuffix(left.suffix)
        return prefixes && suffixes
    }

    /// Literal characters a pattern uses that `allowed` rejects, in order of first use.
    static func disallowedCharacters(_ pieces: [Piece], allowed: (Character) -> Bool) -> [Character] {
        var seen: [Character] = []
        for case .literal(let text) in pieces {
            for char in text where !allowed(char) && !seen.contains(char) { seen.append(char) }
        }
        return seen
    }

    /// Characters a charge point id may hold so that it is one safe URL path segment.
    static func isChargePointIDCharacter(_ char: Character) -> Bool {
        char.isASCIILetterOrDigit || "-_.~:".contains(char)
    }

    /// Characters an idTag may hold: printable ASCII.
    static func isIdTagCharacter(_ char: Character) -> Bool {
        guard let ascii = char.asciiValue else { return false }
        return (0x21...0x7E).contains(ascii)
    }

    struct Problem: Error, Equatable {
        var message: String
        init(_ message: String) { self.message = message }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}
