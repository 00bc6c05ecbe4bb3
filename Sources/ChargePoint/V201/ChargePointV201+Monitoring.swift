import OCPP

/// A variable monitor (N04): a threshold, a delta or a periodic report of one variable.
struct VariableMonitorV201: Sendable {
    var id: Int
    var variable: Int
    var type: V201.MonitorEnum
    var value: Double
    var severity: Int
    /// Periodic monitors only: when the next report falls due.
    var nextReport: Timestamp?
}

/// The basics of monitoring: SetVariableMonitoring, ClearVariableMonitoring and the NotifyEvent
/// a triggered monitor sends (N04, N06, N07); faults become NotifyEvent too.
extension ChargePointV201 {
    static let monitorCapacity = 32
    /// The longest reporting period of a Periodic monitor: a year, in seconds.
    static let longestPeriod = 366.0 * 86_400

    mutating func setMonitoring(_ request: V201.SetVariableMonitoringRequest, now: Timestamp) -> V201.SetVariableMonitoringResponse {
        let variables = deviceModel.definition.variables
        return V201.SetVariableMonitoringResponse(setMonitoringResult: request.setMonitoringData.map { data in
            func result(_ status: V201.SetMonitoringStatusEnum, id: Int? = nil) -> V201.SetMonitoringResult {
                V201.SetMonitoringResult(id: id, status: status, type: data.type, component: data.component,
                                         variable: data.variable, severity: data.severity)
            }
            guard let index = variables.indices.first(where: { variables[$0].matches(component: data.component, variable: data.variable) }) else {
                let known = variables.contains { $0.matches(component: data.component, variable: nil) }
                return result(known ? .unknownVariable : .unknownComponent)
            }
            let numeric = [V201.DataEnum.integer, .decimal].contains(variables[index].dataType)
            switch data.type {
            case .upperThreshold, .lowerThreshold:
                guard numeric else { return result(.rejected) }
            case .delta, .periodic, .periodicClockAligned:
                guard data.value >= 0 else { return result(.rejected) }
            }
            if data.type == .periodic || data.type == .periodicClockAligned, !(1...Self.longestPeriod).contains(data.value) {
                return result(.rejected)
            }
            if let id = data.id {
                // N04.FR.13: an id names a monitor to replace; new monitors get theirs from the station.
                guard let position = monitors.firstIndex(where: { $0.id == id }) else { return result(.rejected) }
                monitors.remove(at: position)
            }
            guard monitors.count < Self.monitorCapacity else { return result(.rejected) }
            let id = data.id ?? ((monitors.map(\.id).max() ?? 0) + 1)
            let periodic = data.type == .periodic || data.type == .periodicClockAligned
            monitors.append(VariableMonitorV201(id: id, variable: index, type: data.type, value: data.value,
                                                severity: data.severity, nextReport: periodic ? now + .seconds(Int(data.value)) : nil))
            return result(.accepted, id: id)
        })
    }

    mutating func clearMonitoring(_ request: V201.ClearVariableMonitoringRequest) -> V201.ClearVariableMonitoringResponse {
        V201.ClearVariableMonitoringResponse(clearMonitoringResult: request.id.map { id in
            guard let position = monitors.firstIndex(where: { $0.id == id }) else {
                return V201.ClearMonitoringResult(status: .notFound, id: id)
            }
            monitors.remove(at: position)
            return V201.ClearMonitoringResult(status: .accepted, id: id)
        })
    }

    /// Fires the threshold and delta monitors of a variable whose value changed.
    mutating func monitored(_ index: Int, from old: String, to new: String, now: Timestamp, into out: inout [EngineOutput]) {
        guard old != new else { return }
        for monitor in monitors where monitor.variable == index {
            let oldNumber = Double(old), newNumber = Double(new)
            let fires: Bool
            switch monitor.type {
            case .upperThreshold: fires = (newNumber ?? 0) > monitor.value && (oldNumber ?? 0) <= monitor.value
            case .lowerThreshold: fires = (newNumber ?? 0) < monitor.value && (oldNumber ?? 0) >= monitor.value
            case .delta:
                if let oldNumber, let newNumber { fires = abs(newNumber - oldNumber) >= monitor.value } else { fires = true }
            case .periodic, .periodicClockAligned: fires = false
            }
            if fires { notifyEvent(monitor: monitor, value: new, trigger: .alerting, now: now, into: &out) }
        }
    }

