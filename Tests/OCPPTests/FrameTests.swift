import Testing
@testable import OCPP

@Suite("OCPP-J frames")
struct FrameTests {
    struct Malformed: Sendable, CustomTestStringConvertible {
        var text: String
        var code: CallError.Code
        var id: String?
        var wasCall: Bool
        var testDescription: String { text.count > 60 ? String(text.prefix(57)) + "..." : text }
    }

    static let id37 = String(repeating: "a", count: 37)

    static let malformed: [Malformed] = [
        Malformed(text: "", code: .formationViolation, id: nil, wasCall: false),
        Malformed(text: #"[2,"a","Heartbeat",{}"#, code: .formationViolation, id: nil, wasCall: false),
        Malformed(text: #"{"id":"a"}"#, code: .formationViolation, id: nil, wasCall: false),
        Malformed(text: #""[2]""#, code: .formationViolation, id: nil, wasCall: false),
        Malformed(text: "[]", code: .formationViolation, id: nil, wasCall: false),
        Malformed(text: #"["2","a","Heartbeat",{}]"#, code: .formationViolation, id: "a", wasCall: false),
        Malformed(text: #"[2.0,"a","Heartbeat",{}]"#, code: .formationViolation, id: "a", wasCall: false),
        Malformed(text: "[2]", code: .formationViolation, id: nil, wasCall: true),
        Malformed(text: #"[2,7,"Heartbeat",{}]"#, code: .formationViolation, id: nil, wasCall: true),
        Malformed(text: #"[2,"","Heartbeat",{}]"#, code: .formationViolation, id: "", wasCall: true),
        Malformed(text: #"[2,"\#(id37)","Heartbeat",{}]"#, code: .formationViolation, id: id37, wasCall: true),
        Malformed(text: #"[2,"a","Heartbeat"]"#, code: .formationViolation, id: "a", wasCall: true),
        Malformed(text: #"[2,"a","Heartbeat",{},{}]"#, code: .formationViolation, id: "a", wasCall: true),
        Malformed(text: #"[2,"a",9,{}]"#, code: .formationViolation, id: "a", wasCall: true),
        Malformed(text: #"[2,"a","Heartbeat",[]]"#, code: .formationViolation, id: "a", wasCall: true),
        Malformed(text: #"[2,"a","Heartbeat",null]"#, code: .formationViolation, id: "a", wasCall: true),
        Malformed(text: #"[3,"b"]"#, code: .formationViolation, id: "b", wasCall: false),
        Malformed(text: #"[3,"b",{},{}]"#, code: .formationViolation, id: "b", wasCall: false),
        Malformed(text: #"[3,"b","ok"]"#, code: .formationViolation, id: "b", wasCall: false),
        Malformed(text: #"[4,"c","GenericError","x"]"#, code: .formationViolation, id: "c", wasCall: false),
        Malformed(text: #"[4,"c",1,"x",{}]"#, code: .formationViolation, id: "c", wasCall: false),
        Malformed(text: #"[4,"c","GenericError",null,{}]"#, code: .formationViolation, id: "c", wasCall: false),
        Malformed(text: #"[4,"c","GenericError","x",[]]"#, code: .formationViolation, id: "c", wasCall: false),
        Malformed(text: #"[5,"d",{}]"#, code: .protocolError, id: "d", wasCall: false),
        Malformed(text: #"[0,"d","Heartbeat",{}]"#, code: .protocolError, id: "d", wasCall: false),
    ]

    @Test("A malformed envelope gives the right CALLERROR code and keeps the id it got to", arguments: malformed)
    func malformedEnvelope(_ expected: Malformed) {
        do {
            let frame = try Frame.parse(expected.text)
            Issue.record("parsed as \(frame)")
        } catch {
            #expect(error.error.code == expected.code, "\(error.error)")
            #expect(error.id == expected.id)
            #expect(error.wasCall == expected.wasCall)
        }
    }

    @Test("Well-formed frames parse into their cases")
    func wellFormed() throws {
        #expect(try Frame.parse(#"[2,"19223201","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#)
                == .call(id: "19223201", action: "BootNotification",
                         payload: .object([("chargePointVendor", .string("V")), ("chargePointModel", .string("M"))])))
        #expect(try Frame.parse(#" [ 3 , "19223201" , { } ] "#) == .callResult(id: "19223201", payload: .object([])))
        #expect(try Frame.parse(#"[4,"x","NotImplemented","Unknown action",{"a":1}]"#)
                == .callError(id: "x", code: "NotImplemented", description: "Unknown action", details: .object([("a", .integer(1))])))
        let id36 = String(repeating: "f", count: 36)
        #expect(try Frame.parse(#"[2,"\#(id36)","Heartbeat",{}]"#).id == id36)
        // An unknown action is not a framing problem: the router answers NotImplemented.
        #expect(try Frame.parse(#"[2,"a","Teleport",{}]"#) == .call(id: "a", action: "Teleport", payload: .object([])))
    }

    @Test("Encoded frames parse back to the same frame", arguments: [
        Frame.call(id: "1", action: "Heartbeat", payload: .object([])),
        Frame.callResult(id: "2", payload: .object([("currentTime", .string("2026-11-26T01:31:39.123Z"))])),
        Frame.callError(id: "3", code: "FormationViolation", description: "bad \"json\"\n", details: .object([])),
    ])
    func encodedRoundTrip(frame: Frame) throws {
        #expect(try Frame.parse(frame.encoded) == frame)
    }

    @Test("The encoders wrap typed payloads without re-encoding them")
    func encoders() throws {
        let request = V16.HeartbeatRequest()
        let call = Frame.encodeCall(id: "m1", action: V16.HeartbeatRequest.action, payload: request.encoded)
        #expect(String(decoding: call, as: UTF8.self) == #"[2,"m1","Heartbeat",{}]"#)
        let response = V16.HeartbeatResponse(currentTime: t0)
        let result = Frame.encodeCallResult(id: "m1", payload: response.encoded)
        #expect(String(decoding: result, as: UTF8.self) == #"[3,"m1",{"currentTime":"2026-11-26T01:31:39.123Z"}]"#)
        guard case .callResult(_, let payload) = try Frame.parse(result) else { Issue.record("not a CALLRESULT"); return }
        #expect(try V16.HeartbeatResponse(json: payload) == response)
        let error = Frame.encodeCallError(id: "m2", error: CallError(.notImplemented, "Teleport"))
        #expect(String(decoding: error, as: UTF8.self) == #"[4,"m2","NotImplemented","Teleport",{}]"#)
    }

    @Test("A CALLERROR description is cut to 255 characters")
    func descriptionLimit() {
        let error = CallError(.genericError, String(repeating: "x", count: 1000))
        #expect(error.errorDescription.count == 255)
        #expect(error.description.hasPrefix("GenericError: xxx"))
    }

    @Test("The ten OCPP-J error codes are spelled as in the specification")
    func codes() {
        #expect(CallError.Code.allCases.map(\.rawValue) == [
            "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError", "FormationViolation",
            "PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError",
        ])
    }
}
