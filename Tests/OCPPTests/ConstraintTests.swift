import Testing
@testable import OCPP

/// A payload that breaks one schema constraint, and the CALLERROR code it must produce
/// (OCPP-J 1.6 §4.2.3; the mapping is documented on `PayloadReader`).
struct Violation: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let json: String
    let code: CallError.Code
    let decode: @Sendable (JSONValue) throws(CallError) -> Void

    init<P: OCPPPayload>(_ type: P.Type, _ json: String, _ code: CallError.Code) {
        self.testDescription = "\(P.self) \(json.count > 90 ? String(json.prefix(87)) + "..." : json)"
        self.json = json
        self.code = code
        self.decode = { json throws(CallError) in _ = try P(json: json) }
    }
}

private typealias V = V16
private let occurence = CallError.Code.occurenceConstraintViolation
private let type = CallError.Code.typeConstraintViolation
private let property = CallError.Code.propertyConstraintViolation
private let formation = CallError.Code.formationViolation
private let ts = "\"2026-11-26T01:31:39Z\""
private let tag21 = "\"\(string(length: 21))\""
private let mv = #"{"timestamp":\#(ts),"sampledValue":[{"value":"1"}]}"#
private let schedule = #"{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":6}]}"#
private let profile = #"{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Absolute","chargingSchedule":\#(schedule)}"#

