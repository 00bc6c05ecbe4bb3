import OCPP

// Shared by the seeded frame fuzz tests of the charge point and of the embedded CSMS.


/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): 64 bits of state, the same sequence on every platform and toolchain.
public struct SplitMix64 {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (the modulo bias does not matter here).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Turns a valid OCPP-J frame into a damaged one: structural changes on the parsed JSON
/// (wrong types, missing and extra members, message type ids, unique ids, huge numbers,
/// deep nesting, long strings, nulls), then byte damage (flips, truncation, insertions of
/// random bytes, UTF-8 garbage and invalid UTF-8). One frame in eight passes unchanged.
public struct FrameMutator {
    public var random: SplitMix64
    /// The mutations applied to the last frame, for failure messages.
    public private(set) var applied: [String] = []
    private var recentIds: [String] = []
    /// JSON text that `JSONValue` cannot hold (1e999, -0, 2^63, deep nesting), put in place
    /// of marker strings after encoding.
    private var literals: [String] = []

    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    public mutating func mutate(_ frame: JSONValue) -> [UInt8] {
        applied = []
        literals = []
        if case .array(let elements) = frame, elements.count > 1, case .string(let id) = elements[1] {
            recentIds.append(id)
            if recentIds.count > 32 { recentIds.removeFirst() }
        }
        // Mostly one change, so that a frame often stays readable enough to reach the decoders.
        let roll = random.below(100)
        var json = frame
        switch roll {
        case ..<10: applied = ["unchanged"]
        case ..<50: mutateTree(&json)
        case ..<65: for _ in 0...1 + random.below(2) { mutateTree(&json) }
        case ..<80: mutateTree(&json)
        default: break
        }
        var bytes = encode(json)
        if roll >= 65 {
            for _ in 0...random.below(3) { mutateBytes(&bytes) }
        }
        return bytes
    }

