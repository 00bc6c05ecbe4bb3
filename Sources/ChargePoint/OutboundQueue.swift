import OCPP

/// What `OutboundQueue` needs to know of a queued CALL; each engine version has its own
/// unencoded call type (`PendingCall` for 1.6, `PendingCallV201` for 2.0.1).
protocol QueueableCall: Sendable, Equatable {
    /// Transaction-related: survives disconnects and reboots, retried after failures, never
    /// dropped for a newer call.
    var isTransactionMessage: Bool { get }
    /// Stays queued when the connection is lost (the rest only makes sense on the connection
    /// it was made for).
    var survivesDisconnect: Bool { get }
    /// May be dropped to make room for a new transaction message when the queue is full.
    var yieldsToTransactionMessages: Bool { get }
    /// The action's wire name, for telemetry events.
    var actionName: String { get }
}

/// The outbound side of one OCPP-J connection (OCPP-J 1.6 §4.1.1: one CALL in flight):
/// a bounded FIFO of pending calls, the call awaiting its answer, and the retry gate.
struct OutboundQueue<Call: QueueableCall>: Sendable {
    /// A queued call and the attempts already made to deliver it (after a timeout,
    /// CALLERROR or lost connection); the count travels with the call, whatever is pushed
    /// in front of it meanwhile.
    struct Entry: Sendable {
        var call: Call
        var attempts = 0
        /// When a scheduled CALL fell due (its timer's deadline, or when a behaviour event
        /// queued it); nil for other CALLs. Kept through retries: the wait counts from here.
        var due: Timestamp? = nil
        /// A transaction message that was in flight when its connection was lost: sending it
        /// again is a replay (counted).
        var replay = false
    }

    struct InFlight: Sendable {
        var id: String
        var call: Call
        var sentAt: Timestamp
        var deadline: Timestamp
        /// 1 for the first try.
        var attempt: Int
        /// See ``Entry/due``.
        var due: Timestamp?
    }

    private var items: [Entry] = []
    private var head = 0
    private(set) var inFlight: InFlight?
    /// Nothing is sent before this time (transaction message retry back-off).
    private(set) var notBefore: Timestamp?
    private var nextMessageNumber: UInt64 = 0

    /// Most calls kept while offline; beyond it the oldest non-transaction call goes first.
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { items.count - head }
    var isIdle: Bool { inFlight == nil }

    var pendingTransactionMessages: Int {
        var total = inFlight?.call.isTransactionMessage == true ? 1 : 0
        for index in head..<items.count where items[index].call.isTransactionMessage { total += 1 }
        return total
    }

    /// Appends a call; when full, drops the oldest call that is not transaction-related,
    /// or else, for a new transaction message only, the oldest MeterValues; a call that
    /// finds no victim is refused. `beyondCapacity` skips the bound (the status burst of a
    /// (re)connect, one per connector). Returns what was dropped or refused.
    mutating func enqueue(_ call: Call, beyondCapacity: Bool = false, due: Timestamp? = nil) -> Call? {
        var dropped: Call?
        if count >= capacity, !beyondCapacity {
            if let victim = (head..<items.count).first(where: { !items[$0].call.isTransactionMessage })
                ?? (call.isTransactionMessage
                    ? (head..<items.count).first(where: { items[$0].call.yieldsToTransactionMessages })
                    : nil) {
                dropped = items.remove(at: victim).call
            } else {
                return call  // never lose a transaction message for a newer call
            }
        }
        items.append(Entry(call: call, due: due))
        return dropped
    }

    mutating func pushFront(_ call: Call) { pushFront(Entry(call: call)) }

    private mutating func pushFront(_ entry: Entry) {
        if head > 0 {
            head -= 1
            items[head] = entry
        } else {
            items.insert(entry, at: 0)
        }
    }

    /// Takes the next call to send, if the slot is free and the back-off has passed.
    mutating func next(now: Timestamp, ready: (Call) -> Bool) -> Entry? {
        guard inFlight == nil, count > 0 else { return nil }
        if let notBefore, now < notBefore { return nil }
        guard ready(items[head].call) else { return nil }
        let entry = items[head]
        head += 1
        if head == items.count {
            // Drained, as it is after nearly every send: drop the sent entries and what their
            // calls hold at once. Before, up to 33 sent entries stayed until a compaction: 2.3 KiB
            // per busy charge point at the heap's peak (docs/memory.md). A buffer of a couple of
            // entries is kept for the next call; one grown by a burst (boot, a reconnect) is freed.
            items.removeAll(keepingCapacity: items.capacity <= Self.keptCapacity)
            head = 0
        } else if head >= Self.keptCapacity, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return entry
    }