    mutating func monitorsTick(now: Timestamp, into out: inout [EngineOutput]) {
        for position in monitors.indices {
            guard let due = monitors[position].nextReport, due <= now else { continue }
            monitors[position].nextReport = due + .seconds(Int(monitors[position].value))
            let monitor = monitors[position]
            notifyEvent(monitor: monitor, value: actualValue(monitor.variable, now: now), trigger: .periodic, now: now, into: &out)
        }
    }

    /// A connector's AvailabilityState changed: its monitors see it, and a fault is an event (N07).
    mutating func statusChanged(_ index: Int, status: V201.ConnectorStatusEnum, now: Timestamp, into out: inout [EngineOutput]) {
        let variables = deviceModel.definition.variables
        for (variable, definition) in variables.enumerated()
            where definition.name == "AvailabilityState" && definition.evse == index + 1 {
            for monitor in monitors where monitor.variable == variable && monitor.type == .delta {
                notifyEvent(monitor: monitor, value: status.rawValue, trigger: .alerting, now: now, into: &out)
            }
        }
    }

    private mutating func notifyEvent(monitor: VariableMonitorV201, value: String, trigger: V201.EventTriggerEnum,
                                      now: Timestamp, into out: inout [EngineOutput]) {
        let variable = deviceModel.definition.variables[monitor.variable]
        eventNumber += 1
        let data = V201.EventData(eventId: eventNumber, timestamp: now, trigger: trigger, actualValue: String(value.prefix(2500)),
                                  component: variable.wireComponent, variableMonitoringId: monitor.id,
                                  eventNotificationType: .customMonitor, variable: variable.wireVariable)
        enqueue(.other(.notifyEvent, payload: V201.NotifyEventRequest(generatedAt: now, seqNo: 0, eventData: [data]).encoded),
                into: &out)
    }

    /// A hardware fault of the driver's behaviour profile (1.6 error code names): the connector
    /// is Faulted and a NotifyEvent (HardWiredNotification, Problem) says why (N07, G05).
    public mutating func setFault(_ code: V16.ChargePointErrorCode?, connector: Int, now: Timestamp,
                                  into out: inout [EngineOutput]) {
        let index = connector - 1
        guard evses.indices.contains(index) else { return }
        let faulted = code != nil && code != .noError
        guard evses[index].faulted != faulted else { return }
        evses[index].faulted = faulted
        if faulted, evses[index].transaction != nil {
            evaluate(index, trigger: .abnormalCondition, now: now, into: &out)
        } else if !faulted {
            evaluate(index, trigger: .chargingStateChanged, now: now, into: &out)
        }
        reportStatus(index, now: now, into: &out)
        eventNumber += 1
        let data = V201.EventData(
            eventId: eventNumber, timestamp: now, trigger: .delta, actualValue: faulted ? "Faulted" : "Available",
            techCode: code.map { $0.rawValue }, cleared: faulted ? nil : true,
            component: V201.Component(evse: V201.EVSE(id: connector, connectorId: 1), name: "Connector"),
            eventNotificationType: .hardWiredNotification, variable: V201.Variable(name: "Problem"))
        enqueue(.other(.notifyEvent, payload: V201.NotifyEventRequest(generatedAt: now, seqNo: 0, eventData: [data]).encoded),
                into: &out)
        pump(now: now, into: &out)
    }
}

extension ChargePointV201 {
    /// Device-model values this station holds beyond the shared definition (0 for most).
    public var changedDeviceModelValues: Int { deviceModel.changedCount }
}
