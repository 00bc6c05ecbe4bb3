@testable import ChargePoint
import OCPP
import FuzzSupport
import Testing

/// Frames thrown at the engine, and the seed they are made from. Change the seed to explore;
/// a failure names the seed, the frame number and the frame.
private let fuzzFrames = 10_000
private let fuzzSeed: UInt64 = 0x0CC9_16F1_EE70_0001

@Suite("Seeded frame fuzzing of the charge point engine")
struct ChargePointFrameFuzzTests {
    static let time = "2026-05-28T20:30:00.000Z"

    /// CALLs a Central System may send: every Core CSMS-initiated action with a valid payload,
    /// CALLs of other profiles, CALLs only a charge point sends, and an unknown action.
    static let calls: [(action: String, payload: String)] = [
        ("ChangeAvailability", #"{"connectorId":1,"type":"Inoperative"}"#),
        ("ChangeAvailability", #"{"connectorId":0,"type":"Operative"}"#),
        ("ChangeAvailability", #"{"connectorId":2,"type":"Operative"}"#),
        ("ChangeConfiguration", #"{"key":"HeartbeatInterval","value":"7"}"#),
        ("ChangeConfiguration", #"{"key":"MeterValueSampleInterval","value":"5"}"#),
        ("ChangeConfiguration", #"{"key":"MeterValuesSampledData","value":"Energy.Active.Import.Register,Power.Active.Import,SoC"}"#),
        ("ChangeConfiguration", #"{"key":"ConnectionTimeOut","value":"45"}"#),
        ("ChangeConfiguration", #"{"key":"ClockAlignedDataInterval","value":"900"}"#),
        ("ChangeConfiguration", #"{"key":"AuthorizeRemoteTxRequests","value":"true"}"#),
        ("ChangeConfiguration", #"{"key":"NumberOfConnectors","value":"4"}"#),
        ("ChangeConfiguration", #"{"key":"NoSuchKey","value":"1"}"#),
        ("ClearCache", "{}"),
        ("DataTransfer", #"{"vendorId":"ocpp-fleet","messageId":"Echo","data":"ping"}"#),
        ("DataTransfer", #"{"vendorId":"com.example","data":"x"}"#),
        ("GetConfiguration", "{}"),
        ("GetConfiguration", #"{"key":["HeartbeatInterval","MeterValueSampleInterval","Nope"]}"#),
        ("RemoteStartTransaction", #"{"connectorId":1,"idTag":"REMOTE-1"}"#),
        ("RemoteStartTransaction", #"{"idTag":"REMOTE-2"}"#),
        ("RemoteStartTransaction", #"{"connectorId":2,"idTag":"REMOTE-3","chargingProfile":{"chargingProfileId":7,"#
            + #""stackLevel":0,"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Absolute","chargingSchedule":"#
            + #"{"duration":3600,"startSchedule":"\#(time)","chargingRateUnit":"A","chargingSchedulePeriod":"#
            + #"[{"startPeriod":0,"limit":16.0,"numberPhases":3}],"minChargingRate":6.1}}}"#),
        ("RemoteStopTransaction", #"{"transactionId":1000}"#),
        ("Reset", #"{"type":"Soft"}"#),
        ("Reset", #"{"type":"Hard"}"#),
        ("UnlockConnector", #"{"connectorId":1}"#),
        ("UnlockConnector", #"{"connectorId":2}"#),
        ("TriggerMessage", #"{"requestedMessage":"StatusNotification","connectorId":1}"#),
        ("SetChargingProfile", #"{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"#
            + #""chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Relative","chargingSchedule":"#
            + #"{"chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":7400}]}}}"#),
        ("ClearChargingProfile", "{}"),
        ("GetCompositeSchedule", #"{"connectorId":1,"duration":60}"#),
        ("ReserveNow", #"{"connectorId":1,"expiryDate":"\#(time)","idTag":"RES-1","reservationId":1}"#),
        ("CancelReservation", #"{"reservationId":1}"#),
        ("GetLocalListVersion", "{}"),
        ("SendLocalList", #"{"listVersion":1,"updateType":"Full"}"#),
        ("GetDiagnostics", #"{"location":"ftp://example.com/logs/"}"#),
        ("UpdateFirmware", #"{"location":"https://example.com/fw.bin","retrieveDate":"\#(time)"}"#),
        ("ExtendedTriggerMessage", #"{"requestedMessage":"Heartbeat"}"#),
        ("Heartbeat", "{}"),
        ("BootNotification", #"{"chargePointVendor":"x","chargePointModel":"y"}"#),
        ("StartTransaction", #"{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"\#(time)"}"#),
        ("MakeCoffee", #"{"sugar":2}"#),
    ]

    /// CALLRESULT payloads answering each action the engine sends.
    static let results: [String: [String]] = [
        "BootNotification": [#"{"status":"Accepted","currentTime":"\#(time)","interval":7}"#,
                             #"{"status":"Pending","currentTime":"\#(time)","interval":3}"#],
        "Heartbeat": [#"{"currentTime":"\#(time)"}"#],
        "StatusNotification": ["{}"],
        "Authorize": [#"{"idTagInfo":{"status":"Accepted","expiryDate":"\#(time)","parentIdTag":"PARENT"}}"#,
                      #"{"idTagInfo":{"status":"Blocked"}}"#],
        "StartTransaction": [#"{"idTagInfo":{"status":"Accepted"},"transactionId":4242}"#,
                             #"{"idTagInfo":{"status":"Invalid"},"transactionId":4243}"#],
        "StopTransaction": [#"{"idTagInfo":{"status":"Accepted"}}"#, "{}"],
        "MeterValues": ["{}"],
    ]

    @Test("Every Core CALL of the fuzz corpus is valid: a booted engine answers it with a CALLRESULT")
    func corpusIsValid() throws {
        for (action, payload) in Self.calls {
            var csms = ScriptedCSMS.booted()
            let answer = csms.send(action, try JSONParser.parse(payload))
            // Every modelled CSMS-initiated action is handled; the others are NotSupported.
            let handled = V16.Action(rawValue: action).map { !$0.initiatedByChargePoint && $0.payloadTypes != nil } ?? false
            if handled || action == "DataTransfer" {
                guard case .callResult? = answer else {
                    Issue.record("\(action) \(payload) was answered with \(String(describing: answer))")
                    continue
                }
            } else {
                guard case .callError(_, let code, _, _)? = answer else {
                    Issue.record("\(action) \(payload) was answered with \(String(describing: answer))")
                    continue
                }
                #expect(code == (V16.Action(rawValue: action) == nil ? "NotImplemented" : "NotSupported"))
            }
        }
        for (action, payloads) in Self.results {
            for payload in payloads {
                let type = try #require(V16.Action(rawValue: action)?.payloadTypes?.response)
                _ = try type.init(json: try JSONParser.parse(payload))
            }
        }
    }

    @Test("A BootNotification.conf interval beyond HeartbeatInterval's range is capped, not an overflow",
          arguments: [V16.RegistrationStatus.accepted, .pending])
    func hugeBootInterval(status: V16.RegistrationStatus) {
        var csms = ScriptedCSMS(connectors: 2)
        csms.script["BootNotification"] = [.conf(V16.BootNotificationResponse(status: status, currentTime: ScriptedCSMS.start,
                                                                               interval: .max))]
        csms.connect()
        #expect(csms.engine.isAccepted == (status == .accepted))
        #expect(csms.engine.nextWakeup == ScriptedCSMS.start + .seconds(Int(Int32.max)))
    }

    // The seed is the test's argument, so a failure report names it.
    @Test("10,000 mutated frames from the CSMS: valid answers only, one per readable CALL, and a session still completes",
          arguments: [fuzzSeed])
    func fuzz(seed: UInt64) throws {
        // A boot the fuzz broke is retried after 5 s, not 60, so the engine is mostly registered.
        var csms = ScriptedCSMS.booted(settings: EngineSettings(bootRetry: .seconds(5)),
                                       configuration: [("MeterValueSampleInterval", "5")], heartbeat: 7)
        // Answers take 3 s, so the engine often has a CALL in flight for the fuzzer to answer.
        csms.latency = .seconds(3)
        csms.plugIn(1)
        csms.present("TAG-FUZZ", on: 1)
        csms.plugIn(2)
        csms.advance(by: .seconds(5))

        var mutator = FrameMutator(seed: seed)
        var problems = 0
        var peakQueue = 0
        let queueBound = EngineSettings().queueCapacity + ScriptedCSMS.identity.connectors + 1
        for number in 1...fuzzFrames {
            if number % 4 == 0 { csms.advance(by: .seconds(1)) }
            // After a reset the scripted CSMS reconnects by itself within a second.
            for _ in 0..<10 where !csms.isConnected { csms.advance(by: .seconds(1)) }
            try #require(csms.isConnected, "seed \(seed) frame \(number): the engine did not reconnect")

            let frame = nextFrame(number: number, engine: csms.engine, random: &mutator.random)
            let bytes = mutator.mutate(frame)
            let before = csms.wire.count
            csms.sendRaw(bytes)
            let sent = csms.wire[before...].filter(\.fromEngine).map(\.bytes)
            peakQueue = max(peakQueue, csms.engine.queue.count)
            if let problem = Self.check(input: bytes, sent: sent, queue: csms.engine.queue.count, bound: queueBound) {
                problems += 1
                Issue.record("""
                    seed \(seed) frame \(number) (\(mutator.applied.joined(separator: ", "))): \(problem)
                    in:  \(FrameMutator.show(bytes))
                    out: \(sent.map(FrameMutator.show).joined(separator: "\n     "))
                    """)
                if problems >= 10 { break }
            }
        }

        // No power cycle: the CSMS only takes back what the fuzz told the charge point (settings,
        // availability), and the driver unplugs.
        csms.latency = .zero
        csms.advance(by: .seconds(40))
        for _ in 0..<10 where !csms.isConnected { csms.advance(by: .seconds(1)) }
        #expect(csms.engine.isAccepted)
        for (key, value) in [("HeartbeatInterval", "300"), ("MeterValueSampleInterval", "60"),
                             ("ClockAlignedDataInterval", "0"), ("AuthorizeRemoteTxRequests", "false"),
                             ("ConnectionTimeOut", "60")] {
            #expect(try csms.call(V16.ChangeConfigurationRequest(key: key, value: value)).status == .accepted)
        }
        #expect(try csms.call(V16.ChangeAvailabilityRequest(connectorId: 0, type: .operative)).status == .accepted)
        for connector in 1...2 {
            _ = try csms.call(V16.ChangeAvailabilityRequest(connectorId: connector, type: .operative))
            csms.unplug(connector)
        }
        // Transaction messages left from the fuzz are delivered, or dropped after their attempts.
        csms.advance(by: .seconds(600))

        // Bounded: nothing queued, no transaction records or cached tags beyond their limits.
        let engine = csms.engine
        #expect(engine.queue.count == 0 && engine.queue.isIdle)
        #expect(engine.pendingTransactionMessages == 0)
        #expect(engine.transactions.isEmpty)
        #expect(engine.openTransactions == 0)
        #expect(engine.authorizationCache.count <= ChargePointV16.authorizationCacheCapacity)
        #expect(peakQueue <= queueBound)

        // A plain session: plug, tag, Authorize, StartTransaction, the same tag again, StopTransaction.
        let callsBefore = csms.calls.count
        let eventsBefore = csms.events.count
        csms.plugIn(1)
        csms.present("FINAL-TAG", on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .charging)
        csms.advance(by: .seconds(120))
        csms.present("FINAL-TAG", on: 1)
        csms.advance(by: .seconds(5))
        let session = csms.calls[callsBefore...].map(\.action).filter {
            ["Authorize", "StartTransaction", "StopTransaction"].contains($0)
        }
        #expect(session == ["Authorize", "StartTransaction", "StopTransaction"])
        let started = csms.events[eventsBefore...].compactMap { event -> Int? in
            if case .transactionStarted(1, let id) = event { id } else { nil }
        }
        let stopped = csms.events[eventsBefore...].compactMap { event -> Int? in
            if case .transactionStopped(1, let id) = event { id } else { nil }
        }
        #expect(started.count == 1 && started == stopped)
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    /// The next unmutated frame: mostly a CSMS CALL, else an answer to the engine's CALL in
    /// flight (valid, or a CALLERROR), or an answer to nothing.
    private func nextFrame(number: Int, engine: ChargePointV16, random: inout SplitMix64) -> JSONValue {
        let id = "fz-\(number)"
        let flight = engine.queue.inFlight
        let roll = random.below(100)
        if roll < (flight == nil ? 85 : 55) {
            let (action, payload) = random.pick(Self.calls)
            var json = try! JSONParser.parse(payload)
            if action == "RemoteStopTransaction" {
                // Mostly a transaction the engine knows of.
                let known = engine.transactions.compactMap(\.transactionId)
                if !known.isEmpty, random.below(4) > 0 { json = .object([("transactionId", .integer(Int64(random.pick(known))))]) }
            }
            return .array([.integer(2), .string(id), .string(action), json])
        }
        // An id the engine is waiting for, or one it never used.
        let answerId = flight.map(\.id).flatMap { random.below(5) > 0 ? $0 : nil } ?? "\(9_000_000 + number)"
        if roll < 90, let action = flight?.call.action.rawValue, let payloads = Self.results[action] {
            return .array([.integer(3), .string(answerId), try! JSONParser.parse(random.pick(payloads))])
        }
        let code = random.pick(CallError.Code.allCases).rawValue
        return .array([.integer(4), .string(answerId), .string(code), .string("fuzz"), .object([])])
    }

    /// The properties every frame must keep. Nil when they hold.
    static func check(input: [UInt8], sent: [[UInt8]], queue: Int, bound: Int) -> String? {
        var answers: [Frame] = []
        for bytes in sent {
            let frame: Frame
            do {
                frame = try Frame.parse(bytes)
            } catch {
                return "the engine wrote a frame that is not OCPP-J: \(error.error)"
            }
            switch frame {
            case .call:
                break  // the engine's own CALL: the scripted CSMS checks its schema and that it is alone
            case .callResult:
                answers.append(frame)
            case .callError(_, let code, _, let details):
                guard CallError.Code(rawValue: code) != nil else { return "CALLERROR code \(code) is not an OCPP-J code" }
                guard case .object = details else { return "CALLERROR details are not an object" }
                answers.append(frame)
            }
        }
        guard answers.count <= 1 else { return "\(answers.count) answers to one frame" }
        let shape = InputShape(input)
        if shape.owedAnswer, answers.isEmpty { return "a CALL (or an unreadable frame) got no answer" }
        if !shape.owedAnswer, let answer = answers.first { return "a frame that is not a CALL was answered: \(answer)" }
        if let answer = answers.first, answer.id != shape.answerId {
            return "the answer's id is \(answer.id), expected \(shape.answerId)"
        }
        if let answer = answers.first, case .call(_, let name, _)? = try? Frame.parse(input),
           case .callResult(_, let payload) = answer {
            guard let action = V16.Action(rawValue: name),
                  action == .dataTransfer || !action.initiatedByChargePoint else {
                return "\(name) was answered with a CALLRESULT"
            }
            do throws(CallError) {
                try ScriptedCSMS.validateResponse(to: action, payload)
            } catch {
                return "the \(name) CALLRESULT breaks its schema: \(error)"
            }
        }
        if queue > bound { return "\(queue) calls queued, more than \(bound)" }
        return nil
    }
}

/// What a received text says about the answer it is owed, read without `Frame.parse`.
/// The id rule of both sides: echo the unique id when it is a string of 1 to 36 bytes,
/// else answer "-1" (OCPP-J 1.6 §4.2.3).
struct InputShape {
    /// The first element is the integer 2 and the second a string: a CALL the receiver can answer.
    var readableCall = false
    /// Nothing says which message this was (not JSON, not an array, or no string unique id).
    var unidentified = true
    var answerId = "-1"

    init(_ bytes: [UInt8]) {
        guard case .array(let elements)? = try? JSONParser.parse(bytes),
              elements.count > 1, case .string(let id) = elements[1] else { return }
        unidentified = false
        // Not `==`: JSONValue equates 2.0 with 2, and only the integer 2 makes a CALL.
        if case .integer(2) = elements[0] { readableCall = true }
        if !id.isEmpty, id.utf8.count <= Frame.maximumIDLength { answerId = id }
    }

    /// The engine answers every CALL and, with "-1", every text it cannot identify; a frame
    /// with a unique id that is not a CALL is a (possibly broken) answer and gets none.
    var owedAnswer: Bool { readableCall || unidentified }
}
