@testable import CentralSystem
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import FuzzSupport
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

    @Test("Every charge-point CALL of the fuzz corpus is valid: the CSMS answers it with a CALLRESULT")
    func corpusIsValid() throws {
        var cp = try ConnectionHarness(id: "CP-CORPUS")
        try cp.boot()
        let started = try cp.start()
        for (action, payload) in Self.calls {
            let text = Frame.call(id: "c1", action: action, payload: try JSONParser.parse(
                payload.replacing("{tx}", with: String(started.transactionId)))).encoded
            let reply = try cp.exchange(String(decoding: text, as: UTF8.self))
            // Every action a charge point sends is answered, Core or not; the rest are refused.
            let core = V16.Action(rawValue: action).map { $0.initiatedByChargePoint && $0.payloadTypes != nil } ?? false
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
            try cp.channel.writeInboundFrame(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: ByteBuffer(string: frame.text)))
        }
        let close = try #require(try cp.channel.readOutboundFrame())
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
        weak let handler = try cp.channel.pipeline.syncOperations.handler(type: OCPPWebSocketHandler.self)
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
            while let reply = try cp.channel.readOutboundFrame() { replies.append(reply) }
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
            try channel.writeInboundFrame(frame(true, opcode, bytes[...]))
            return []
        }
        // 2 to 5 fragments, cut anywhere (inside a UTF-8 sequence too); empty ones included.
        var cuts = (0..<1 + random.below(4)).map { _ in random.below(bytes.count + 1) }.sorted()
        cuts = [0] + cuts + [bytes.count]
        var pings: [[UInt8]] = []
        for index in 0..<cuts.count - 1 {
            let last = index == cuts.count - 2
            try channel.writeInboundFrame(frame(last, index == 0 ? opcode : .continuation, bytes[cuts[index]..<cuts[index + 1]]))
            if index == 0, framing == .fragmentsAndPing {
                let ping = Array("ping \(pings.count)".utf8)
                pings.append(ping)
                try channel.writeInboundFrame(frame(true, .ping, ping[...]))
            }
        }
        return pings
    }
}

/// What the fuzz saw on the wire, to hold the CSMS's counters against, and the checks
/// of every reply.
struct Seen {
    var callErrors: [VersionedErrorCode: Int] = [:]
    var calls: [VersionedAction: Int] = [:]
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
            callErrors[.v16(known), default: 0] += 1
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
        calls[.v16(action), default: 0] += 1
        if action != .bootNotification, bootsAccepted == 0 { beforeBoot += 1 }
        guard case .callResult(_, let payload) = reply else { return nil }
        guard action.initiatedByChargePoint, let types = action.payloadTypes else {
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