    /// Entries' worth of buffer a drained queue keeps.
    static var keptCapacity: Int { 2 }

    /// Entries held, sent ones not yet dropped included (tests: the queue does not hoard them).
    var storedEntries: Int { items.count }

    mutating func markSent(_ entry: Entry, now: Timestamp, timeout: Interval) -> String {
        nextMessageNumber &+= 1
        let id = String(nextMessageNumber)
        inFlight = InFlight(id: id, call: entry.call, sentAt: now, deadline: now + timeout, attempt: entry.attempts + 1,
                            due: entry.due)
        notBefore = nil
        return id
    }

    /// The answer arrived (or the call is abandoned): free the slot.
    mutating func complete() -> InFlight? {
        defer { inFlight = nil }
        return inFlight
    }

    /// Puts the in-flight call back at the head to try again after `delay`.
    mutating func retryInFlight(now: Timestamp, delay: Interval) {
        guard let flight = inFlight else { return }
        inFlight = nil
        pushFront(Entry(call: flight.call, attempts: flight.attempt, due: flight.due))
        notBefore = now + delay
    }

    /// On disconnect: an unanswered transaction message goes back to the head (it is
    /// resent; the CSMS may see it twice, never zero times); other calls are dropped, as
    /// are queued calls that only make sense on the connection they were made for.
    mutating func connectionLost() -> InFlight? {
        var abandoned: InFlight?
        if let flight = inFlight {
            inFlight = nil
            if flight.call.isTransactionMessage {
                pushFront(Entry(call: flight.call, attempts: flight.attempt - 1, due: flight.due, replay: true))
            } else {
                abandoned = flight
            }
        }
        items = items[head...].filter { $0.call.survivesDisconnect }
        head = 0
        notBefore = nil
        return abandoned
    }

    /// Removes queued calls matching `predicate` (e.g. Authorize for a connector that gave up).
    mutating func removeAll(where predicate: (Call) -> Bool) {
        items = items[head...].filter { !predicate($0.call) }
        head = 0
    }

    func contains(where predicate: (Call) -> Bool) -> Bool {
        if let flight = inFlight, predicate(flight.call) { return true }
        return items[head...].contains { predicate($0.call) }
    }

    var nextDeadline: Timestamp? {
        if let inFlight { return inFlight.deadline }
        if count > 0 { return notBefore }
        return nil
    }
}

/// The unique ids of our last few CALLs that timed out, so that an answer arriving after its
/// timeout is told from an answer to a CALL that never was (`lateAnswer` vs `unmatchedResult`).
/// A fixed ring of four: written only on a timeout, ids are short (inline) strings.
struct RecentTimeouts: Sendable {
    static let capacity = 4
    private var ids: [String] = []
    private var next = 0

    mutating func insert(_ id: String) {
        if ids.count < Self.capacity {
            ids.append(id)
        } else {
            ids[next] = id
        }
        next = (next + 1) % Self.capacity
    }

    /// Whether `id` timed out recently; forgets it, so a duplicate answer counts as unmatched.
    mutating func take(_ id: String) -> Bool {
        guard let index = ids.firstIndex(of: id) else { return false }
        ids[index] = ""
        return true
    }
}

extension OutboundQueue {
    /// ``enqueue(_:beyondCapacity:due:)`` with the outage accounting both engines report: a
    /// transaction message made while the charge point is not `online` (no accepted
    /// connection) is queued offline; one lost to a full queue is dropped (overflow).
    mutating func enqueue(_ call: Call, beyondCapacity: Bool = false, due: Timestamp? = nil, online: Bool,
                          into out: inout [EngineOutput]) -> Call? {
        let dropped = enqueue(call, beyondCapacity: beyondCapacity, due: due)
        if call.isTransactionMessage, dropped != call, !online {
            out.append(.event(.transactionMessageQueuedOffline(action: call.actionName)))
        }
        guard let dropped, dropped.isTransactionMessage else { return nil }
        out.append(.event(.transactionMessageDropped(action: dropped.actionName, reason: .overflow)))
        return dropped
    }

    /// Marks `entry` sent and emits its CALL frame, `callSent`, and `transactionMessageReplayed`
    /// when the connection that carried it before was lost.
    mutating func send(_ entry: Entry, payload: [UInt8], now: Timestamp, timeout: Interval,
                       into out: inout [EngineOutput]) {
        let id = markSent(entry, now: now, timeout: timeout)
        let action = entry.call.actionName
        out.append(.send(Frame.encodeCall(id: id, action: action, payload: payload)))
        out.append(.event(.callSent(action: action)))
        if entry.replay { out.append(.event(.transactionMessageReplayed(action: action))) }
    }
}
