import Testing
@testable import OCPP

@Suite("Core profile messages")
struct MessageTests {
    typealias V = V16

    @Test("Decoding an encoded payload gives the same value", arguments: Samples.all)
    func roundTrip(sample: Sample) throws {
        let bytes = sample.payload.encoded
        let decoded = try sample.decode(try JSONParser.parse(bytes))
        #expect(sample.isEqual(to: decoded))
        // Re-encoding is byte-identical: members in one fixed order, nothing added.
        #expect(decoded.encoded == bytes)
    }

    @Test("Every Core action has a request and a response sample")
    func samplesCoverCore() {
        let core = V.Action.allCases.filter(\.isCore)
        for kind in [Sample.Kind.request, .response] {
            let covered = Set(Samples.rich.filter { $0.kind == kind }.map(\.action))
            #expect(covered == Set(core), "\(kind)")
        }
    }

    @Test("Every modelled action has a rich request and response sample, walked for schema mutations")
    func samplesCoverModelled() {
        let modelled = V.Action.allCases.filter { $0.payloadTypes != nil }
        for kind in [Sample.Kind.request, .response] {
            let covered = Set(Samples.richest.filter { $0.kind == kind }.map(\.action))
            #expect(covered == Set(modelled), "\(kind)")
        }
    }

    @Test("Encoding omits absent optional fields and keeps schema member names")
    func encodedText() {
        #expect(V.HeartbeatRequest().encoded == Array("{}".utf8))
        #expect(V.StopTransactionResponse().json.text == "{}")
        #expect(V.AuthorizeRequest(idTag: "A\"B").json.text == #"{"idTag":"A\"B"}"#)
        #expect(V.StartTransactionRequest(connectorId: 1, idTag: "T", meterStart: 5, timestamp: t0).json.text
                == #"{"connectorId":1,"idTag":"T","meterStart":5,"timestamp":"2026-11-26T01:31:39.123Z"}"#)
        #expect(V.ChargingSchedulePeriod(startPeriod: 0, limit: 16.3).json.text == #"{"startPeriod":0,"limit":16.3}"#)
        #expect(V.SampledValue(value: "1", measurand: .soC, unit: .celcius).json.text
                == #"{"value":"1","measurand":"SoC","unit":"Celcius"}"#)
        #expect(V.RemoteStartTransactionResponse(status: .accepted).json.text == #"{"status":"Accepted"}"#)
    }

