@testable import ChargePoint
import FuzzSupport
import OCPP
import Testing

private let fuzzFrames = 6_000
private let fuzzSeed: UInt64 = 0x0CC9_2010_F022_0001

/// The 1.6 fuzz test's method on the 2.0.1 engine: valid CSMS frames of every operation in scope,
/// damaged by the shared `FrameMutator`; every answer must be well-formed, schema-valid and
/// spelled in 2.0.1's vocabulary, the engine must stay bounded, and a plain session must still work.
@Suite("Seeded frame fuzzing of the 2.0.1 engine")
struct ChargePointV201FrameFuzzTests {
    static let time = "2026-05-28T20:30:00.000Z"

    static let calls: [(action: String, payload: String)] = [
        ("GetVariables", #"{"getVariableData":[{"component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}"#),
        ("SetVariables", #"{"setVariableData":[{"attributeValue":"7","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}"#),
        ("SetVariables", #"{"setVariableData":[{"attributeValue":"5","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}"#),
        ("SetVariables", #"{"setVariableData":[{"attributeValue":"900","component":{"name":"AlignedDataCtrlr"},"variable":{"name":"Interval"}}]}"#),
        ("GetBaseReport", #"{"requestId":1,"reportBase":"FullInventory"}"#),
        ("GetReport", #"{"requestId":2,"componentCriteria":["Problem"]}"#),
        ("SetVariableMonitoring", #"{"setMonitoringData":[{"value":30,"type":"Periodic","severity":5,"component":{"name":"ClockCtrlr"},"variable":{"name":"DateTime"}}]}"#),
        ("ClearVariableMonitoring", #"{"id":[1,2]}"#),
        ("Reset", #"{"type":"OnIdle"}"#),
        ("Reset", #"{"type":"Immediate"}"#),
        ("ChangeAvailability", #"{"operationalStatus":"Inoperative","evse":{"id":1}}"#),
        ("ChangeAvailability", #"{"operationalStatus":"Operative"}"#),
        ("RequestStartTransaction", #"{"idToken":{"idToken":"APP-1","type":"Central"},"remoteStartId":3,"evseId":2}"#),
        ("RequestStopTransaction", #"{"transactionId":"CS-201-1"}"#),
        ("GetTransactionStatus", "{}"),
        ("TriggerMessage", #"{"requestedMessage":"StatusNotification","evse":{"id":1,"connectorId":1}}"#),
        ("TriggerMessage", #"{"requestedMessage":"MeterValues"}"#),
        ("UnlockConnector", #"{"evseId":1,"connectorId":1}"#),
        ("ClearCache", "{}"),
        ("SendLocalList", #"{"versionNumber":4,"updateType":"Full","localAuthorizationList":[{"idToken":{"idToken":"L1","type":"ISO14443"},"idTokenInfo":{"status":"Accepted"}}]}"#),
        ("GetLocalListVersion", "{}"),
        ("ReserveNow", #"{"id":9,"expiryDateTime":"\#(time)","idToken":{"idToken":"R","type":"ISO14443"},"evseId":2}"#),
        ("CancelReservation", #"{"reservationId":9}"#),
        ("SetChargingProfile", #"{"evseId":0,"chargingProfile":{"id":5,"stackLevel":1,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Relative","chargingSchedule":[{"id":1,"chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":7400},{"startPeriod":60,"limit":3000}]}]}}"#),
        ("ClearChargingProfile", #"{"chargingProfileId":5}"#),
        ("GetChargingProfiles", #"{"requestId":3,"chargingProfile":{}}"#),
        ("GetCompositeSchedule", #"{"duration":600,"evseId":1}"#),
        ("UpdateFirmware", #"{"requestId":7,"firmware":{"location":"https://127.0.0.1/fw","retrieveDateTime":"\#(time)"}}"#),
        ("GetLog", #"{"log":{"remoteLocation":"ftp://127.0.0.1/"},"logType":"DiagnosticsLog","requestId":8}"#),
        ("CustomerInformation", #"{"requestId":4,"report":true,"clear":false,"customerIdentifier":"c"}"#),
        ("DataTransfer", #"{"vendorId":"org.example","data":{"k":[1,2]}}"#),
        ("SetNetworkProfile", #"{"configurationSlot":1,"connectionData":{"ocppVersion":"OCPP20","ocppTransport":"JSON","ocppCsmsUrl":"ws://127.0.0.1","messageTimeout":30,"securityProfile":0,"ocppInterface":"Wired0"}}"#),
        ("CertificateSigned", #"{"certificateChain":"-----BEGIN CERTIFICATE-----"}"#),
        ("SetDisplayMessage", #"{"message":{}}"#),
        ("Heartbeat", "{}"),
        ("MakeCoffee", "{}"),
    ]

    static let results: [String: [String]] = [
        "BootNotification": [#"{"status":"Accepted","currentTime":"\#(time)","interval":7}"#,
                             #"{"status":"Pending","currentTime":"\#(time)","interval":3}"#],
        "Heartbeat": [#"{"currentTime":"\#(time)"}"#],
        "StatusNotification": ["{}"], "MeterValues": ["{}"], "NotifyReport": ["{}"], "NotifyEvent": ["{}"],
        "Authorize": [#"{"idTokenInfo":{"status":"Accepted"}}"#, #"{"idTokenInfo":{"status":"Blocked"}}"#],
        "TransactionEvent": ["{}", #"{"idTokenInfo":{"status":"Invalid"}}"#],
    ]

    @Test("Every CALL of the corpus gets a schema-valid CALLRESULT, or the CALLERROR its scope calls for")
    func corpusIsValid() throws {
        for (action, payload) in Self.calls {
            var csms = ScriptedCSMS201.booted()
            let answer = csms.send(action, try JSONParser.parse(payload))
            let known = V201.Action(rawValue: action)
            let handled = known.map { $0.payloadTypes != nil && (!$0.initiatedByChargingStation || $0 == .dataTransfer) } ?? false
            switch answer {
            case .callResult(_, let result)?:
                #expect(handled, "\(action) answered with a CALLRESULT")
                if let type = known?.payloadTypes?.response {
                    #expect(throws: Never.self, "\(action) answer") { try type.init(json: result) }
                }
            case .callError(_, let code, _, _)?:
                #expect(!handled, "\(action) \(payload) answered \(code)")
                #expect(code == (known == nil ? "NotImplemented" : "NotSupported"))
            case .call?, nil:
                Issue.record("\(action): no answer")
            }
        }
    }

    @Test("6,000 mutated frames: one valid 2.0.1 answer per CALL, bounded state, and a session still completes",
          arguments: [fuzzSeed, fuzzSeed &+ 1])
    func fuzz(seed: UInt64) throws {
        var csms = ScriptedCSMS201.booted()
        csms.latency = .seconds(3)
        csms.plugIn(1)
        csms.present("TAG-FUZZ", on: 1)
        csms.plugIn(2)
        var mutator = FrameMutator(seed: seed)
        var problems = 0
        for number in 1...fuzzFrames {
            if number % 4 == 0 { csms.advance(by: .seconds(1)) }
            if !csms.isConnected { csms.advance(by: .seconds(1)); csms.connect() }
            let frame = nextFrame(number: number, engine: csms.engine, random: &mutator.random)
            let bytes = mutator.mutate(frame)
            let sent = csms.sendRaw(bytes)
            if let problem = Self.check(input: bytes, answers: sent, queue: csms.engine.queue.count) {
                problems += 1
                Issue.record("seed \(seed) frame \(number) (\(mutator.applied.joined(separator: ", "))): \(problem)\nin: \(FrameMutator.show(bytes))")
                if problems >= 10 { break }
            }
        }
        // Undo what the fuzz set, then a plain session.
        csms.latency = .zero
        csms.advance(by: .seconds(40))
        if !csms.isConnected { csms.connect() }
        // A Pending boot the fuzz answered is retried after its interval (at most the 60 s boot retry).
        for _ in 0..<120 where !csms.engine.isAccepted { csms.advance(by: .seconds(1)) }
        let accepted = csms.engine.isAccepted
        #expect(accepted)
        for (component, variable, value) in [("OCPPCommCtrlr", "HeartbeatInterval", "300"), ("SampledDataCtrlr", "TxUpdatedInterval", "60"),
                                             ("AlignedDataCtrlr", "Interval", "0")] {
            let result = try csms.call(V201.SetVariablesRequest(setVariableData: [V201.SetVariableData(
                attributeValue: value, component: V201.Component(name: component), variable: V201.Variable(name: variable))]))
            #expect(result.setVariableResult.first?.attributeStatus == .accepted)
        }
        _ = try csms.call(V201.ChangeAvailabilityRequest(operationalStatus: .operative))
        _ = try csms.call(V201.ClearChargingProfileRequest(chargingProfileCriteria: V201.ClearChargingProfile()))
        for evse in 1...2 { csms.unplug(evse) }
        // A Reset OnIdle from the fuzz reboots the station once its transactions are over.
        csms.advance(by: .seconds(2))
        if !csms.isConnected { csms.connect() }
        _ = try csms.call(V201.CancelReservationRequest(reservationId: 9))
        csms.advance(by: .seconds(900))
        let (queued, pending, open, monitors) = (csms.engine.queue.count, csms.engine.pendingTransactionMessages,
                                                 csms.engine.openTransactions, csms.engine.monitors.count)
        #expect(queued == 0 && pending == 0 && open == 0)
        #expect(monitors <= ChargePointV201.monitorCapacity)

        let before = csms.calls.count
        csms.plugIn(1)
        csms.present("FINAL", on: 1)
        csms.advance(by: .seconds(30))
        csms.present("FINAL", on: 1)
        let events = try csms.calls[before...].filter { $0.action == "TransactionEvent" }
            .map { try V201.TransactionEventRequest(json: $0.payload) }
        #expect(events.first?.eventType == .started && events.last?.eventType == .ended)
        #expect(events.map(\.seqNo) == Array(0..<events.count))
    }

    private func nextFrame(number: Int, engine: ChargePointV201, random: inout SplitMix64) -> JSONValue {
        let id = "fz-\(number)"
        let flight = engine.queue.inFlight
        let roll = random.below(100)
        if roll < (flight == nil ? 85 : 55) {
            let (action, payload) = random.pick(Self.calls)
            var json = try! JSONParser.parse(payload)
            if action == "RequestStopTransaction", let open = engine.evses.compactMap(\.transaction?.id).first, random.below(2) == 0 {
                json = .object([("transactionId", .string(open))])
            }
            return .array([.integer(2), .string(id), .string(action), json])
        }
        let answerId = flight.map(\.id).flatMap { random.below(5) > 0 ? $0 : nil } ?? "\(9_000_000 + number)"
        if roll < 90, let action = flight?.call.action.rawValue, let payloads = Self.results[action] {
            return .array([.integer(3), .string(answerId), try! JSONParser.parse(random.pick(payloads))])
        }
        let code = random.pick(V201.RPCErrorCode.allCases).rawValue
        return .array([.integer(4), .string(answerId), .string(code), .string("fuzz"), .object([])])
    }

    /// Answers must be OCPP-J, at most one, with 2.0.1 codes; a CALL (or an unreadable text, or an
    /// unknown MessageTypeId, which 2.0.1 answers MessageTypeNotSupported) gets exactly one.
    static func check(input: [UInt8], answers: [Frame], queue: Int) -> String? {
        guard answers.count <= 1 else { return "\(answers.count) answers to one frame" }
        let shape = InputShape(input)
        var unknownType = false
        if case .array(let elements)? = try? JSONParser.parse(input), elements.count > 1, case .string = elements[1],
           case .integer(let type) = elements[0], ![2, 3, 4].contains(type) { unknownType = true }
        let owed = shape.owedAnswer || unknownType
        if owed, answers.isEmpty { return "no answer" }
        if !owed, let answer = answers.first { return "a frame that is not a CALL was answered: \(answer)" }
        if let answer = answers.first, answer.id != shape.answerId { return "answer id \(answer.id), expected \(shape.answerId)" }
        if case .callError(_, let code, _, _)? = answers.first, V201.RPCErrorCode(rawValue: code) == nil {
            return "CALLERROR code \(code) is not a 2.0.1 code"
        }
        if case .callResult(_, let payload)? = answers.first, case .call(_, let name, _)? = try? Frame.parse(input) {
            guard let type = V201.Action(rawValue: name)?.payloadTypes?.response else { return "\(name) answered with a CALLRESULT" }
            do throws(CallError) { _ = try type.init(json: payload) } catch { return "the \(name) answer breaks its schema: \(error)" }
        }
        if queue > EngineSettings().queueCapacity { return "\(queue) calls queued" }
        return nil
    }
}
