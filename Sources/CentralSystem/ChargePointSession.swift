import OCPP

/// The answers of one OCPP version to a charge point's CALLs: the only part of a session that
/// differs between 1.6 (`V16CallAnswers`) and 2.0.1 (`V201CallAnswers`). Framing, ids, the
/// boot state, counting and logging are `ChargePointSession`'s and the handler's, for both.
protocol CallAnswers {
    associatedtype Action: RawRepresentable<String>
    static var version: OCPPVersion { get }
    static func versioned(_ action: Action) -> VersionedAction
    /// Whether `action` is BootNotification, the one request allowed before an accepted boot.
    static func isBootNotification(_ action: Action) -> Bool
    /// The CALLRESULT for a CALL of a known action; throws the CALLERROR to send instead.
    static func answer(_ action: Action, id: String, payload: JSONValue, now: Timestamp,
                       session: inout ChargePointSession<Self>, tally: inout MessageTally) throws(CallError) -> [UInt8]
    /// A CALLERROR in this version's vocabulary, for a violation the shared decoders report.
    static func callError(id: String, _ error: CallError) -> (frame: [UInt8], code: VersionedErrorCode)
    /// A CALLERROR for a frame whose RPC envelope is broken (or that is not JSON).
    static func frameError(id: String, _ failure: Frame.ParseFailure) -> (frame: [UInt8], code: VersionedErrorCode)
}

/// A CALLERROR code as it went on the wire: 1.6 and 2.0.1 spell some codes differently
/// (FormationViolation / FormatViolation) and 2.0.1 has two more.
public enum VersionedErrorCode: Hashable, Sendable {
    case v16(CallError.Code)
    case v201(V201.RPCErrorCode)

    public var name: String {
        switch self {
        case .v16(let code): code.rawValue
        case .v201(let code): code.rawValue
        }
    }
}

/// A transaction id as a charge point knows it: an integer the CSMS issued (1.6) or the
/// station's own string (2.0.1). Ordered so a scenario picks its `{openTransaction}` stably.
enum TransactionRef: Hashable, Comparable {
    case number(Int)
    case text(String)

    /// The id as it goes into a payload.
    var json: JSONValue {
        switch self {
        case .number(let id): .integer(Int64(id))
        case .text(let id): .string(id)
        }
    }
}

/// Protocol faults of a charge point that the CSMS still answers, by kind.
enum ProtocolViolation: Equatable {
    /// 1.6 StopTransaction for an id never issued.
    case unknownTransactionStop
    /// 2.0.1 TransactionEvent Updated/Ended for a transaction whose Started never arrived.
    case unknownTransactionEvent
    /// 2.0.1 TransactionEvent for a transaction that already ended (not a replay).
    case transactionEventAfterEnd
    /// 2.0.1 a second, different Started for a transaction.
    case repeatedTransactionStart
    /// 2.0.1 seqNo skipped numbers within a transaction.
    case seqNoGap
    /// 2.0.1 seqNo not above the transaction's last one, with other content (not a replay).
    case seqNoNotIncreasing
}

/// What one message should be counted as, recorded once per message, and what a scenario
/// (`ScenarioSession`) watches. Version independent.
struct MessageTally: Equatable {
    var action: VersionedAction?
    var unknownAction = false
    var callError: VersionedErrorCode?
    var bootAccepted = false
    var beforeBoot = false
    var violation: ProtocolViolation?
    var responseIgnored = false

    /// Authorize from the charge point: a driver presented a card.
    var authorizeRequested = false
    /// A connector (1.6) or EVSE (2.0.1) reported its status.
    var connectorStatus: ConnectorStatus?
    /// The connector or EVSE whose driver identified in a transaction message (1.6
    /// StartTransaction, 2.0.1 TransactionEvent with an idToken).
    var driverIdentified: Int?
    /// A transaction this message shows running on the charge point: 1.6 StartTransaction (a
    /// replay included), 2.0.1 any TransactionEvent of a running transaction, so a scenario on a
    /// later connection learns of a transaction started before it.
    var transactionStarted: TransactionRef?
    /// A transaction this message closed: 1.6 StopTransaction, 2.0.1 TransactionEvent Ended.
    var transactionStopped: TransactionRef?

    struct ConnectorStatus: Equatable {
        var connectorId: Int
        /// A car is there and nobody identified yet: 1.6 Preparing, 2.0.1 Occupied.
        var waitingForDriver: Bool
    }
}

/// One charge point's connection as the CSMS sees it, with no I/O: a text message in, the
/// reply bytes and a `MessageTally` out. What a message is and how it is counted is the same
/// in both versions; `Answers` says what to answer. Shared state (transactions, boots) is
/// reached through `SharedState`, whose locks are taken only for transactions and boots.
struct ChargePointSession<Answers: CallAnswers> {
    /// The answer to one message: bytes to send back (a CALLRESULT or CALLERROR), if any.
    struct Outcome {
        var reply: [UInt8]?
        var tally = MessageTally()
    }

