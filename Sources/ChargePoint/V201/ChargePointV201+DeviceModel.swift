import OCPP

/// Functional block B's device model operations: GetVariables, SetVariables (B05-B07),
/// GetBaseReport and GetReport answered with NotifyReport in parts (B07, B08), and the basics of
/// monitoring (N04 SetVariableMonitoring, N07 NotifyEvent).
extension ChargePointV201 {
    /// The value a variable has now: stored, or computed for the live ones.
    func actualValue(_ index: Int, now: Timestamp) -> String {
        let variable = deviceModel.definition.variables[index]
        if let stored = deviceModel.stored(index) { return stored }
        switch (variable.component, variable.name) {
        case ("ClockCtrlr", "DateTime"): return now.iso8601
        case ("SecurityCtrlr", "Identity"): return identity.id
        case ("LocalAuthListCtrlr", "Entries"): return String(localList.count)
        case ("ChargingStation", "AvailabilityState"):
            return evses.indices.allSatisfy({ status(of: $0) == .unavailable }) ? "Unavailable" : "Available"
        case ("EVSE", "AvailabilityState"), ("Connector", "AvailabilityState"):
            return status(of: (variable.evse ?? 1) - 1).rawValue
        case ("EVSE", "Power"):
            var meter = evses[(variable.evse ?? 1) - 1].meter
            meter.advance(to: now)
            return String(Int(meter.powerW))
        default: return ""
        }
    }

    private func find(_ component: V201.Component, _ variable: V201.Variable) -> (index: Int?, componentKnown: Bool) {
        let variables = deviceModel.definition.variables
        let index = variables.indices.first { variables[$0].matches(component: component, variable: variable) }
        return (index, index != nil || variables.contains { $0.matches(component: component, variable: nil) })
    }

    func getVariables(_ request: V201.GetVariablesRequest, now: Timestamp) -> V201.GetVariablesResponse {
        V201.GetVariablesResponse(getVariableResult: request.getVariableData.map { data in
            let (index, componentKnown) = find(data.component, data.variable)
            func result(_ status: V201.GetVariableStatusEnum, _ value: String? = nil) -> V201.GetVariableResult {
                V201.GetVariableResult(attributeStatus: status, attributeType: data.attributeType,
                                       attributeValue: value.map { String($0.prefix(2500)) },
                                       component: data.component, variable: data.variable)
            }
            guard let index else { return result(componentKnown ? .unknownVariable : .unknownComponent) }
            guard (data.attributeType ?? .actual) == .actual else { return result(.notSupportedAttributeType) }
            guard deviceModel.definition.variables[index].mutability != .writeOnly else { return result(.rejected) }
            return result(.accepted, actualValue(index, now: now))
        })
    }

    mutating func setVariables(_ request: V201.SetVariablesRequest, now: Timestamp,
                               into out: inout [EngineOutput]) -> V201.SetVariablesResponse {
        V201.SetVariablesResponse(setVariableResult: request.setVariableData.map { data in
            let (index, componentKnown) = find(data.component, data.variable)
            func result(_ status: V201.SetVariableStatusEnum) -> V201.SetVariableResult {
                V201.SetVariableResult(attributeType: data.attributeType, attributeStatus: status,
                                       component: data.component, variable: data.variable)
            }
            guard let index else { return result(componentKnown ? .unknownVariable : .unknownComponent) }
            let variable = deviceModel.definition.variables[index]
            guard (data.attributeType ?? .actual) == .actual else { return result(.notSupportedAttributeType) }
            guard variable.mutability != .readOnly, variable.accepts(data.attributeValue) else { return result(.rejected) }
            let old = actualValue(index, now: now)
            deviceModel.set(index, to: data.attributeValue)
            variableChanged(index, from: old, to: data.attributeValue, now: now, into: &out)
            return result(.accepted)
        })
    }

