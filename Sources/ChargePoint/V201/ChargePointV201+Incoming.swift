import OCPP

/// CALLs from the CSMS: decoded with the schema's constraints (a violation is answered with
/// its 2.0.1 CALLERROR code), routed by action. An action of OCPP 2.0.1 outside this
/// simulator's scope is answered NotSupported, one OCPP 2.0.1 does not have NotImplemented
/// (OCPP-J 2.0.1 §4.3).
extension ChargePointV201 {
    mutating func handleCall(id: String, action name: String, payload: JSONValue, frame: [UInt8], now: Timestamp,
                             into out: inout [EngineOutput]) {
        do throws(CallError) {
            guard let action = V201.Action(rawValue: name) else {
                fault(.unknownAction, frame, into: &out)
                throw CallError(.notImplemented, "\(name) is not an OCPP 2.0.1 action")
            }
            guard !action.initiatedByChargingStation || action == .dataTransfer else {
                fault(.invalidCall, frame, into: &out)
                throw CallError(.notSupported, "\(name) is sent by a charging station, not to one")
            }
            let answer = try answer(action, payload: payload, now: now, into: &out)
            out.append(.send(Frame.encodeCallResult(id: id, payload: answer)))
            out.append(.event(.incoming(action: name, errorCode: nil)))
        } catch {
            if error.code != .notImplemented, error.code != .notSupported { fault(.invalidCall, frame, into: &out) }
            let code = V201.RPCErrorCode(error.code)
            out.append(.send(Frame.encodeCallError(id: id, code: code, description: error.errorDescription)))
            out.append(.event(.incoming(action: name, errorCode: code.rawValue)))
        }
    }

    private mutating func answer(_ action: V201.Action, payload: JSONValue, now: Timestamp,
                                 into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .getVariables: return getVariables(try V201.GetVariablesRequest(json: payload), now: now).encoded
        case .setVariables: return setVariables(try V201.SetVariablesRequest(json: payload), now: now, into: &out).encoded
        case .getBaseReport: return getBaseReport(try V201.GetBaseReportRequest(json: payload), now: now, into: &out).encoded
        case .getReport: return getReport(try V201.GetReportRequest(json: payload), now: now, into: &out).encoded
        case .setVariableMonitoring: return setMonitoring(try V201.SetVariableMonitoringRequest(json: payload), now: now).encoded
        case .clearVariableMonitoring: return clearMonitoring(try V201.ClearVariableMonitoringRequest(json: payload)).encoded
        case .reset: return reset(try V201.ResetRequest(json: payload), now: now, into: &out).encoded
        case .changeAvailability: return changeAvailability(try V201.ChangeAvailabilityRequest(json: payload), now: now, into: &out).encoded
        case .requestStartTransaction: return requestStart(try V201.RequestStartTransactionRequest(json: payload), now: now, into: &out).encoded
        case .requestStopTransaction: return requestStop(try V201.RequestStopTransactionRequest(json: payload), now: now, into: &out).encoded
        case .getTransactionStatus:
            let request = try V201.GetTransactionStatusRequest(json: payload)
            return transactionStatus(request).encoded
        case .triggerMessage: return trigger(try V201.TriggerMessageRequest(json: payload), now: now, into: &out).encoded
        case .unlockConnector: return unlock(try V201.UnlockConnectorRequest(json: payload), now: now, into: &out).encoded
        case .clearCache:
            _ = try V201.ClearCacheRequest(json: payload)
            authorizationCache.removeAll()
            return V201.ClearCacheResponse(status: deviceModel.bool(.authCacheEnabled) ? .accepted : .rejected).encoded
        case .sendLocalList:
            let request = try V201.SendLocalListRequest(json: payload)
            let status = deviceModel.bool(.localAuthListEnabled) ? localList.apply(request) : .failed
            return V201.SendLocalListResponse(status: status).encoded
        case .getLocalListVersion:
            _ = try V201.GetLocalListVersionRequest(json: payload)
            return V201.GetLocalListVersionResponse(versionNumber: localList.version).encoded
        case .updateFirmware: return updateFirmware(try V201.UpdateFirmwareRequest(json: payload), now: now, into: &out).encoded
        case .getLog: return getLog(try V201.GetLogRequest(json: payload), now: now, into: &out).encoded
        case .customerInformation: return customerInformation(try V201.CustomerInformationRequest(json: payload), now: now).encoded
        case .dataTransfer:
            _ = try V201.DataTransferRequest(json: payload)
            return V201.DataTransferResponse(status: .unknownVendorId).encoded
        case .setNetworkProfile:
            _ = try V201.SetNetworkProfileRequest(json: payload)
            // One CSMS connection per simulated station: no second channel to store a profile for.
            return V201.SetNetworkProfileResponse(status: .rejected,
                                                  statusInfo: V201.StatusInfo(reasonCode: "NoSecondaryChannel")).encoded
        case .certificateSigned:
            return certificateSigned(try V201.CertificateSignedRequest(json: payload), now: now, into: &out).encoded
        case .reserveNow: return reserveNow(try V201.ReserveNowRequest(json: payload), now: now, into: &out).encoded
        case .cancelReservation:
            return cancelReservation(try V201.CancelReservationRequest(json: payload), now: now, into: &out).encoded
        case .setChargingProfile:
            return setChargingProfile(try V201.SetChargingProfileRequest(json: payload), now: now, into: &out).encoded
        case .clearChargingProfile: return clearChargingProfile(try V201.ClearChargingProfileRequest(json: payload), now: now).encoded
        case .getChargingProfiles:
            return getChargingProfiles(try V201.GetChargingProfilesRequest(json: payload), now: now, into: &out).encoded
        case .getCompositeSchedule: return getCompositeSchedule(try V201.GetCompositeScheduleRequest(json: payload), now: now).encoded
        case .authorize, .bootNotification, .firmwareStatusNotification, .heartbeat, .logStatusNotification,
             .meterValues, .notifyCustomerInformation, .notifyEvent, .notifyReport, .reportChargingProfiles,
             .reservationStatusUpdate, .securityEventNotification, .signCertificate, .statusNotification,
             .transactionEvent:
            throw CallError(.notSupported, "\(action.rawValue) is sent by a charging station")
        case .clearDisplayMessage, .clearedChargingLimit, .costUpdated, .deleteCertificate, .get15118EVCertificate,
             .getCertificateStatus, .getDisplayMessages, .getInstalledCertificateIds, .getMonitoringReport,
             .installCertificate, .notifyChargingLimit, .notifyDisplayMessages, .notifyEVChargingNeeds,
             .notifyEVChargingSchedule, .notifyMonitoringReport, .publishFirmware, .publishFirmwareStatusNotification,
             .setDisplayMessage, .setMonitoringBase, .setMonitoringLevel, .unpublishFirmware:
            throw CallError(.notSupported, "\(action.rawValue) is outside this charging station's functional blocks")
        }
    }
}
