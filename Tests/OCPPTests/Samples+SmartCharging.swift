@testable import OCPP

extension Samples {
    /// SmartCharging samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let smartCharging: [Sample] = {
        var samples: [Sample] = [
            .request("rich", V.SetChargingProfileRequest(connectorId: 1, csChargingProfiles: chargingProfile)),
            .response(to: V.SetChargingProfileRequest.self, "rich", V.SetChargingProfileResponse(status: .accepted)),
            .request("rich", V.ClearChargingProfileRequest(id: 7, connectorId: 1, chargingProfilePurpose: .txDefaultProfile,
                                                           stackLevel: 2)),
            .response(to: V.ClearChargingProfileRequest.self, "rich", V.ClearChargingProfileResponse(status: .accepted)),
            .request("rich", V.GetCompositeScheduleRequest(connectorId: 1, duration: 86_400, chargingRateUnit: .w)),
            .response(to: V.GetCompositeScheduleRequest.self, "rich", V.GetCompositeScheduleResponse(
                status: .accepted, connectorId: 1, scheduleStart: t0,
                chargingSchedule: V.ChargingSchedule(
                    duration: 3600, startSchedule: t0, chargingRateUnit: .a,
                    chargingSchedulePeriod: [V.ChargingSchedulePeriod(startPeriod: 0, limit: 16, numberPhases: 3),
                                             V.ChargingSchedulePeriod(startPeriod: 900, limit: 7.5, numberPhases: 1)],
                    minChargingRate: 6))),
            .request("minimal", V.SetChargingProfileRequest(connectorId: 0, csChargingProfiles: minimalChargingProfile)),
            .request("minimal", V.ClearChargingProfileRequest()),
            .request("minimal", V.GetCompositeScheduleRequest(connectorId: 0, duration: 60)),
            .response(to: V.GetCompositeScheduleRequest.self, "minimal", V.GetCompositeScheduleResponse(status: .rejected)),
            .response(to: V.GetCompositeScheduleRequest.self, "empty schedule", V.GetCompositeScheduleResponse(
                status: .accepted, chargingSchedule: V.ChargingSchedule(chargingRateUnit: .w, chargingSchedulePeriod: []))),
        ]
        func each<E: OCPPEnum>(_: E.Type, _ make: (E) -> Sample) { samples += E.allCases.map(make) }
        each(V.ChargingProfileStatus.self) {
            .response(to: V.SetChargingProfileRequest.self, $0.rawValue, V.SetChargingProfileResponse(status: $0))
        }
        each(V.ClearChargingProfileStatus.self) {
            .response(to: V.ClearChargingProfileRequest.self, $0.rawValue, V.ClearChargingProfileResponse(status: $0))
        }
        each(V.GetCompositeScheduleStatus.self) {
            .response(to: V.GetCompositeScheduleRequest.self, $0.rawValue, V.GetCompositeScheduleResponse(status: $0))
        }
        each(V.ChargingProfilePurposeType.self) {
            .request($0.rawValue, V.ClearChargingProfileRequest(chargingProfilePurpose: $0))
        }
        each(V.ChargingProfilePurposeType.self) { purpose in
            var profile = minimalChargingProfile
            profile.chargingProfilePurpose = purpose
            return .request(purpose.rawValue, V.SetChargingProfileRequest(connectorId: 1, csChargingProfiles: profile))
        }
        each(V.ChargingProfileKindType.self) { kind in
            var profile = minimalChargingProfile
            profile.chargingProfileKind = kind
            return .request(kind.rawValue, V.SetChargingProfileRequest(connectorId: 1, csChargingProfiles: profile))
        }
        each(V.RecurrencyKindType.self) { recurrency in
            var profile = minimalChargingProfile
            profile.chargingProfileKind = .recurring
            profile.recurrencyKind = recurrency
            return .request(recurrency.rawValue, V.SetChargingProfileRequest(connectorId: 1, csChargingProfiles: profile))
        }
        each(V.ChargingRateUnitType.self) {
            .request($0.rawValue, V.GetCompositeScheduleRequest(connectorId: 1, duration: 60, chargingRateUnit: $0))
        }
        each(V.ChargingRateUnitType.self) { unit in
            .response(to: V.GetCompositeScheduleRequest.self, unit.rawValue, V.GetCompositeScheduleResponse(
                status: .accepted, connectorId: 0, scheduleStart: t1,
                chargingSchedule: V.ChargingSchedule(chargingRateUnit: unit, chargingSchedulePeriod: [
                    V.ChargingSchedulePeriod(startPeriod: 0, limit: 0.1),
                ])))
        }
        return samples
    }()
}
