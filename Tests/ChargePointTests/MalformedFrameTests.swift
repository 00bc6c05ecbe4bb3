import ChargePoint
import OCPP
import Testing

@Suite("Malformed frames get the right CALLERROR and leave the engine working")
struct MalformedFrameTests {
    static let longKey = String(repeating: "K", count: 51)

    @Test("A broken CALL is answered with the CALLERROR code its fault calls for", arguments: [
        ("not json at all", "-1", "FormationViolation"),
        ("[2, \"m1\", \"Reset\", {\"type\": \"Soft\"}", "-1", "FormationViolation"),
        ("{\"type\": \"Reset\"}", "-1", "FormationViolation"),
        ("[2, 17, \"Reset\", {\"type\": \"Soft\"}]", "-1", "FormationViolation"),
        ("[2, \"\", \"Reset\", {\"type\": \"Soft\"}]", "-1", "FormationViolation"),
        ("[2, \"\(String(repeating: "x", count: 37))\", \"Reset\", {\"type\": \"Soft\"}]", "-1", "FormationViolation"),
        ("[2, \"m1\", \"Reset\"]", "m1", "FormationViolation"),
        ("[2, \"m1\", \"Reset\", {\"type\": \"Soft\"}, 5]", "m1", "FormationViolation"),
        ("[2, \"m1\", 42, {}]", "m1", "FormationViolation"),
        ("[2, \"m1\", \"Reset\", [\"Soft\"]]", "m1", "FormationViolation"),
        ("[2, \"m1\", \"Reset\", {\"type\": \"Soft\", \"when\": \"now\"}]", "m1", "FormationViolation"),
        ("[2, \"m1\", \"Reset\", {}]", "m1", "OccurenceConstraintViolation"),
        ("[2, \"m1\", \"Reset\", {\"type\": \"Warm\"}]", "m1", "PropertyConstraintViolation"),
        ("[2, \"m1\", \"Reset\", {\"type\": 1}]", "m1", "TypeConstraintViolation"),
        ("[2, \"m1\", \"ChangeAvailability\", {\"connectorId\": \"1\", \"type\": \"Operative\"}]", "m1", "TypeConstraintViolation"),
        ("[2, \"m1\", \"ChangeConfiguration\", {\"key\": \"\(longKey)\", \"value\": \"1\"}]", "m1", "TypeConstraintViolation"),
        ("[2, \"m1\", \"GetConfiguration\", {\"key\": \"HeartbeatInterval\"}]", "m1", "TypeConstraintViolation"),
        ("[2, \"m1\", \"RemoteStopTransaction\", {\"transactionId\": 1.5}]", "m1", "TypeConstraintViolation"),
        ("[2, \"m1\", \"MakeCoffee\", {}]", "m1", "NotImplemented"),
        ("[2, \"m1\", \"ReserveNow\", {\"nonsense\": true}]", "m1", "FormationViolation"),
    ])
    func brokenCall(text: String, id: String, code: String) throws {
        var csms = ScriptedCSMS.booted(heartbeat: 60)
        let replies = csms.sendRaw(text)
        #expect(replies.count == 1)
        guard case .callError(let answeredId, let answeredCode, let description, _)? = replies.first else {
            Issue.record("expected one CALLERROR, got \(replies)")
            return
        }
        #expect(answeredId == id)
        #expect(answeredCode == code)
        #expect(!description.isEmpty)
        #expect(csms.reboots.isEmpty)
        try Self.stillWorking(&csms)
    }

    @Test("Frames that are not CALLs and answer nothing of ours are ignored", arguments: [
        "[3, \"nobody-asked\", {}]",
        "[4, \"nobody-asked\", \"GenericError\", \"\", {}]",
        "[9, \"m1\", {}]",
        "[3, \"m1\"]",
    ])
    func strayFrame(text: String) throws {
        var csms = ScriptedCSMS.booted(heartbeat: 60)
        #expect(csms.sendRaw(text).isEmpty)
        try Self.stillWorking(&csms)
    }

    @Test("A malformed answer to our CALL counts as that CALL failing", arguments: [
        ("[3, \"{id}\", {\"transactionId\": 5}]", "OccurenceConstraintViolation"),
        ("[3, \"{id}\", {\"transactionId\": 5, \"idTagInfo\": {\"status\": \"Maybe\"}}]", "PropertyConstraintViolation"),
        ("[3, \"{id}\", []]", "FormationViolation"),
        ("[3, \"{id}\", {\"transactionId\": 5, \"idTagInfo\": {\"status\": \"Accepted\"}, \"x\": 1}]", "FormationViolation"),
    ])
    func malformedAnswer(text: String, code: String) throws {
        var csms = ScriptedCSMS.booted(configuration: [("TransactionMessageRetryInterval", "10")], heartbeat: 3600)
        csms.script["StartTransaction"] = [.raw(text)]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.events.contains { event in
            if case .callErrored("StartTransaction", code, _) = event { true } else { false }
        })
        csms.advance(by: .seconds(10))
        let starts = csms.calls(.startTransaction)
        #expect(starts.count == 2)
        #expect(starts.last?.payload == starts.first?.payload)
        #expect(csms.events.contains(.transactionStarted(connector: 1, transactionId: 1000)))
    }

    @Test("A CALLERROR answer to a StatusNotification is not retried and the queue moves on")
    func callErrorOnStatus() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["StatusNotification"] = [.error(.internalError)]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.actions.suffix(4) == ["StatusNotification", "Authorize", "StartTransaction", "StatusNotification"])
        #expect(csms.events.contains(.callErrored(action: "StatusNotification", code: "InternalError", latency: .zero)))
    }

    /// The engine answers the next CALL and keeps its heartbeat.
    static func stillWorking(_ csms: inout ScriptedCSMS) throws {
        let report = try csms.call(V16.GetConfigurationRequest(key: ["HeartbeatInterval"]))
        #expect(report.configurationKey?.first?.value == "60")
        let beats = csms.calls(.heartbeat).count
        csms.advance(by: .seconds(60))
        #expect(csms.calls(.heartbeat).count == beats + 1)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .charging)
    }
}
