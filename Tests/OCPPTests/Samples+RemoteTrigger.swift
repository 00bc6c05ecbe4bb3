@testable import OCPP

extension Samples {
    /// RemoteTrigger samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let remoteTrigger: [Sample] = {
        var samples: [Sample] = [
            .request("rich", V.TriggerMessageRequest(requestedMessage: .meterValues, connectorId: 1)),
            .response(to: V.TriggerMessageRequest.self, "rich", V.TriggerMessageResponse(status: .accepted)),
            .request("minimal", V.TriggerMessageRequest(requestedMessage: .heartbeat)),
            .request("rich", V.ExtendedTriggerMessageRequest(requestedMessage: .statusNotification, connectorId: 0)),
            .response(to: V.ExtendedTriggerMessageRequest.self, "rich", V.ExtendedTriggerMessageResponse(status: .notImplemented)),
            .request("minimal", V.ExtendedTriggerMessageRequest(requestedMessage: .signChargePointCertificate)),
        ]
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.MessageTrigger.self) { .request($0.rawValue, V.TriggerMessageRequest(requestedMessage: $0)) }
        each(V.ExtendedMessageTrigger.self) { .request($0.rawValue, V.ExtendedTriggerMessageRequest(requestedMessage: $0)) }
        each(V.TriggerMessageStatus.self) { .response(to: V.TriggerMessageRequest.self, $0.rawValue, V.TriggerMessageResponse(status: $0)) }
        each(V.TriggerMessageStatus.self) { .response(to: V.ExtendedTriggerMessageRequest.self, $0.rawValue, V.ExtendedTriggerMessageResponse(status: $0)) }
        return samples
    }()
}
