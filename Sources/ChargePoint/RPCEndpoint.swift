import OCPP

/// The OCPP-J RPC side both engine versions share (OCPP-J 1.6 §4, OCPP-J 2.0.1 §4): a frame in
/// is a CALL to answer, or the answer to our one CALL in flight; an answer that matches none is
/// the backend's fault, told apart from the late answer to a CALL that timed out. What differs
/// per version (the actions, the CALLERROR vocabulary, what a failed CALL leads to) are the
/// requirements; the routing and the telemetry of answers are written once, here.
protocol RPCEndpoint {
    associatedtype Call: QueueableCall

    var queue: OutboundQueue<Call> { get set }
    var recentTimeouts: RecentTimeouts { get set }

    /// A CALL from the CSMS: answer it (CALLRESULT or CALLERROR).
    mutating func handleCall(id: String, action: String, payload: JSONValue, frame: [UInt8], now: Timestamp,
                             into out: inout [EngineOutput])
    /// The CALLRESULT of our CALL in flight: decode it against the response's schema (a thrown
    /// error makes it an invalid result) and act on it.
    mutating func handleResult(_ call: Call, payload: JSONValue, frame: [UInt8], now: Timestamp,
                               into out: inout [EngineOutput]) throws(CallError)
    /// A text frame that is no OCPP-J message: fault it, answer it in this version's vocabulary,
    /// or fail our CALL when it was meant as its answer.
    mutating func receivedBroken(_ failure: Frame.ParseFailure, _ frame: [UInt8], now: Timestamp,
                                 into out: inout [EngineOutput])
    /// The CALL in flight timed out, got a CALLERROR or an invalid result.
    mutating func callFailed(now: Timestamp, into out: inout [EngineOutput])
    /// Sends the next queued CALL if the slot is free.
    mutating func pump(now: Timestamp, into out: inout [EngineOutput])
    /// A CALLERROR code as this version spells it on the wire and in telemetry.
    static func wireName(of code: CallError.Code) -> String
}

extension RPCEndpoint {
    /// One text frame from the CSMS, then the next queued CALL if the slot came free.
    mutating func receive(_ text: [UInt8], now: Timestamp, into out: inout [EngineOutput]) {
        let frame: Frame
        do {
            frame = try Frame.parse(text)
        } catch {
            receivedBroken(error, text, now: now, into: &out)
            pump(now: now, into: &out)
            return
        }
        switch frame {
        case let .call(id, action, payload):
            handleCall(id: id, action: action, payload: payload, frame: text, now: now, into: &out)
        case let .callResult(id, payload):
            guard let flight = answered(id, else: .unmatchedResult, text, into: &out) else { break }
            do throws(CallError) {
                try handleResult(flight.call, payload: payload, frame: text, now: now, into: &out)
                _ = queue.complete()
                out.append(.event(.callCompleted(action: flight.call.actionName, latency: now - flight.sentAt,
                                                 sinceDue: flight.due.map { now - $0 })))
            } catch {
                fault(.invalidResult, text, into: &out)
                out.append(.event(.callErrored(action: flight.call.actionName, code: Self.wireName(of: error.code),
                                               latency: now - flight.sentAt)))
                callFailed(now: now, into: &out)
            }
        case let .callError(id, code, _, _):
            guard let flight = answered(id, else: .unmatchedError, text, into: &out) else { break }
            out.append(.event(.callErrored(action: flight.call.actionName, code: code, latency: now - flight.sentAt)))
            callFailed(now: now, into: &out)
        }
        pump(now: now, into: &out)
    }

    /// The CALL in flight that an answer with `id` belongs to; nil, and a fault (a late answer
    /// to a recent timeout, else `unmatched`), when there is none.
    private mutating func answered(_ id: String, else unmatched: ProtocolFaultKind, _ frame: [UInt8],
                                   into out: inout [EngineOutput]) -> OutboundQueue<Call>.InFlight? {
        if let flight = queue.inFlight, flight.id == id { return flight }
        fault(recentTimeouts.take(id) ? .lateAnswer : unmatched, frame, into: &out)
        return nil
    }

    /// Fails the CALL in flight once its answer is overdue (remembering its id, so an answer
    /// that still comes counts as late rather than unmatched).
    mutating func expireCallInFlight(now: Timestamp, into out: inout [EngineOutput]) {
        guard let flight = queue.inFlight, flight.deadline <= now else { return }
        out.append(.event(.callTimedOut(action: flight.call.actionName)))
        recentTimeouts.insert(flight.id)
        callFailed(now: now, into: &out)
    }

    /// Reports a fault of the CSMS with a redacted, truncated excerpt of `frame`; only faults
    /// pay for the excerpt.
    func fault(_ kind: ProtocolFaultKind, _ frame: [UInt8], into out: inout [EngineOutput]) {
        out.append(.event(.protocolFault(kind: kind, sample: FrameExcerpt.redacted(frame, limit: ProtocolFaultKind.sampleLimit))))
    }
}

extension ProtocolFaultKind {
    /// The fault a text frame that did not parse as an OCPP-J message stands for: a broken
    /// CALLRESULT to our CALL in flight (`inFlight`, its id) is an invalid result.
    init(_ failure: Frame.ParseFailure, inFlight: String?) {
        switch failure.messageTypeId {
        case 2?: self = .invalidCall
        case 3?: self = failure.id != nil && failure.id == inFlight ? .invalidResult : .malformedFrame
        case 4?, nil: self = .malformedFrame
        case _?: self = .unknownMessageType
        }
    }
}

extension OutboundQueue {
    /// The CALL in flight failed: a transaction message goes back to the head to be tried again
    /// `retryInterval` × attempt seconds later, up to `attempts` tries (OCPP 1.6 §4.7
    /// TransactionMessageAttempts, 2.0.1 E13.FR.04 MessageAttempts), then it is dropped.
    /// Returns the call given up (the caller follows it up), nil when it is retried.
    mutating func failInFlight(now: Timestamp, attempts: Int, retryInterval: Int,
                               into out: inout [EngineOutput]) -> InFlight? {
        guard let flight = inFlight else { return nil }
        if flight.call.isTransactionMessage {
            if flight.attempt < attempts {
                retryInFlight(now: now, delay: .seconds(retryInterval) * flight.attempt)
                return nil
            }
            out.append(.event(.transactionMessageDropped(action: flight.call.actionName, reason: .attemptsExhausted)))
        }
        return complete()
    }
}
