@testable import CentralSystem
import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OCPP
import OCPPWebSocket
import Testing

/// Mutated 2.0.1 frames thrown at one 2.0.1 connection: the framing code is the 1.6 one (fuzzed
/// at length in `CentralSystemFrameFuzzTests`); what this checks is the 2.0.1 half: answers that
/// parse, CALLERROR codes of the 2.0.1 vocabulary only, CALLRESULTs that fit their response
/// schema, and counters that agree with the wire.
@Suite("Seeded frame fuzzing of a 2.0.1 connection")
struct V201FrameFuzzTests {
    static let frames = 3_000
    static let seed: UInt64 = 0x0C5A_0201_F022_0001

    /// Every station message of the session tests, valid, plus TransactionEvents of a few
    /// transactions, a CSMS-only action and an unknown one.
    static let corpus: [(action: String, payload: String)] = V201SessionTests.notifications.map { ($0.0, $0.1) }
        + ["Started", "Updated", "Ended"].flatMap { type in
            (0..<3).map { seqNo in
                ("TransactionEvent", #"{"eventType":"\#(type)","timestamp":"2025-11-26T01:20:00Z","triggerReason":"Authorized","#
                    + #""seqNo":\#(seqNo),"transactionInfo":{"transactionId":"T-\#(seqNo % 2)"},"evse":{"id":1},"#
                    + #""idToken":{"idToken":"TAG-\#(seqNo)","type":"ISO14443"}}"#)
            }
        }
        + [("BootNotification", #"{"chargingStation":{"model":"m","vendorName":"v"},"reason":"PowerUp"}"#),
           ("Heartbeat", "{}"), ("Authorize", #"{"idToken":{"idToken":"BLOCKED-1","type":"Central"}}"#),
           ("Reset", #"{"type":"Immediate"}"#), ("Teleport", "{}")]

    @Test("3,000 mutated 2.0.1 frames: one parseable answer per CALL, 2.0.1 error codes only, counters agree",
          arguments: [seed])
    func fuzz(seed: UInt64) throws {
        var cs = try ConnectionHarness.v201(id: "CS-FUZZ")
        var mutator = FrameMutator(seed: seed)
        var callErrors = 0
        var problems: [String] = []
        for number in 1...Self.frames where problems.count < 10 {
            let frame: JSONValue
            if mutator.random.below(10) == 0 {
                frame = .array([.integer(3), .string("fz-\(number)"), .object([])])
            } else {
                let (action, payload) = mutator.random.pick(Self.corpus)
                frame = .array([.integer(2), .string("fz-\(number)"), .string(action), try JSONParser.parse(payload)])
            }
            let bytes = mutator.mutate(frame)
            // As bytes: a mutation may break UTF-8, which a String would repair.
            try cs.channel.writeInboundFrame(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: bytes)))
            let replies = try cs.written()
            if let problem = Self.check(bytes, replies: replies, callErrors: &callErrors) {
                problems.append("frame \(number) (\(mutator.applied.joined(separator: ", "))): \(problem)\n"
                                + "in: \(FrameMutator.show(bytes))\nout: \(replies)")
            }
        }
        #expect(problems.isEmpty, "seed \(seed):\n\(problems.joined(separator: "\n"))")
        let stats = cs.stats
        #expect(stats.callErrorsSent.values.reduce(0, +) == callErrors)
        #expect(stats.callErrorsSent.keys.allSatisfy { $0.version == .v201 })
        #expect(stats.transactionEvents.open == stats.transactionEvents.started - stats.transactionEvents.ended)
        #expect(try cs.call(V201.HeartbeatRequest()).currentTime == ConnectionHarness.now)
        #expect(try cs.channel.finish(acceptAlreadyClosed: false).isClean)
    }

    /// What is wrong with the answers to one message, if anything.
    static func check(_ input: [UInt8], replies: [String], callErrors: inout Int) -> String? {
        let json = try? JSONParser.parse(input)
        if case .array(let elements)? = json, case .integer(let type)? = elements.first, type == 3 || type == 4 {
            return replies.isEmpty ? nil : "a CALLRESULT or CALLERROR was answered"
        }
        guard replies.count == 1 else { return "\(replies.count) answers to one message" }
        guard let reply = try? Frame.parse(replies[0]) else { return "the answer is not OCPP-J" }
        switch reply {
        case .callError(_, let code, _, _):
            callErrors += 1
            return V201.RPCErrorCode(rawValue: code) == nil ? "CALLERROR code \(code) is not a 2.0.1 code" : nil
        case .callResult(_, let payload):
            guard case .call(_, let name, _)? = try? Frame.parse(input),
                  let types = V201.Action(rawValue: name)?.payloadTypes else { return "a CALLRESULT to a non-CALL" }
            do throws(CallError) {
                _ = try types.response.init(json: payload)
                return nil
            } catch {
                return "the \(name) CALLRESULT breaks its schema: \(error)"
            }
        case .call:
            return "the CSMS answered with a CALL"
        }
    }
}