    let chargePointId: String
    /// Whether this charge point had a boot accepted, here or on an earlier connection.
    private(set) var bootAccepted: Bool
    let shared: SharedState
    var configuration: CentralSystemConfiguration { shared.configuration }

    init(chargePointId: String, bootAccepted: Bool, shared: SharedState) {
        self.chargePointId = chargePointId
        self.bootAccepted = bootAccepted
        self.shared = shared
    }

    /// A session that learned from the registry that its charge point booted before.
    mutating func restoreBoot(_ booted: Bool) {
        bootAccepted = bootAccepted || booted
    }

    /// Records an accepted BootNotification (here and in the registry, once per charge point).
    mutating func acceptBoot(_ tally: inout MessageTally) {
        tally.bootAccepted = true
        if !bootAccepted { shared.registry.markBooted(chargePointId) }
        bootAccepted = true
    }

    /// Answers one text message, given as its parsed JSON or the reason it is not JSON.
    mutating func received(_ message: Result<JSONValue, JSONParser.Failure>, now: Timestamp) -> Outcome {
        let frame: Frame
        switch message {
        case .failure(let failure):
            // Unreadable: no id to echo, so "-1" as the OCPP-J convention goes.
            return callErrorOutcome(Answers.frameError(id: "-1", Frame.ParseFailure(
                id: nil, wasCall: false, error: CallError(.formationViolation, failure.description))))
        case .success(let json):
            do throws(Frame.ParseFailure) {
                frame = try Frame.parse(json)
            } catch {
                return malformed(json, error)
            }
        }
        switch frame {
        case .call(let id, let action, let payload):
            return call(id: id, action: action, payload: payload, now: now)
        case .callResult, .callError:
            // Answers to the scenario's CALLs were taken before (`ScenarioSession.response`):
            // this one answers nothing we sent (OCPP-J 1.6 §4.1.3).
            var outcome = Outcome()
            outcome.tally.responseIgnored = true
            return outcome
        }
    }

    private func malformed(_ json: JSONValue, _ failure: Frame.ParseFailure) -> Outcome {
        // A broken CALLRESULT or CALLERROR is not answered: a CALLERROR only answers a CALL.
        if !failure.wasCall, case .array(let elements) = json, let first = elements.first,
           case .integer(let type) = first, type == 3 || type == 4 {
            var outcome = Outcome()
            outcome.tally.responseIgnored = true
            return outcome
        }
        // Echoing an empty or over-long id would make the CALLERROR itself malformed: "-1" then.
        let usable = failure.id.flatMap { !$0.isEmpty && $0.utf8.count <= Frame.maximumIDLength ? $0 : nil }
        return callErrorOutcome(Answers.frameError(id: usable ?? "-1", failure))
    }

    private mutating func call(id: String, action name: String, payload: JSONValue, now: Timestamp) -> Outcome {
        guard let action = Answers.Action(rawValue: name) else {
            var outcome = callErrorOutcome(Answers.callError(id: id, CallError(.notImplemented, "unknown action '\(name)'")))
            outcome.tally.unknownAction = true
            return outcome
        }
        var outcome = Outcome()
        outcome.tally.action = Answers.versioned(action)
        outcome.tally.beforeBoot = !Answers.isBootNotification(action) && !bootAccepted
        do throws(CallError) {
            outcome.reply = try Answers.answer(action, id: id, payload: payload, now: now, session: &self,
                                               tally: &outcome.tally)
        } catch {
            let (frame, code) = Answers.callError(id: id, error)
            outcome.reply = frame
            outcome.tally.callError = code
        }
        return outcome
    }

    private func callErrorOutcome(_ reply: (frame: [UInt8], code: VersionedErrorCode)) -> Outcome {
        var outcome = Outcome(reply: reply.frame)
        outcome.tally.callError = reply.code
        return outcome
    }
}

extension CallAnswers {
    /// A CALLRESULT carrying `response`.
    static func result<Response: OCPPPayload>(_ id: String, _ response: Response) -> [UInt8] {
        Frame.encodeCallResult(id: id, payload: response.encoded)
    }

    /// Decodes a request whose type the `OCPP` module models, with its schema's constraints,
    /// and answers it with `answer` (the empty confirmation of a notification by default).
    static func confirm(_ action: VersionedAction, id: String, payload: JSONValue,
                        answer: String = "{}") throws(CallError) -> [UInt8] {
        guard let types = action.payloadTypes else {
            throw CallError(.notSupported, "\(action.name) is not supported by this central system")
        }
        _ = try types.request.init(json: payload)
        return Frame.encodeCallResult(id: id, payload: Array(answer.utf8))
    }
}

extension LoopCounters.Counts {
    mutating func add(_ tally: MessageTally) {
        if let action = tally.action { calls[action, default: 0] += 1 }
        if tally.unknownAction { unknownActions += 1 }
        if let code = tally.callError { callErrors[code, default: 0] += 1 }
        if tally.bootAccepted { bootsAccepted += 1 }
        if tally.beforeBoot { messagesBeforeBoot += 1 }
        if let violation = tally.violation { violations[violation, default: 0] += 1 }
        if tally.responseIgnored { responsesIgnored += 1 }
    }
}
