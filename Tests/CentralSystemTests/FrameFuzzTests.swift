@testable import CentralSystem
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import Testing

/// Frames thrown at one connection of the embedded CSMS, and the seed they are made from.
/// Change the seed to explore; a failure names the seed, the frame number and the frame.
private let fuzzFrames = 10_000
private let fuzzSeed: UInt64 = 0x0C5A_16F1_EE70_0002

@Suite("Seeded frame fuzzing of the embedded CSMS connection")
struct CentralSystemFrameFuzzTests {
    static let time = "2025-11-26T01:20:00.000Z"
    static let sample = #"{"timestamp":"\#(time)","sampledValue":[{"value":"1234","context":"Sample.Periodic","#
        + #""format":"Raw","measurand":"Energy.Active.Import.Register","phase":"L1","location":"Outlet","unit":"Wh"}]}"#

    /// CALLs a charge point may send: every Core action it initiates with a valid payload
    /// (`{tx}` stands for a transaction id the CSMS gave out), CALLs of other profiles and of
    /// the other direction, and an unknown action.
    static let calls: [(action: String, payload: String)] = [
        ("BootNotification", #"{"chargePointVendor":"ocpp-fleet","chargePointModel":"Sim-22","#
            + #""chargePointSerialNumber":"SN-1","chargeBoxSerialNumber":"CB-1","firmwareVersion":"1.2.3","#
            + #""iccid":"8931","imsi":"2620","meterType":"Sim","meterSerialNumber":"M-1"}"#),
        ("BootNotification", #"{"chargePointVendor":"v","chargePointModel":"m"}"#),
        ("Heartbeat", "{}"),
        ("Authorize", #"{"idTag":"TAG-1"}"#),
        ("Authorize", #"{"idTag":"BLOCKED-7"}"#),
        ("StartTransaction", #"{"connectorId":1,"idTag":"TAG-1","meterStart":100,"timestamp":"\#(time)","reservationId":5}"#),
        ("StartTransaction", #"{"connectorId":2,"idTag":"EXPIRED-1","meterStart":0,"timestamp":"\#(time)"}"#),
        ("StopTransaction", #"{"idTag":"TAG-1","meterStop":2100,"timestamp":"\#(time)","transactionId":{tx},"#
            + #""reason":"Local","transactionData":[\#(sample)]}"#),
        ("StopTransaction", #"{"meterStop":2100,"timestamp":"\#(time)","transactionId":{tx}}"#),
        ("MeterValues", #"{"connectorId":1,"transactionId":{tx},"meterValue":[\#(sample)]}"#),
        ("MeterValues", #"{"connectorId":0,"meterValue":[\#(sample),\#(sample)]}"#),
        ("StatusNotification", #"{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"\#(time)","#
            + #""info":"ok","vendorId":"ocpp-fleet","vendorErrorCode":"E0"}"#),
        ("StatusNotification", #"{"connectorId":0,"errorCode":"GroundFailure","status":"Faulted"}"#),
        ("DataTransfer", #"{"vendorId":"ocpp-fleet","messageId":"Echo","data":"ping"}"#),
        ("DataTransfer", #"{"vendorId":"com.example"}"#),
        ("DiagnosticsStatusNotification", #"{"status":"Idle"}"#),
        ("FirmwareStatusNotification", #"{"status":"Installed"}"#),
        ("SecurityEventNotification", #"{"type":"StartupOfTheDevice","timestamp":"\#(time)"}"#),
        ("Reset", #"{"type":"Soft"}"#),
        ("RemoteStartTransaction", #"{"idTag":"TAG-1"}"#),
        ("Teleport", #"{"to":"Mars"}"#),
    ]

    @Test("Every Core CALL of the fuzz corpus is valid: the CSMS answers it with a CALLRESULT")
    func corpusIsValid() throws {
        var cp = try ConnectionHarness(id: "CP-CORPUS")
        try cp.boot()
        let started = try cp.start()
        for (action, payload) in Self.calls {
            let text = Frame.call(id: "c1", action: action, payload: try JSONParser.parse(
                payload.replacing("{tx}", with: String(started.transactionId)))).encoded
            let reply = try cp.exchange(String(decoding: text, as: UTF8.self))
            let core = V16.Action(rawValue: action).map { $0.isCore && $0.initiatedByChargePoint } ?? false
            switch reply {
            case .callResult(_, let payload) where core:
                let types = try #require(V16.Action(rawValue: action)?.payloadTypes)
                _ = try types.response.init(json: payload)
            case .callError(_, let code, _, _) where !core:
                #expect(code == (V16.Action(rawValue: action) == nil ? "NotImplemented" : "NotSupported"))
            case .call, .callResult, .callError:
                Issue.record("\(action) \(payload) was answered with \(reply)")
            }
        }
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test("A broken fragment sequence is refused with a WebSocket close, not an OCPP answer", arguments: [
        ([(false, WebSocketOpcode.continuation, "[2,"), (true, .continuation, #""x","Heartbeat",{}]"#)], WebSocketErrorCode.protocolError),
        ([(false, .text, "[2,"), (true, .text, #""x","Heartbeat",{}]"#)], .protocolError),
        ([(false, .text, String(repeating: " ", count: 40)), (true, .continuation, String(repeating: " ", count: 40))],
         .messageTooLarge),
    ])
    func brokenFragments(frames: [(fin: Bool, opcode: WebSocketOpcode, text: String)], code: WebSocketErrorCode) throws {
        var configuration = CentralSystemConfiguration()
        configuration.maxMessageSize = 64
        let cp = try ConnectionHarness(shared: ConnectionHarness.shared(configuration))
        for frame in frames where cp.channel.isActive {
            try cp.channel.writeInbound(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: ByteBuffer(string: frame.text)))
        }
        let close = try #require(try cp.channel.readOutbound(as: WebSocketFrame.self))
        #expect(close.opcode == .connectionClose)
        var data = close.unmaskedData
        #expect(data.readWebSocketErrorCode() == code)
        #expect(!cp.channel.isActive)
        #expect(cp.stats.callErrorsSent.isEmpty)
        #expect(try cp.channel.finish(acceptAlreadyClosed: true).isClean)
    }

    /// How one message travels: as one text frame, in fragments (with a ping between them), or
    /// as binary, which OCPP-J does not use.
    enum Framing {
        case text, fragments, fragmentsAndPing, binary, binaryFragments
    }

    // The seed is the test's argument, so a failure report names it.
    @Test("10,000 mutated frames from a charge point: valid answers only, one per message, counters agree, and the connection still answers",
          arguments: [fuzzSeed])
    func fuzz(seed: UInt64) throws {
        var cp = try ConnectionHarness(id: "CP-FUZZ")
        weak let handler = try cp.channel.pipeline.syncOperations.handler(type: OCPPConnectionHandler.self)
        var mutator = FrameMutator(seed: seed)
        var seen = Seen()
        var problems = 0
        for number in 1...fuzzFrames {
            let frame = nextFrame(number: number, transactions: seen.transactionIds, random: &mutator.random)
            let bytes = mutator.mutate(frame)
            let framing = mutator.random.pick([Framing](repeating: .text, count: 15)
                                              + [.fragments, .fragments, .fragmentsAndPing, .binary, .binaryFragments])
            let pings = try Self.write(bytes, framing, to: cp.channel, random: &mutator.random)
            var replies: [WebSocketFrame] = []
            while let reply = try cp.channel.readOutbound(as: WebSocketFrame.self) { replies.append(reply) }
            if let problem = seen.check(input: bytes, binary: framing == .binary || framing == .binaryFragments,
                                        pings: pings, replies: replies) {
                problems += 1
                Issue.record("""
                    seed \(seed) frame \(number) (\(framing), \(mutator.applied.joined(separator: ", "))): \(problem)
                    in:  \(FrameMutator.show(bytes))
                    out: \(replies.map { FrameMutator.show(Array($0.unmaskedData.readableBytesView)) }.joined(separator: "\n     "))
                    """)
                if problems >= 10 { break }
            }
        }

        // The counters say what the fuzz saw.
        let stats = cp.stats
        #expect(stats.callErrorsSent == seen.callErrors)
        #expect(stats.callsReceived == seen.calls)
        #expect(stats.unknownActionsReceived == seen.unknownActions)
        #expect(stats.responsesIgnored == seen.responses)
        #expect(stats.binaryFramesIgnored == seen.binary)
        #expect(stats.bootsAccepted == seen.bootsAccepted)
        #expect(stats.violations.messagesBeforeBoot == seen.beforeBoot)
        #expect(stats.transactionsStarted == Set(seen.transactionIds).count)
        #expect(stats.transactionsStarted + stats.replayedTransactionStarts == seen.transactionIds.count)
        #expect(stats.transactionsStopped + stats.replayedTransactionStops + stats.violations.unknownTransactionStops
                == seen.stopsConfirmed)
        #expect(stats.openTransactions == stats.transactionsStarted - stats.transactionsStopped)
        #expect(stats.connectionsCurrent == 1 && stats.connectionsAccepted == 1)

        // The connection still works, closes cleanly and lets go of its handler.
        #expect(try cp.call(V16.HeartbeatRequest()).currentTime == ConnectionHarness.now)
        #expect(try cp.channel.finish(acceptAlreadyClosed: false).isClean)
        #expect(cp.stats.connectionsCurrent == 0)
        #expect(handler == nil)
    }

    /// The next unmutated message: mostly a CALL of the corpus, else a CALLRESULT or CALLERROR
    /// the CSMS never asked for.
    private func nextFrame(number: Int, transactions: [Int], random: inout SplitMix64) -> JSONValue {
        let id = "fz-\(number)"
        switch random.below(100) {
        case ..<85:
            let (action, payload) = random.pick(Self.calls)
            // Mostly a transaction the CSMS knows, else one it never gave out.
            let tx = !transactions.isEmpty && random.below(4) > 0 ? random.pick(transactions) : 1 + random.below(1_000_000)
            let json = try! JSONParser.parse(payload.replacing("{tx}", with: String(tx)))
            return .array([.integer(2), .string(id), .string(action), json])
        case ..<93:
            return .array([.integer(3), .string(id), .object([("currentTime", .string(Self.time))])])
        default:
            return .array([.integer(4), .string(id), .string(random.pick(CallError.Code.allCases).rawValue),
                           .string("fuzz"), .object([])])
        }
    }

    /// Writes one message as `framing` says; returns the ping payloads sent along.
    private static func write(_ bytes: [UInt8], _ framing: Framing, to channel: EmbeddedChannel,
                              random: inout SplitMix64) throws -> [[UInt8]] {
        // Sometimes still masked, as a client sends it (the decoder in front passes the key on);
        // not always, as masking byte by byte is slow in a debug build.
        func frame(_ fin: Bool, _ opcode: WebSocketOpcode, _ piece: ArraySlice<UInt8>) -> WebSocketFrame {
            var data = ByteBuffer(bytes: piece)
            guard random.below(8) == 0 else { return WebSocketFrame(fin: fin, opcode: opcode, data: data) }
            let key = WebSocketMaskingKey([UInt8](repeating: 0, count: 4).map { _ in UInt8(truncatingIfNeeded: random.next()) })!
            data.webSocketMask(key)
            return WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: data)
        }
        let opcode: WebSocketOpcode = framing == .binary || framing == .binaryFragments ? .binary : .text
        guard framing != .text, framing != .binary else {
            try channel.writeInbound(frame(true, opcode, bytes[...]))
            return []
        }
        // 2 to 5 fragments, cut anywhere (inside a UTF-8 sequence too); empty ones included.
        var cuts = (0..<1 + random.below(4)).map { _ in random.below(bytes.count + 1) }.sorted()
        cuts = [0] + cuts + [bytes.count]
        var pings: [[UInt8]] = []
        for index in 0..<cuts.count - 1 {
            let last = index == cuts.count - 2
            try channel.writeInbound(frame(last, index == 0 ? opcode : .continuation, bytes[cuts[index]..<cuts[index + 1]]))
            if index == 0, framing == .fragmentsAndPing {
                let ping = Array("ping \(pings.count)".utf8)
                pings.append(ping)
                try channel.writeInbound(frame(true, .ping, ping[...]))
            }
        }
        return pings
    }
}

/// What the fuzz saw on the wire, to hold the CSMS's counters against, and the checks
/// of every reply.
struct Seen {
    var callErrors: [CallError.Code: Int] = [:]
    var calls: [V16.Action: Int] = [:]
    var unknownActions = 0
    var responses = 0
    var binary = 0
    var bootsAccepted = 0
    var beforeBoot = 0
    var stopsConfirmed = 0
    var transactionIds: [Int] = []

    /// Checks the replies to one message and counts it. Nil when all is well.
    mutating func check(input: [UInt8], binary isBinary: Bool, pings: [[UInt8]], replies: [WebSocketFrame]) -> String? {
        let pongs = replies.filter { $0.opcode == .pong }.map { Array($0.unmaskedData.readableBytesView) }
        guard pongs == pings else { return "pongs \(pongs) for pings \(pings)" }
        let texts = replies.filter { $0.opcode != .pong }
        guard texts.allSatisfy({ $0.opcode == .text && $0.fin }) else { return "a reply that is not one text frame" }
        if isBinary {
            binary += 1
            return texts.isEmpty ? nil : "a binary frame was answered"
        }
        // A CALLRESULT or CALLERROR from a charge point is ignored: this CSMS sends no CALLs.
        let json = try? JSONParser.parse(input)
        if case .array(let elements)? = json, case .integer(let type)? = elements.first, type == 3 || type == 4 {
            responses += 1
            return texts.isEmpty ? nil : "a CALLRESULT or CALLERROR was answered"
        }
        // Everything else gets exactly one answer.
        guard texts.count == 1 else { return "\(texts.count) answers to one message" }
        let reply: Frame
        do {
            reply = try Frame.parse(Array(texts[0].unmaskedData.readableBytesView))
        } catch {
            return "the answer is not OCPP-J: \(error.error)"
        }
        if case .callError(_, let code, _, let details) = reply {
            guard let known = CallError.Code(rawValue: code) else { return "CALLERROR code \(code) is not an OCPP-J code" }
            guard case .object = details else { return "CALLERROR details are not an object" }
            callErrors[known, default: 0] += 1
        }
        // The id rule: echo a unique id of 1 to 36 bytes, else "-1".
        var owed = "-1"
        if case .array(let elements)? = json, elements.count > 1, case .string(let id) = elements[1],
           !id.isEmpty, id.utf8.count <= Frame.maximumIDLength {
            owed = id
        }
        guard reply.id == owed else { return "the answer's id is \(reply.id), expected \(owed)" }
        guard case .call(_, let name, _)? = try? Frame.parse(input) else {
            if case .callError = reply { return nil }
            return "a message that is not a CALL got \(reply)"
        }
        guard let action = V16.Action(rawValue: name) else {
            unknownActions += 1
            return nil
        }
        calls[action, default: 0] += 1
        if action != .bootNotification, bootsAccepted == 0 { beforeBoot += 1 }
        guard case .callResult(_, let payload) = reply else { return nil }
        guard action.isCore, action.initiatedByChargePoint, let types = action.payloadTypes else {
            return "\(name) was answered with a CALLRESULT"
        }
        do throws(CallError) {
            _ = try types.response.init(json: payload)
        } catch {
            return "the \(name) CALLRESULT breaks its schema: \(error)"
        }
        switch action {
        case .bootNotification: bootsAccepted += 1
        case .stopTransaction: stopsConfirmed += 1
        case .startTransaction:
            if case .integer(let id)? = payload["transactionId"] { transactionIds.append(Int(id)) }
        default: break
        }
        return nil
    }
}

// MARK: - The mutator (kept in step with Tests/ChargePointTests/FrameFuzzTests.swift)

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): 64 bits of state, the same sequence on every platform and toolchain.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (the modulo bias does not matter here).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Turns a valid OCPP-J frame into a damaged one: structural changes on the parsed JSON
/// (wrong types, missing and extra members, message type ids, unique ids, huge numbers,
/// deep nesting, long strings, nulls), then byte damage (flips, truncation, insertions of
/// random bytes, UTF-8 garbage and invalid UTF-8). One frame in eight passes unchanged.
struct FrameMutator {
    var random: SplitMix64
    /// The mutations applied to the last frame, for failure messages.
    private(set) var applied: [String] = []
    private var recentIds: [String] = []
    /// JSON text that `JSONValue` cannot hold (1e999, -0, 2^63, deep nesting), put in place
    /// of marker strings after encoding.
    private var literals: [String] = []

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func mutate(_ frame: JSONValue) -> [UInt8] {
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
    static func show(_ bytes: [UInt8]) -> String {
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

    static func collect(_ value: JSONValue, _ path: [Int], _ paths: inout [[Int]]) {
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

    static func node(_ value: JSONValue, _ path: [Int]) -> JSONValue {
        guard let first = path.first else { return value }
        switch value {
        case .array(let elements): return node(elements[first], Array(path.dropFirst()))
        case .object(let members): return node(members[first].value, Array(path.dropFirst()))
        case .null, .bool, .integer, .number, .string: return value
        }
    }

    static func set(_ value: inout JSONValue, _ path: [Int], _ replacement: JSONValue) {
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
