@testable import ChargePoint
import OCPP
import Testing

/// The outbound queue hands calls out in order and lets go of the ones it has sent, so a busy
/// charge point does not carry its sent calls around (docs/memory.md).
@Suite("Outbound queue storage")
struct OutboundQueueTests {
    struct Call: QueueableCall, Equatable {
        var number: Int
        var isTransactionMessage: Bool { false }
        var survivesDisconnect: Bool { true }
        var yieldsToTransactionMessages: Bool { false }
        var actionName: String { "Test" }
    }

    private let now = Timestamp(microseconds: 1_000_000)

    private func drain(_ queue: inout OutboundQueue<Call>) -> [Int] {
        var sent: [Int] = []
        while let entry = queue.next(now: now, ready: { _ in true }) {
            sent.append(entry.call.number)
        }
        return sent
    }

    @Test("A drained queue holds no sent entries")
    func drainedQueueIsEmpty() {
        var queue = OutboundQueue<Call>(capacity: 100)
        for number in 0..<5 { _ = queue.enqueue(Call(number: number)) }
        #expect(drain(&queue) == [0, 1, 2, 3, 4])
        #expect(queue.storedEntries == 0)
        #expect(queue.count == 0)
    }

    @Test("Calls queued while others are taken keep their order; sent entries are dropped on the way")
    func orderAcrossCompaction() {
        var queue = OutboundQueue<Call>(capacity: 1_000)
        var sent: [Int] = []
        var next = 0
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 1) { _ = queue.enqueue(Call(number: next)); next += 1 }
            for _ in 0..<(round % 5 + 1) {
                guard let entry = queue.next(now: now, ready: { _ in true }) else { break }
                sent.append(entry.call.number)
            }
            #expect(queue.storedEntries <= 2 * queue.count + OutboundQueue<Call>.keptCapacity,
                    "sent entries are compacted away while the queue still holds calls")
        }
        sent += drain(&queue)
        #expect(sent == Array(0..<next))
        #expect(queue.storedEntries == 0)
    }
}