    /// Timers that depend on a changed variable are re-armed at once.
    private mutating func variableChanged(_ index: Int, from old: String, to new: String, now: Timestamp,
                                          into out: inout [EngineOutput]) {
        let definition = deviceModel.definition
        if index == definition.index(of: .heartbeatInterval), registration == .accepted, isConnected { armHeartbeat(now: now) }
        if index == definition.index(of: .alignedInterval) || index == definition.index(of: .alignedDataEnabled) {
            armAlignedSampling(now: now)
        }
        if index == definition.index(of: .txUpdatedInterval) {
            for evse in evses.indices { armSampling(evse, now: now) }
        }
        monitored(index, from: old, to: new, now: now, into: &out)
    }

    // MARK: reports

    mutating func getBaseReport(_ request: V201.GetBaseReportRequest, now: Timestamp,
                                into out: inout [EngineOutput]) -> V201.GetBaseReportResponse {
        let variables = deviceModel.definition.variables
        let chosen: [Int]
        switch request.reportBase {
        case .fullInventory: chosen = Array(variables.indices)
        case .configurationInventory: chosen = variables.indices.filter { variables[$0].mutability != .readOnly }
        case .summaryInventory: chosen = variables.indices.filter { variables[$0].name == "AvailabilityState" }
        }
        queueReport(requestId: request.requestId, chosen, now: now, into: &out)
        return V201.GetBaseReportResponse(status: .accepted)
    }

    mutating func getReport(_ request: V201.GetReportRequest, now: Timestamp,
                            into out: inout [EngineOutput]) -> V201.GetReportResponse {
        let variables = deviceModel.definition.variables
        var chosen = Array(variables.indices)
        if let wanted = request.componentVariable {
            chosen = chosen.filter { index in wanted.contains { variables[index].matches(component: $0.component, variable: $0.variable) } }
        }
        if let criteria = request.componentCriteria {
            // Every simulated component is available, enabled and active; one with a problem is a faulted EVSE.
            chosen = chosen.filter { index in
                criteria.contains { criterion in
                    switch criterion {
                    case .active, .available, .enabled: true
                    case .problem: variables[index].evse.map { evses[$0 - 1].faulted } ?? false
                    }
                }
            }
        }
        guard !chosen.isEmpty else { return V201.GetReportResponse(status: .emptyResultSet) }
        queueReport(requestId: request.requestId, chosen, now: now, into: &out)
        return V201.GetReportResponse(status: .accepted)
    }

    /// NotifyReport in parts of DeviceDataCtrlr.ItemsPerMessage[GetReport], `tbc` on all but
    /// the last, seqNo from 0 (B07.FR.07-09); WriteOnly values are never reported.
    private mutating func queueReport(requestId: Int, _ chosen: [Int], now: Timestamp, into out: inout [EngineOutput]) {
        let perPart = max(1, deviceModel.int(.reportItemsPerMessage))
        let variables = deviceModel.definition.variables
        var part = 0
        var start = 0
        repeat {
            let slice = chosen[start..<min(start + perPart, chosen.count)]
            let data = slice.map { index in
                let variable = variables[index]
                return V201.ReportData(
                    component: variable.wireComponent, variable: variable.wireVariable,
                    variableAttribute: [V201.VariableAttribute(
                        type: .actual, value: variable.mutability == .writeOnly ? nil : String(actualValue(index, now: now).prefix(2500)),
                        mutability: variable.mutability, persistent: true, constant: variable.mutability == .readOnly)],
                    variableCharacteristics: V201.VariableCharacteristics(
                        unit: variable.unit, dataType: variable.dataType, minLimit: variable.minLimit, maxLimit: variable.maxLimit,
                        valuesList: variable.valuesList, supportsMonitoring: true))
            }
            start += perPart
            let request = V201.NotifyReportRequest(requestId: requestId, generatedAt: now, reportData: data.isEmpty ? nil : data,
                                                   tbc: start < chosen.count, seqNo: part)
            enqueue(.other(.notifyReport, payload: request.encoded), into: &out)
            part += 1
        } while start < chosen.count
    }
}
