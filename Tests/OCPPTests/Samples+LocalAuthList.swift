@testable import OCPP

extension Samples {
    /// LocalAuthList samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let localAuthList: [Sample] = {
        var samples: [Sample] = [
            .request("rich", V.SendLocalListRequest(listVersion: 42, localAuthorizationList: [
                V.AuthorizationData(idTag: "04A2B3C4D5E6F7", idTagInfo: idTagInfo),
                V.AuthorizationData(idTag: "REMOVED-TAG"),
            ], updateType: .differential)),
            .response(to: V.SendLocalListRequest.self, "rich", V.SendLocalListResponse(status: .accepted)),
            .request("rich", V.GetLocalListVersionRequest()),
            .response(to: V.GetLocalListVersionRequest.self, "rich", V.GetLocalListVersionResponse(listVersion: 42)),
            .request("minimal", V.SendLocalListRequest(listVersion: 0, updateType: .full)),
            .request("empty list", V.SendLocalListRequest(listVersion: 1, localAuthorizationList: [], updateType: .full)),
            .request("entry with status only", V.SendLocalListRequest(listVersion: 2, localAuthorizationList: [
                V.AuthorizationData(idTag: "T", idTagInfo: V.IdTagInfo(status: .blocked)),
            ], updateType: .full)),
            .response(to: V.GetLocalListVersionRequest.self, "not supported", V.GetLocalListVersionResponse(listVersion: -1)),
        ]
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.UpdateType.self) { .request($0.rawValue, V.SendLocalListRequest(listVersion: 3, updateType: $0)) }
        each(V.UpdateStatus.self) { .response(to: V.SendLocalListRequest.self, $0.rawValue, V.SendLocalListResponse(status: $0)) }
        return samples
    }()
}
