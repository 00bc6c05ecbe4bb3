import OCPP
import Synchronization

/// The OCPP 2.0.1 transactions of all charging stations (functional block E), keyed by the
/// station's id and its own transactionId, shared across loops like the 1.6 `TransactionLedger`:
/// a station may go on with a transaction after reconnecting to another loop.
///
/// Judged per TransactionEvent: the first event of a transaction is Started, Updated and Ended
/// only follow it, seqNo increases strictly within the transaction (OCPP 2.0.1 E01.FR.15 ff.).
/// A station that lost an answer sends the same event again (same seqNo, same content): that is
/// a replay, answered as the first time and counted apart, never a fault.
final class TransactionEventLedger: Sendable {
    struct Key: Hashable {
        var chargePointId: String
        var transactionId: String
    }

    /// One TransactionEvent as the ledger needs it; `digest` stands for its whole content.
    struct Event: Equatable {
        var type: V201.TransactionEventEnum
        var seqNo: Int
        var evseId: Int?
        var digest: Int
    }

    struct Outcome: Equatable {
        /// Whether this event was seen before (a replay after a lost answer).
        var replayed = false
        var violation: ProtocolViolation?
        /// Whether the transaction is running after this event (a running one the scenario may name).
        var running = false
        /// Whether this event ended the transaction.
        var ended = false
        /// The EVSE of the transaction, from this event or the ones before.
        var evseId: Int?
    }

    private struct Running {
        var evseId: Int?
        var startDigest: Int
        var lastSeqNo: Int
        var lastDigest: Int
        /// A Started with seqNo 0 shows a counter per transaction (Edition 2, TC_E_53), so a
        /// skipped number is a lost event. A station with one counter for all its transactions
        /// (allowed by the first edition) starts elsewhere and leaves gaps legitimately.
        var countsGaps: Bool
    }

    private struct Ended {
        var lastSeqNo: Int
        var lastDigest: Int
    }

    private struct State {
        var running: [Key: Running] = [:]
        /// Recently ended transactions, oldest first, so a replayed event is told from a late one.
        var ended: [Key: Ended] = [:]
        var endedOrder: [Key] = []
        var started = 0
        var endedCount = 0
        var replayed = 0
    }

    /// How many ended transactions are remembered for telling replays from faults.
    static let endedMemory = 10_000

    private let state = Mutex(State())

    /// Records one event of transaction `key` and judges it.
    func record(_ key: Key, _ event: Event) -> Outcome {
        state.withLock { state in
            if var transaction = state.running[key] {
                return Self.next(event, of: &transaction, key: key, in: &state)
            }
            if let done = state.ended[key] {
                let replayed = done.lastSeqNo == event.seqNo && done.lastDigest == event.digest
                if replayed { state.replayed += 1 }
                return Outcome(replayed: replayed, violation: replayed ? nil : .transactionEventAfterEnd)
            }
            guard event.type == .started else {
                // Not opened: the Started never came, so there is nothing to end later either.
                return Outcome(violation: .unknownTransactionEvent, evseId: event.evseId)
            }
            state.running[key] = Running(evseId: event.evseId, startDigest: event.digest, lastSeqNo: event.seqNo,
                                         lastDigest: event.digest, countsGaps: event.seqNo == 0)
            state.started += 1
            return Outcome(running: true, evseId: event.evseId)
        }
    }

    private static func next(_ event: Event, of transaction: inout Running, key: Key, in state: inout State) -> Outcome {
        var outcome = Outcome(running: true, evseId: event.evseId ?? transaction.evseId)
        if (event.seqNo == transaction.lastSeqNo && event.digest == transaction.lastDigest)
            || (event.type == .started && event.digest == transaction.startDigest) {
            state.replayed += 1
            outcome.replayed = true
            return outcome
        }
        if event.type == .started {
            outcome.violation = .repeatedTransactionStart
            return outcome
        }
        if event.seqNo <= transaction.lastSeqNo {
            outcome.violation = .seqNoNotIncreasing
        } else if transaction.countsGaps, event.seqNo > transaction.lastSeqNo + 1 {
            outcome.violation = .seqNoGap
        }
        transaction.lastSeqNo = max(transaction.lastSeqNo, event.seqNo)
        transaction.lastDigest = event.digest
        if let evse = event.evseId { transaction.evseId = evse }
        guard event.type == .ended else {
            state.running[key] = transaction
            return outcome
        }
        state.running.removeValue(forKey: key)
        state.endedCount += 1
        state.ended[key] = Ended(lastSeqNo: event.seqNo, lastDigest: event.digest)
        state.endedOrder.append(key)
        if state.endedOrder.count > endedMemory {
            let forget = state.endedOrder.count - endedMemory / 2
            for old in state.endedOrder.prefix(forget) { state.ended.removeValue(forKey: old) }
            state.endedOrder.removeFirst(forget)
        }
        outcome.running = false
        outcome.ended = true
        return outcome
    }

    func add(to stats: inout CentralSystemStats, listing limit: Int = 100) {
        let keys = state.withLock { state in
            stats.transactionEvents.started = state.started
            stats.transactionEvents.ended = state.endedCount
            stats.transactionEvents.replayed = state.replayed
            stats.transactionEvents.open = state.running.count
            return Array(state.running.keys)
        }
        stats.transactionsStarted += stats.transactionEvents.started
        stats.transactionsStopped += stats.transactionEvents.ended
        stats.openTransactions += stats.transactionEvents.open
        // Sorted outside the lock: there can be thousands.
        stats.transactionEvents.openTransactions = Array(keys.map { "\($0.chargePointId)/\($0.transactionId)" }
            .sorted().prefix(limit))
    }
}

extension TransactionEventLedger.Event {
    /// The event of `request`, whose `payload` (as received) is its content.
    init(_ request: V201.TransactionEventRequest, payload: JSONValue) {
        var writer = JSONWriter(capacity: 512)
        writer.value(payload)
        var hasher = Hasher()
        hasher.combine(writer.bytes)
        self.init(type: request.eventType, seqNo: request.seqNo, evseId: request.evse?.id, digest: hasher.finalize())
    }
}
