import OCPP

/// What the CSMS sent one action and what came back; summed into `CentralSystemStats.callsSent`.
public struct SentCallCounts: Sendable, Equatable {
    /// CALLs written.
    public var sent = 0
    /// CALLRESULTs that decoded as the action's response, by their `status` (`"Result"` when
    /// the response has none).
    public var results: [String: Int] = [:]
    /// CALLERRORs received, by error code.
    public var callErrors: [String: Int] = [:]
    /// CALLRESULTs that broke the response's schema.
    public var invalidResults = 0
    /// CALLs with no answer within the call timeout.
    public var timeouts = 0
    /// Calls not sent: `{openTransaction}` with no transaction open, or the queue was full.
    public var skipped = 0

    public init() {}

    public var answered: Int { results.values.reduce(0, +) + callErrors.values.reduce(0, +) + invalidResults }

    mutating func merge(_ other: SentCallCounts) {
        sent += other.sent
        results.merge(other.results, uniquingKeysWith: +)
        callErrors.merge(other.callErrors, uniquingKeysWith: +)
        invalidResults += other.invalidResults
        timeouts += other.timeouts
        skipped += other.skipped
    }
}

/// The CSMS's own CALLs on one connection, without I/O: what the scenario asks for, when, and
/// the OCPP-J rule of one outstanding CALL per direction (OCPP-J 1.6 §4.1.1, 2.0.1 §4.1.1), for
/// a connection of either version: only the calls of its version go out. The connection
/// handler reports what the charge point did (`observed`), answers (`response`) and timer
/// expiries (`timerFired`); after each it asks `nextFrame` for a CALL to write and re-arms its
/// one timer at `nextWakeup`. Time is monotonic (`now`, the loop's uptime) plus the wall
/// clock (`wall`) for `{now}` placeholders.
struct ScenarioSession {
    typealias Instant = Duration

    private struct Pending: Equatable {
        var action: VersionedAction
        var payload: JSONValue
    }

    private struct InFlight {
        var id: String
        var action: VersionedAction
        var deadline: Instant
    }

    let scenario: CentralSystemScenario
    let chargePointId: String
    /// The connection's OCPP version: only the calls of its version are sent.
    let version: OCPPVersion
    /// When the CSMS started: `at` calls are measured from here.
    let epoch: Instant
    /// Indices of the calls this charge point gets: of its version and in its share.
    private let selected: [Int]
    private var booted = false
    /// Next due time of each selected `every` or `at` call, by call index; nil when not armed.
    private var due: [Int: Instant] = [:]
    /// `at` calls already sent to this charge point (on any connection).
    private(set) var onceSent: Set<Int>
    /// Connectors (1.6 Preparing) or EVSEs (2.0.1 Occupied) where a car waits and no driver has
    /// identified yet, and when they get a remote start.
    private var preparing: [Int: Instant] = [:]
    /// Transactions seen running on this connection and not stopped, by id.
    private var openTransactions: Set<TransactionRef> = []
    private var queue: [Pending] = []
    private var inFlight: InFlight?
    private var nextId = 0
    /// The last remoteStartId of a 2.0.1 RequestStartTransaction on this connection.
    private var remoteStarts = 0
    private var closed = false

    /// Counts since the last `takeCounts()`.
    private var counts: [VersionedAction: SentCallCounts] = [:]

    /// At most this many calls wait behind the one in flight; more are skipped.
    static let queueLimit = 64

    init(scenario: CentralSystemScenario, chargePointId: String, version: OCPPVersion = .v16, epoch: Instant,
         onceSent: Set<Int> = []) {
        self.scenario = scenario
        self.chargePointId = chargePointId
        self.version = version
        self.epoch = epoch
        self.onceSent = onceSent
        self.selected = scenario.calls.indices.filter {
            scenario.calls[$0].action.version == version && scenario.selects(chargePointId, call: $0)
        }
    }

    // MARK: Events

    /// What the charge point's CALL (already answered) means for the scenario.
    mutating func observed(_ tally: MessageTally, now: Instant) {
        guard !closed else { return }
        if tally.bootAccepted { bootAccepted(now: now) }
        if let status = tally.connectorStatus, status.connectorId > 0 {
            if status.waitingForDriver {
                if preparing[status.connectorId] == nil, let remote = scenario.remoteStart {
                    preparing[status.connectorId] = now + remote.after
                }
            } else {
                preparing[status.connectorId] = nil
            }
        }
        if tally.authorizeRequested { preparing.removeAll() }
        if let connector = tally.driverIdentified { preparing[connector] = nil }
        if let started = tally.transactionStarted { openTransactions.insert(started) }
        if let stopped = tally.transactionStopped { openTransactions.remove(stopped) }
    }

    private mutating func bootAccepted(now: Instant) {
        booted = true
        for index in selected {
            let call = scenario.calls[index]
            switch call.when {
            case .boot: enqueue(call.action, call.payload)
            case .every(let interval): due[index] = now + interval
            case .at(let offset):
                if !onceSent.contains(index) { due[index] = max(epoch + offset, now) }
            }
        }
        fireDue(now: now)
    }