    @Test("Request types name their action")
    func actions() {
        let pairs: [(String, V.Action)] = [
            (V.AuthorizeRequest.action, .authorize), (V.BootNotificationRequest.action, .bootNotification),
            (V.ChangeAvailabilityRequest.action, .changeAvailability),
            (V.ChangeConfigurationRequest.action, .changeConfiguration), (V.ClearCacheRequest.action, .clearCache),
            (V.DataTransferRequest.action, .dataTransfer), (V.GetConfigurationRequest.action, .getConfiguration),
            (V.HeartbeatRequest.action, .heartbeat), (V.MeterValuesRequest.action, .meterValues),
            (V.RemoteStartTransactionRequest.action, .remoteStartTransaction),
            (V.RemoteStopTransactionRequest.action, .remoteStopTransaction), (V.ResetRequest.action, .reset),
            (V.StartTransactionRequest.action, .startTransaction),
            (V.StatusNotificationRequest.action, .statusNotification),
            (V.StopTransactionRequest.action, .stopTransaction), (V.UnlockConnectorRequest.action, .unlockConnector),
        ]
        for (name, action) in pairs { #expect(name == action.rawValue) }
        #expect(pairs.count == V.Action.allCases.filter(\.isCore).count)
    }

    @Test("A string's length counts Unicode scalars, as the schema validator does")
    func lengthInScalars() throws {
        let twenty = string(length: 20, of: "é")
        #expect(try V.AuthorizeRequest(json: .object([("idTag", .string(twenty))])).idTag == twenty)
        expectCallError(.typeConstraintViolation) { () throws(CallError) in
            _ = try V.AuthorizeRequest(json: .object([("idTag", .string(twenty + "é"))]))
        }
    }

    @Test("A limit must be a multiple of 0.1, allowing for binary rounding",
          arguments: [(16.3, true), (0.1, true), (32, true), (-5.5, true), (1e9 + 0.1, true),
                      (16.35, false), (0.05, false), (0.01, false), (1e9 + 0.15, false)])
    func limitMultiple(limit: Double, accepted: Bool) throws {
        var writer = JSONWriter()
        writer.number(limit)
        let json = try JSONParser.parse(#"{"startPeriod":0,"limit":\#(writer.text)}"#)
        if accepted {
            #expect(try V.ChargingSchedulePeriod(json: json).limit == limit)
        } else {
            expectCallError(.propertyConstraintViolation) { () throws(CallError) in _ = try V.ChargingSchedulePeriod(json: json) }
        }
    }

    @Test("MeterValues.req and StopTransaction.req follow their own schema for meter values")
    func meterValueSchemas() throws {
        let empty = #"{"timestamp":"2026-11-26T01:31:39Z","sampledValue":[]}"#
        let hertz = #"{"timestamp":"2026-11-26T01:31:39Z","sampledValue":[{"value":"50","unit":"Hertz"}]}"#
        func meterValues(_ value: String) throws -> JSONValue {
            try JSONParser.parse(#"{"connectorId":1,"meterValue":[\#(value)]}"#)
        }
        func stop(_ value: String) throws -> JSONValue {
            try JSONParser.parse(#"{"meterStop":1,"timestamp":"2026-11-26T01:31:39Z","transactionId":1,"transactionData":[\#(value)]}"#)
        }
        let noSamples = try meterValues(empty)
        let e = expectCallError(.occurenceConstraintViolation) { () throws(CallError) in _ = try V.MeterValuesRequest(json: noSamples) }
        #expect(e?.errorDescription.contains("meterValue[0].sampledValue") == true)
        #expect(try V.MeterValuesRequest(json: try meterValues(hertz)).meterValue[0].sampledValue[0].unit == .hertz)
        #expect(try V.StopTransactionRequest(json: try stop(empty)).transactionData?[0].sampledValue == [])
        let hertzInStop = try stop(hertz)
        let f = expectCallError(.propertyConstraintViolation) { () throws(CallError) in _ = try V.StopTransactionRequest(json: hertzInStop) }
        #expect(f?.errorDescription.contains("transactionData[0].sampledValue[0].unit") == true)
        let noPeriods = try JSONParser.parse(#"{"chargingRateUnit":"A","chargingSchedulePeriod":[]}"#)
        #expect(try V.ChargingSchedule(json: noPeriods).chargingSchedulePeriod == [])
    }

    @Test("A violation names the full path of the member")
    func errorPath() throws {
        let json = try JSONParser.parse(#"{"idTag":"T","chargingProfile":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":1},{"startPeriod":"60","limit":2}]}}}"#)
        let error = expectCallError(.typeConstraintViolation) { () throws(CallError) in _ = try V.RemoteStartTransactionRequest(json: json) }
        #expect(error?.errorDescription.contains("chargingProfile.chargingSchedule.chargingSchedulePeriod[1].startPeriod") == true)
    }
}

@Suite("Action table")
struct ActionTableTests {
    @Test("Sixteen actions are Core")
    func core() {
        let core = V16.Action.allCases.filter(\.isCore).map(\.rawValue).sorted()
        #expect(core == ["Authorize", "BootNotification", "ChangeAvailability", "ChangeConfiguration", "ClearCache",
                         "DataTransfer", "GetConfiguration", "Heartbeat", "MeterValues", "RemoteStartTransaction",
                         "RemoteStopTransaction", "Reset", "StartTransaction", "StatusNotification", "StopTransaction",
                         "UnlockConnector"])
    }

    @Test("Charge-point-initiated actions", arguments: V16.Action.allCases)
    func initiator(action: V16.Action) {
        let fromChargePoint: Set<V16.Action> = [
            .authorize, .bootNotification, .dataTransfer, .heartbeat, .meterValues, .startTransaction,
            .statusNotification, .stopTransaction, .diagnosticsStatusNotification, .firmwareStatusNotification,
            .logStatusNotification, .securityEventNotification, .signCertificate, .signedFirmwareStatusNotification,
        ]
        #expect(action.initiatedByChargePoint == fromChargePoint.contains(action))
    }
}
