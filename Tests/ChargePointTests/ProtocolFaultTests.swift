import ChargePoint
import OCPP
import Testing

/// The backend's own protocol faults: each kind the engine can see, on the virtual clock.
@Suite("The Central System's protocol faults, counted by kind")
struct ProtocolFaultTests {
    @Test("A CALLRESULT or CALLERROR for an id we never sent is unmatched, and not answered")
    func unmatched() {
        var csms = ScriptedCSMS.booted()
        #expect(csms.sendRaw(#"[3,"nope",{"currentTime":"2026-01-01T00:00:00Z"}]"#).isEmpty)
        #expect(csms.sendRaw(#"[4,"nope","GenericError","",{}]"#).isEmpty)
        #expect(csms.faults.map(\.kind) == [.unmatchedResult, .unmatchedError])
        #expect(csms.faults[0].sample == #"[3,"nope",{"currentTime":"2026-01-01T00:00:00Z"}]"#)
    }

    @Test("An answer after its CALL timed out is late, once; the same answer again is unmatched")
    func lateAnswer() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(10)), heartbeat: 60)
        csms.script["Heartbeat"] = [.hold]
        csms.advance(by: .seconds(60))
        let beat = try #require(csms.held.first)
        csms.advance(by: .seconds(10))
        #expect(csms.events.contains(.callTimedOut(action: "Heartbeat")))
        #expect(csms.faults.isEmpty)

        csms.answer(beat, with: .conf(V16.HeartbeatResponse(currentTime: csms.now)))
        #expect(csms.faults.map(\.kind) == [.lateAnswer])
        _ = csms.sendRaw(#"[3,"\#(beat.id)",{"currentTime":"2026-01-01T00:00:00Z"}]"#)
        #expect(csms.faults.map(\.kind) == [.lateAnswer, .unmatchedResult])
        // A late CALLERROR counts as late too.
        csms.script["Heartbeat"] = [.hold]
        csms.advance(by: .seconds(60))
        let second = try #require(csms.held.first)
        csms.advance(by: .seconds(10))
        _ = csms.sendRaw(#"[4,"\#(second.id)","InternalError","",{}]"#)
        #expect(csms.faults.map(\.kind) == [.lateAnswer, .unmatchedResult, .lateAnswer])
    }

    @Test("An unknown MessageTypeId, or a frame that is no OCPP-J message, is a fault")
    func unknownTypeAndMalformed() {
        var csms = ScriptedCSMS.booted()
        #expect(csms.sendRaw(#"[7,"x",{}]"#).isEmpty)
        _ = csms.sendRaw("not json at all")
        #expect(csms.faults.map(\.kind) == [.unknownMessageType, .malformedFrame])
        #expect(csms.faults[0].sample == #"[7,"x",{}]"#)
    }

    @Test("A CALLRESULT that breaks its schema is a CALLERROR of the call and an invalidResult fault")
    func invalidResult() {
        var csms = ScriptedCSMS.booted(heartbeat: 60)
        csms.script["Heartbeat"] = [.raw(#"[3,"{id}",{"currentTime":"yesterday"}]"#)]
        csms.advance(by: .seconds(60))
        #expect(csms.faults.map(\.kind) == [.invalidResult])
        #expect(csms.events.contains {
            if case .callErrored(action: "Heartbeat", code: _, latency: _) = $0 { true } else { false }
        })
        // A CALLRESULT to our call whose frame is broken (payload not an object) too.
        csms.script["Heartbeat"] = [.raw(#"[3,"{id}",[]]"#)]
        csms.advance(by: .seconds(60))
        #expect(csms.faults.map(\.kind) == [.invalidResult, .invalidResult])
    }

    @Test("A CALL that breaks its schema, is sent the wrong way, or names an unknown action")
    func invalidCalls() {
        var csms = ScriptedCSMS.booted()
        _ = csms.sendRaw(#"[2,"a","Reset",{"type":"Sideways"}]"#)
        _ = csms.sendRaw(#"[2,"b","Heartbeat",{}]"#)
        _ = csms.sendRaw(#"[2,"c","SelfDestruct",{}]"#)
        _ = csms.sendRaw(#"[2,"d","Heartbeat",[]]"#)
        #expect(csms.faults.map(\.kind) == [.invalidCall, .invalidCall, .unknownAction, .invalidCall])
        // A valid CALL refused for a reason of ours is no fault of the CSMS.
        _ = csms.sendRaw(#"[2,"e","GetConfiguration",{"key":["HeartbeatInterval"]}]"#)
        #expect(csms.faults.count == 4)
    }

    @Test("StartTransaction.conf with the id of another open transaction is an invalid transaction id")
    func duplicateTransactionId() {
        var csms = ScriptedCSMS.booted()
        let accepted = V16.IdTagInfo(status: .accepted)
        csms.script["StartTransaction"] = [.conf(V16.StartTransactionResponse(idTagInfo: accepted, transactionId: 7)),
                                           .conf(V16.StartTransactionResponse(idTagInfo: accepted, transactionId: 7))]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.faults.isEmpty)
        csms.plugIn(2)
        csms.present("TAG-2", on: 2)
        #expect(csms.faults.map(\.kind) == [.invalidTransactionId])
    }

    @Test("Samples are truncated and never carry the AuthorizationKey or a password")
    func redactedSamples() {
        var csms = ScriptedCSMS.booted()
        _ = csms.sendRaw(#"[2,"k","ChangeConfiguration",{"key":"AuthorizationKey","value":"s3cr3t-passw0rd","x":1}]"#)
        _ = csms.sendRaw(#"[2,"p","Reset",{"type":"Hard","password":"hunter2"}]"#)
        _ = csms.sendRaw(#"[2,"q","Reset",{"password":"hunter2""#)
        _ = csms.sendRaw("[3,\"long\",{\"data\":\"" + String(repeating: "é", count: 300) + "\"}]")
        let samples = csms.faults.map(\.sample)
        #expect(samples.count == 4)
        #expect(samples.allSatisfy { !$0.contains("s3cr3t") && !$0.contains("hunter2") }, "\(samples)")
        #expect(samples[0].contains(#""value":"***""#))
        #expect(samples[2] == #"[2,"q","Reset",{"password***"#)
        #expect(samples[3].utf8.count <= ProtocolFaultKind.sampleLimit + "…".utf8.count)
        #expect(samples[3].hasSuffix("…"))
    }

    @Test("A scheduled CALL kept waiting behind a slow answer reports the time since it fell due")
    func responseFromIntended() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 300)
        csms.latency = .seconds(1)
        let start = csms.now
        csms.advance(by: .seconds(290))
        csms.script["StatusNotification"] = [.hold]
        csms.plugIn(1)
        let status = try #require(csms.held.first)
        csms.advance(to: start + .seconds(305))  // the heartbeat fell due at 300, behind the status
        #expect(csms.calls(.heartbeat).isEmpty)
        csms.answer(status, with: .conf(V16.StatusNotificationResponse()))
        csms.advance(by: .seconds(5))
        let beats = csms.events.compactMap { event -> (Interval, Interval?)? in
            if case let .callCompleted("Heartbeat", latency, sinceDue) = event { (latency, sinceDue) } else { nil }
        }
        // Sent at 306 (after the status's answer at 306), answered at 307: 1 s on the wire, 7 s since due.
        #expect(beats.count == 1)
        #expect(beats.first?.0 == .seconds(1))
        #expect(beats.first?.1 == .seconds(7))
        // The status notification of a plug-in is a behaviour event: timed from its enqueueing.
        let statuses = csms.events.compactMap { event -> Interval?? in
            if case let .callCompleted("StatusNotification", _, sinceDue) = event { sinceDue } else { nil }
        }
        #expect(statuses.last == .some(.seconds(16)))
        // The boot is not scheduled: no time since due.
        #expect(csms.events.contains { if case .callCompleted("BootNotification", _, nil) = $0 { true } else { false } })
    }
}