    /// The timer armed at `nextWakeup` went off (early or late calls are harmless).
    mutating func timerFired(now: Instant) {
        guard !closed else { return }
        if let call = inFlight, call.deadline <= now {
            counts[call.action, default: .init()].timeouts += 1
            inFlight = nil
        }
        fireDue(now: now)
    }

    private mutating func fireDue(now: Instant) {
        guard booted else { return }
        for index in selected {
            guard let at = due[index], at <= now else { continue }
            let call = scenario.calls[index]
            switch call.when {
            case .every(let interval): due[index] = at + interval <= now ? now + interval : at + interval
            case .at:
                due[index] = nil
                onceSent.insert(index)
            case .boot: due[index] = nil
            }
            enqueue(call.action, call.payload)
        }
        if let remote = scenario.remoteStart {
            for (connector, at) in preparing.sorted(by: { $0.key < $1.key }) where at <= now {
                // Once per Preparing spell: it is re-armed when the connector becomes Preparing again.
                preparing[connector] = .seconds(Int64.max)
                enqueueRemoteStart(connector: connector, idTag: remote.idTag)
            }
        }
    }

    /// The remote start of the connection's version: 1.6 RemoteStartTransaction, 2.0.1
    /// RequestStartTransaction with a Central idToken and a remoteStartId of this connection.
    private mutating func enqueueRemoteStart(connector: Int, idTag: String) {
        switch version {
        case .v16:
            enqueue(.v16(.remoteStartTransaction), .object([
                (key: "connectorId", value: .integer(Int64(connector))),
                (key: "idTag", value: .string(idTag)),
            ]))
        case .v201:
            remoteStarts += 1
            enqueue(.v201(.requestStartTransaction), .object([
                (key: "evseId", value: .integer(Int64(connector))),
                (key: "remoteStartId", value: .integer(Int64(remoteStarts))),
                (key: "idToken", value: .object([
                    (key: "idToken", value: .string(idTag)), (key: "type", value: .string("Central")),
                ])),
            ]))
        }
    }

    private mutating func enqueue(_ action: VersionedAction, _ payload: JSONValue) {
        guard queue.count < Self.queueLimit else {
            counts[action, default: .init()].skipped += 1
            return
        }
        queue.append(Pending(action: action, payload: payload))
    }

    /// Whether a CALLRESULT or CALLERROR with `id` answers our CALL; if so it is counted.
    mutating func response(_ frame: Frame) -> Bool {
        guard let call = inFlight, call.id == frame.id else { return false }
        inFlight = nil
        switch frame {
        case .callResult(_, let payload):
            if let types = call.action.payloadTypes, (try? types.response.init(json: payload)) != nil {
                let status: String = if case .string(let text) = payload["status"] { text } else { "Result" }
                counts[call.action, default: .init()].results[status, default: 0] += 1
            } else {
                counts[call.action, default: .init()].invalidResults += 1
            }
        case .callError(_, let code, _, _):
            counts[call.action, default: .init()].callErrors[code, default: 0] += 1
        case .call:
            return false
        }
        return true
    }

    /// The next CALL to write, if none is outstanding; `wall` fills `{now}` placeholders.
    mutating func nextFrame(now: Instant, wall: Timestamp) -> [UInt8]? {
        guard !closed, inFlight == nil else { return nil }
        while !queue.isEmpty {
            let next = queue.removeFirst()
            let transaction = openTransactions.min()
            if transaction == nil, ScenarioPlaceholders.needsOpenTransaction(next.payload) {
                counts[next.action, default: .init()].skipped += 1
                continue
            }
            let payload = ScenarioPlaceholders.fill(next.payload, now: wall, openTransaction: transaction?.json)
            nextId += 1
            let id = "csms-\(nextId)"
            inFlight = InFlight(id: id, action: next.action, deadline: now + scenario.callTimeout)
            counts[next.action, default: .init()].sent += 1
            var writer = JSONWriter(capacity: 256)
            writer.value(payload)
            return Frame.encodeCall(id: id, action: next.action.name, payload: writer.bytes)
        }
        return nil
    }

    /// When `timerFired` should be called next, if ever.
    var nextWakeup: Instant? {
        guard !closed else { return nil }
        // Asked after every message: no array built for it.
        var earliest = inFlight?.deadline
        if booted {
            for time in due.values where earliest.map({ time < $0 }) ?? true { earliest = time }
            for time in preparing.values where time < .seconds(Int64.max) && earliest.map({ time < $0 }) ?? true {
                earliest = time
            }
        }
        return earliest
    }

    /// The connection closed: nothing more is sent or counted.
    mutating func close() {
        closed = true
        queue.removeAll()
        inFlight = nil
    }

    /// The counts gathered since the last call, for the loop's counters.
    mutating func takeCounts() -> [VersionedAction: SentCallCounts] {
        defer { counts = [:] }
        return counts
    }
}