/// Per message: missing required, wrong type, too long, bad enum, unknown member.
let violations: [Violation] = [
    // Authorize
    Violation(V.AuthorizeRequest.self, #"{}"#, occurence),
    Violation(V.AuthorizeRequest.self, #"{"idTag":42}"#, type),
    Violation(V.AuthorizeRequest.self, #"{"idTag":\#(tag21)}"#, type),
    Violation(V.AuthorizeRequest.self, #"{"idTag":"T","idToken":"T"}"#, formation),
    Violation(V.AuthorizeRequest.self, #"["idTag"]"#, formation),
    Violation(V.AuthorizeResponse.self, #"{}"#, occurence),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":{}}"#, occurence),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":"Accepted"}"#, type),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":{"status":"accepted"}}"#, property),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":{"status":"Accepted","parentIdTag":\#(tag21)}}"#, type),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":{"status":"Accepted","expiryDate":"tomorrow"}}"#, property),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":{"status":"Accepted","expiryDate":1}}"#, type),
    Violation(V.AuthorizeResponse.self, #"{"idTagInfo":{"status":"Accepted","extra":1}}"#, formation),
    // BootNotification
    Violation(V.BootNotificationRequest.self, #"{"chargePointVendor":"V"}"#, occurence),
    Violation(V.BootNotificationRequest.self, #"{"chargePointVendor":"V","chargePointModel":"M","imsi":\#(tag21)}"#, type),
    Violation(V.BootNotificationResponse.self, #"{"status":"OK","currentTime":\#(ts),"interval":60}"#, property),
    Violation(V.BootNotificationResponse.self, #"{"status":"Accepted","currentTime":\#(ts),"interval":"60"}"#, type),
    // ChangeAvailability
    Violation(V.ChangeAvailabilityRequest.self, #"{"connectorId":1}"#, occurence),
    Violation(V.ChangeAvailabilityRequest.self, #"{"connectorId":1.5,"type":"Operative"}"#, type),
    Violation(V.ChangeAvailabilityRequest.self, #"{"connectorId":1,"type":"Available"}"#, property),
    Violation(V.ChangeAvailabilityRequest.self, #"{"connectorId":1,"type":"Operative","evseId":1}"#, formation),
    Violation(V.ChangeAvailabilityResponse.self, #"{"status":"Pending"}"#, property),
    Violation(V.ChangeAvailabilityResponse.self, #"{"status":null}"#, type),
    // ChangeConfiguration
    Violation(V.ChangeConfigurationRequest.self, #"{"key":"K"}"#, occurence),
    Violation(V.ChangeConfigurationRequest.self, #"{"key":"K","value":300}"#, type),
    Violation(V.ChangeConfigurationRequest.self, #"{"key":"\#(string(length: 51))","value":"1"}"#, type),
    Violation(V.ChangeConfigurationRequest.self, #"{"key":"K","value":"\#(string(length: 501))"}"#, type),
    Violation(V.ChangeConfigurationResponse.self, #"{"status":"Rebooting"}"#, property),
    Violation(V.ChangeConfigurationResponse.self, #"{}"#, occurence),
    // ClearCache
    Violation(V.ClearCacheRequest.self, #"{"all":true}"#, formation),
    Violation(V.ClearCacheRequest.self, #"null"#, formation),
    Violation(V.ClearCacheResponse.self, #"{"status":"Done"}"#, property),
    Violation(V.ClearCacheResponse.self, #"{"status":"Accepted","reason":"x"}"#, formation),
    // DataTransfer
    Violation(V.DataTransferRequest.self, #"{"messageId":"M"}"#, occurence),
    Violation(V.DataTransferRequest.self, #"{"vendorId":"\#(string(length: 256))"}"#, type),
    Violation(V.DataTransferRequest.self, #"{"vendorId":"V","messageId":"\#(string(length: 51))"}"#, type),
    Violation(V.DataTransferRequest.self, #"{"vendorId":"V","data":{"a":1}}"#, type),
    Violation(V.DataTransferResponse.self, #"{"status":"UnknownVendor"}"#, property),
    Violation(V.DataTransferResponse.self, #"{"status":"Accepted","data":1}"#, type),
    // GetConfiguration
    Violation(V.GetConfigurationRequest.self, #"{"key":"HeartbeatInterval"}"#, type),
    Violation(V.GetConfigurationRequest.self, #"{"key":["\#(string(length: 51))"]}"#, type),
    Violation(V.GetConfigurationRequest.self, #"{"key":[1]}"#, type),
    Violation(V.GetConfigurationRequest.self, #"{"keys":[]}"#, formation),
    Violation(V.GetConfigurationResponse.self, #"{"configurationKey":[{"key":"K"}]}"#, occurence),
    Violation(V.GetConfigurationResponse.self, #"{"configurationKey":[{"key":"K","readonly":"yes"}]}"#, type),
    Violation(V.GetConfigurationResponse.self, #"{"configurationKey":[{"key":"K","readonly":true,"value":"\#(string(length: 501))"}]}"#, type),
    Violation(V.GetConfigurationResponse.self, #"{"configurationKey":[{"key":"K","readonly":true,"type":"int"}]}"#, formation),
    Violation(V.GetConfigurationResponse.self, #"{"configurationKey":["K"]}"#, type),
    Violation(V.GetConfigurationResponse.self, #"{"unknownKey":["\#(string(length: 51))"]}"#, type),
    // Heartbeat
    Violation(V.HeartbeatRequest.self, #"{"ping":1}"#, formation),
    Violation(V.HeartbeatResponse.self, #"{}"#, occurence),
    Violation(V.HeartbeatResponse.self, #"{"currentTime":1764120699}"#, type),
    Violation(V.HeartbeatResponse.self, #"{"currentTime":"2026-02-29T00:00:00Z"}"#, property),
    // MeterValues
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1}"#, occurence),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[]}"#, occurence),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":"1","meterValue":[\#(mv)]}"#, type),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[{"timestamp":\#(ts)}]}"#, occurence),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[{"timestamp":\#(ts),"sampledValue":[{"value":1}]}]}"#, type),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[{"timestamp":\#(ts),"sampledValue":[{"value":"1","measurand":"Energy"}]}]}"#, property),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[{"timestamp":\#(ts),"sampledValue":[{"value":"1","unit":"kwh"}]}]}"#, property),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[{"timestamp":\#(ts),"sampledValue":[{"value":"1","phase":"L4"}]}]}"#, property),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[{"timestamp":\#(ts),"sampledValue":[{"value":"1","signature":"x"}]}]}"#, formation),
    Violation(V.MeterValuesRequest.self, #"{"connectorId":1,"meterValue":[\#(mv)],"evseId":1}"#, formation),
    Violation(V.MeterValuesResponse.self, #"{"status":"Accepted"}"#, formation),
    // RemoteStartTransaction
    Violation(V.RemoteStartTransactionRequest.self, #"{"connectorId":1}"#, occurence),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":\#(tag21)}"#, type),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":[]}"#, type),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":{"chargingProfileId":1}}"#, occurence),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":\#(profile.replacingOccurrences("TxProfile", "Tx"))}"#, property),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":\#(profile.replacingOccurrences("\"A\"", "\"kW\""))}"#, property),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":\#(profile.replacingOccurrences("\"limit\":6", "\"limit\":6.05"))}"#, property),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":\#(profile.replacingOccurrences("\"limit\":6", "\"limit\":\"6\""))}"#, type),
    Violation(V.RemoteStartTransactionRequest.self, #"{"idTag":"T","chargingProfile":\#(profile.replacingOccurrences("\"limit\":6", "\"max\":6"))}"#, formation),
    Violation(V.RemoteStartTransactionResponse.self, #"{"status":"Started"}"#, property),
    // RemoteStopTransaction
    Violation(V.RemoteStopTransactionRequest.self, #"{}"#, occurence),
    Violation(V.RemoteStopTransactionRequest.self, #"{"transactionId":"42"}"#, type),
    Violation(V.RemoteStopTransactionRequest.self, #"{"transactionId":42,"connectorId":1}"#, formation),
    Violation(V.RemoteStopTransactionResponse.self, #"{"status":"accepted"}"#, property),
    // Reset
    Violation(V.ResetRequest.self, #"{}"#, occurence),
    Violation(V.ResetRequest.self, #"{"type":"Cold"}"#, property),
    Violation(V.ResetRequest.self, #"{"type":true}"#, type),
    Violation(V.ResetResponse.self, #"{"status":"Scheduled"}"#, property),
    // StartTransaction
    Violation(V.StartTransactionRequest.self, #"{"connectorId":1,"idTag":"T","meterStart":0}"#, occurence),
    Violation(V.StartTransactionRequest.self, #"{"connectorId":1,"idTag":\#(tag21),"meterStart":0,"timestamp":\#(ts)}"#, type),
    Violation(V.StartTransactionRequest.self, #"{"connectorId":1,"idTag":"T","meterStart":0.5,"timestamp":\#(ts)}"#, type),
    Violation(V.StartTransactionRequest.self, #"{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"now"}"#, property),
    Violation(V.StartTransactionRequest.self, #"{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":\#(ts),"meterStop":0}"#, formation),
    Violation(V.StartTransactionResponse.self, #"{"idTagInfo":{"status":"Accepted"}}"#, occurence),
    Violation(V.StartTransactionResponse.self, #"{"idTagInfo":{"status":"Valid"},"transactionId":1}"#, property),
    // StatusNotification
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"status":"Available"}"#, occurence),
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"errorCode":"NoError","status":"Idle"}"#, property),
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"errorCode":"Broken","status":"Faulted"}"#, property),
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"errorCode":"NoError","status":"Available","info":"\#(string(length: 51))"}"#, type),
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"errorCode":"NoError","status":"Available","vendorId":"\#(string(length: 256))"}"#, type),
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"errorCode":"NoError","status":"Available","vendorErrorCode":"\#(string(length: 51))"}"#, type),
    Violation(V.StatusNotificationRequest.self, #"{"connectorId":1,"errorCode":"NoError","status":"Available","evseId":1}"#, formation),
    Violation(V.StatusNotificationResponse.self, #"[]"#, formation),
    // StopTransaction
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts)}"#, occurence),
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts),"transactionId":1,"idTag":\#(tag21)}"#, type),
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts),"transactionId":1,"reason":"Unplugged"}"#, property),
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts),"transactionId":1,"transactionData":{}}"#, type),
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts),"transactionId":1,"transactionData":[{"sampledValue":[]}]}"#, occurence),
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts),"transactionId":1,"transactionData":[{"timestamp":\#(ts),"sampledValue":[{"value":"1","unit":"Hertz"}]}]}"#, property),
    Violation(V.StopTransactionRequest.self, #"{"meterStop":1,"timestamp":\#(ts),"transactionId":1,"costs":1}"#, formation),
    Violation(V.StopTransactionResponse.self, #"{"idTagInfo":{"status":"Gone"}}"#, property),
    Violation(V.StopTransactionResponse.self, #"{"idTagInfo":{"status":"Accepted"},"transactionId":1}"#, formation),
    // UnlockConnector
    Violation(V.UnlockConnectorRequest.self, #"{}"#, occurence),
    Violation(V.UnlockConnectorRequest.self, #"{"connectorId":[1]}"#, type),
    Violation(V.UnlockConnectorResponse.self, #"{"status":"Locked"}"#, property),
    Violation(V.UnlockConnectorResponse.self, #"{"status":"Unlocked","connectorId":1}"#, formation),
]

@Suite("Constraint violations")
struct ConstraintTests {
    @Test("A payload that breaks the schema is answered with the matching CALLERROR code", arguments: violations)
    func violation(_ case: Violation) throws {
        let json = try JSONParser.parse(`case`.json)
        expectCallError(`case`.code) { () throws(CallError) in try `case`.decode(json) }
    }

    @Test("At the maximum length a string is accepted", arguments: [20, 25, 50, 255, 500])
    func maximumLength(length: Int) throws {
        let value = string(length: length)
        switch length {
        case 20: #expect(try V.AuthorizeRequest(json: .object([("idTag", .string(value))])).idTag == value)
        case 25: #expect(try V.BootNotificationRequest(json: .object([("chargePointVendor", .string("V")), ("chargePointModel", .string("M")),
                                                                       ("meterType", .string(value))])).meterType == value)
        case 50: #expect(try V.ChangeConfigurationRequest(json: .object([("key", .string(value)), ("value", .string(""))])).key == value)
        case 255: #expect(try V.DataTransferRequest(json: .object([("vendorId", .string(value))])).vendorId == value)
        default: #expect(try V.ChangeConfigurationRequest(json: .object([("key", .string("K")), ("value", .string(value))])).value == value)
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