    /// A frame for a failure message: printable ASCII, other bytes as \xNN, cut at 200 bytes.
    public static func show(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes.prefix(200) {
            text += (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
        }
        return bytes.count > 200 ? text + "… (\(bytes.count) bytes)" : text
    }

    // MARK: structure

    static let messageTypes = ["2", "3", "4", "5", "0", "-1", "\"2\"", "2.0", "2e0", "-0", "null", "true", "[2]",
                               "20000000000000000000"]
    static let numbers = ["1e999", "-1e999", "-0", "-0.0", "0.0", "1.0", "2.5", "1e-999", "1E+2",
                          "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                          "-9223372036854775809", "18446744073709551616", "123456789012345678901234567890",
                          "9007199254740993", "8.999999999999999e15", "9.0e15", "4.9e-324",
                          "1.7976931348623157e308", "2147483647", "2147483648", "-2147483649", "4294967296",
                          "9223372036854", "9223372036855", "4611686018427387904", "-4611686018427387904",
                          "999999999999999", "-1", "0"]
    static let garbage = ["\u{0}", "\u{1F}", "\u{7F}", "é", "€", "𝄞", "\u{FEFF}", "\u{200B}", "\u{202E}", "\"", "\\",
                          "\n", "\u{FFFF}", "\u{10FFFF}", "👩‍👩‍👧"]
    static let lengths = [20, 21, 36, 37, 50, 51, 255, 256, 500, 501, 5_000, 20_000]

    private mutating func mutateTree(_ json: inout JSONValue) {
        var paths: [[Int]] = []
        Self.collect(json, [], &paths)
        let elements: [JSONValue] = if case .array(let elements) = json { elements } else { [] }
        switch random.below(15) {
        case 0, 1:
            let path = random.pick(paths)
            Self.set(&json, path, randomValue())
            applied.append("wrong type at \(path)")
        case 2:
            let objects = paths.filter { if case .object(let m) = Self.node(json, $0), !m.isEmpty { true } else { false } }
            guard !objects.isEmpty else { return }
            let path = random.pick(objects)
            guard case .object(var members) = Self.node(json, path) else { return }
            let removed = members.remove(at: random.below(members.count))
            Self.set(&json, path, .object(members))
            applied.append("missing \(removed.key)")
        case 3:
            let objects = paths.filter { if case .object = Self.node(json, $0) { true } else { false } }
            guard !objects.isEmpty else { return }
            let path = random.pick(objects)
            guard case .object(var members) = Self.node(json, path) else { return }
            let key = members.isEmpty || random.below(2) == 0
                ? random.pick(["extra", "", String(repeating: "k", count: 60), "\u{0}", "idTag", "__proto__", "é"])
                : members[random.below(members.count)].key  // a duplicate member
            members.insert((key, randomValue()), at: random.below(members.count + 1))
            Self.set(&json, path, .object(members))
            applied.append("extra member '\(key)'")
        case 4:
            guard !elements.isEmpty else { return }
            let type = random.pick(Self.messageTypes)
            Self.set(&json, [0], literal(type))
            applied.append("message type \(type)")
        case 5:
            guard elements.count > 1 else { return }
            Self.set(&json, [1], uniqueId())
            applied.append("unique id")
        case 6:
            guard elements.count > 2 else { return }
            let action: JSONValue = random.below(4) == 0 ? randomValue()
                : .string(random.pick(V16.Action.allCases.map(\.rawValue) + ["", "reset", "Reset ", "MakeCoffee"]))
            Self.set(&json, [2], action)
            applied.append("action")
        case 7:
            json = reshape(elements, json)
        case 8:
            let path = random.pick(paths)
            Self.set(&json, path, .null)
            applied.append("null at \(path)")
        case 9:
            let strings = paths.filter { if case .string = Self.node(json, $0) { true } else { false } }
            let path = strings.isEmpty ? random.pick(paths) : random.pick(strings)
            Self.set(&json, path, .string(longString()))
            applied.append("long string at \(path)")
        case 10, 11:
            let numbers = paths.filter {
                switch Self.node(json, $0) { case .integer, .number: true; default: false }
            }
            let path = numbers.isEmpty ? random.pick(paths) : random.pick(numbers)
            let number = random.pick(Self.numbers)
            Self.set(&json, path, literal(number))
            applied.append("number \(number) at \(path)")
        case 12:
            let path = random.pick(paths)
            let depth = random.pick([40, 62, 63, 64, 65, 66, 200, 10_000])
            let nested = random.below(2) == 0
                ? String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                : String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            Self.set(&json, path, literal(nested))
            applied.append("nesting \(depth) at \(path)")
        case 13:
            let strings = paths.filter { if case .string = Self.node(json, $0) { true } else { false } }
            guard !strings.isEmpty else { return }
            let path = random.pick(strings)
            guard case .string(let text) = Self.node(json, path) else { return }
            if random.below(4) == 0 {
                // Escapes JSON allows that Unicode does not: lone surrogates.
                Self.set(&json, path, literal(random.pick([#""\ud800""#, #""a\udc00b""#, #""\ud800\u0041""#, #""\u0000""#])))
            } else {
                var scalars = Array(text.unicodeScalars.map(String.init))
                scalars.insert(random.pick(Self.garbage), at: random.below(scalars.count + 1))
                Self.set(&json, path, .string(scalars.joined()))
            }
            applied.append("garbage in string at \(path)")
        default:
            // CALL ↔ CALLRESULT ↔ CALLERROR with the same id and payload.
            guard elements.count > 1 else { return }
            let payload = elements.last ?? .object([])
            json = switch random.below(3) {
            case 0: .array([.integer(2), elements[1], .string(random.pick(["Heartbeat", "Reset", "Authorize"])), payload])
            case 1: .array([.integer(3), elements[1], payload])
            default: .array([.integer(4), elements[1], .string("GenericError"), .string(""), payload])
            }
            applied.append("swapped message type")
        }
    }

    private mutating func reshape(_ elements: [JSONValue], _ json: JSONValue) -> JSONValue {
        var elements = elements
        switch random.below(7) {
        case 0 where !elements.isEmpty:
            elements.removeLast()
            applied.append("last element removed")
        case 1:
            elements.append(randomValue())
            applied.append("element appended")
        case 2 where elements.count > 1:
            elements.remove(at: 1)
            applied.append("unique id removed")
        case 3:
            applied.append("wrapped in an array")
            return .array([json])
        case 4:
            applied.append("frame as an object")
            return .object(elements.enumerated().map { (String($0.offset), $0.element) })
        case 5:
            applied.append("empty array")
            return .array([])
        default:
            elements.insert(.integer(2), at: 0)
            applied.append("element prepended")
        }
        return .array(elements)
    }

    private mutating func uniqueId() -> JSONValue {
        switch random.below(11) {
        case 0: .string(String(repeating: "x", count: 37))
        case 1: .string(String(repeating: "y", count: 36))
        case 2: .string(String(repeating: "z", count: 1_000))
        case 3: .string("")
        case 4: .string(String(repeating: "é", count: 20))  // 20 characters, 40 bytes
        case 5: .integer(Int64(random.below(1_000)))
        case 6: .null
        case 7: .string(recentIds.isEmpty ? "-1" : random.pick(recentIds))  // a duplicate
        case 8: .string("-1")
        case 9: .string("id\u{0}\u{1F}\n")
        default: .object([("id", .string("x"))])
        }
    }

    private mutating func longString() -> String {
        let length = random.pick(Self.lengths)
        let unit = random.pick(["A", "é", "𝄞", "\\", "\""])
        return String(repeating: unit, count: length)
    }

    private mutating func randomValue() -> JSONValue {
        switch random.below(12) {
        case 0: .null
        case 1: .bool(random.below(2) == 0)
        case 2: .integer(Int64(random.below(2_001)) - 1_000)
        case 3: .number(0.5)
        case 4: .string("")
        case 5: .string(random.pick(["Accepted", "Soft", "Hard", "1", "true", "null", "TAG-1"]))
        case 6: .string(longString())
        case 7: .array([])
        case 8: .array([.integer(1), .string("a")])
        case 9: .object([])
        case 10: .object([("status", .string("Accepted"))])
        default: literal(random.pick(Self.numbers))
        }
    }

    private mutating func literal(_ text: String) -> JSONValue {
        literals.append(text)
        return .string("\u{E000}\(literals.count - 1)\u{E001}")
    }

    private func encode(_ json: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.value(json)
        guard !literals.isEmpty else { return writer.bytes }
        var text = writer.text
        for (index, literal) in literals.enumerated() {
            text = text.replacing("\"\u{E000}\(index)\u{E001}\"", with: literal)
        }
        return Array(text.utf8)
    }

    public static func collect(_ value: JSONValue, _ path: [Int], _ paths: inout [[Int]]) {
        paths.append(path)
        switch value {
        case .array(let elements):
            for (index, element) in elements.enumerated() { collect(element, path + [index], &paths) }
        case .object(let members):
            for (index, member) in members.enumerated() { collect(member.value, path + [index], &paths) }
        case .null, .bool, .integer, .number, .string:
            break
        }
    }

    public static func node(_ value: JSONValue, _ path: [Int]) -> JSONValue {
        guard let first = path.first else { return value }
        switch value {
        case .array(let elements): return node(elements[first], Array(path.dropFirst()))
        case .object(let members): return node(members[first].value, Array(path.dropFirst()))
        case .null, .bool, .integer, .number, .string: return value
        }
    }

    public static func set(_ value: inout JSONValue, _ path: [Int], _ replacement: JSONValue) {
        guard let first = path.first else { value = replacement; return }
        switch value {
        case .array(var elements):
            set(&elements[first], Array(path.dropFirst()), replacement)
            value = .array(elements)
        case .object(var members):
            set(&members[first].value, Array(path.dropFirst()), replacement)
            value = .object(members)
        case .null, .bool, .integer, .number, .string:
            value = replacement
        }
    }

    // MARK: bytes

    static let invalidUTF8: [[UInt8]] = [[0xFF], [0xFE], [0xC0, 0x80], [0xC1, 0xBF], [0xED, 0xA0, 0x80], [0x80],
                                         [0xBF, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
                                         [0xF0, 0x9F, 0x98]]

    private mutating func mutateBytes(_ bytes: inout [UInt8]) {
        if bytes.isEmpty { bytes = [UInt8(ascii: "[")] }
        let position = random.below(bytes.count + 1)
        switch random.below(10) {
        case 0:
            for _ in 0...random.below(4) { bytes[random.below(bytes.count)] ^= UInt8(1) << UInt8(random.below(8)) }
            applied.append("bits flipped")
        case 1:
            bytes.removeSubrange(random.below(bytes.count)...)
            applied.append("truncated")
        case 2:
            bytes.insert(contentsOf: (0...random.below(8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
            applied.append("random bytes inserted")
        case 3:
            bytes.insert(contentsOf: Array(random.pick(Self.garbage).utf8), at: position)
            applied.append("UTF-8 inserted")
        case 4:
            bytes.insert(contentsOf: random.pick(Self.invalidUTF8), at: position)
            applied.append("invalid UTF-8 inserted")
        case 5:
            let start = random.below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(16)))
            applied.append("bytes deleted")
        case 6:
            let start = random.below(bytes.count)
            let slice = bytes[start..<min(bytes.count, start + 1 + random.below(32))]
            bytes.insert(contentsOf: Array(slice), at: position)
            applied.append("bytes duplicated")
        case 7:
            let byte = random.pick(Array("[]{}\",:\\".utf8))
            if random.below(2) == 0, position < bytes.count { bytes[position] = byte } else { bytes.insert(byte, at: position) }
            applied.append("structural byte")
        case 8:
            bytes.insert(contentsOf: random.pick([[0xEF, 0xBB, 0xBF], [0x00], [0x20], [0x09], [0x0B], [0x0C]]), at: random.below(2) == 0 ? 0 : position)
            applied.append("odd whitespace")
        default:
            bytes.append(contentsOf: random.pick([Array(",".utf8), Array("]".utf8), Array(" x".utf8), Array("\n[2]".utf8)]))
            applied.append("trailing garbage")
        }
    }
}
