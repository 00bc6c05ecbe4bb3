import ChargePoint
import OCPP
import Testing

@Suite("Charging sessions driven by cable, card and EV")
struct SessionTests {
    static let measurands = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,SoC"

    @Test("A full session: plug, tag, Authorize, Start, MeterValues, tag again, Stop, Finishing, unplug, Available")
    func fullSession() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(initialMeterWh: 12_345),
                                       configuration: [("MeterValueSampleInterval", "60"),
                                                       ("MeterValuesSampledData", Self.measurands)],
                                       heartbeat: 3600)
        let t0 = csms.now
        csms.plugIn(1, ev: EVProfile(maxPowerW: 11_000, batteryWh: 60_000, initialSoC: 30))
        #expect(csms.engine.status(ofConnector: 1) == .preparing)
        csms.present("TAG-1", on: 1)

        let authorize = try #require(try csms.decoded(V16.AuthorizeRequest.self).first)
        #expect(authorize.idTag == "TAG-1")
        let start = try #require(try csms.decoded(V16.StartTransactionRequest.self).first)
        #expect(start == V16.StartTransactionRequest(connectorId: 1, idTag: "TAG-1", meterStart: 12_345, timestamp: t0))
        #expect(csms.events.contains(.transactionStarted(connector: 1, transactionId: 1000)))
        #expect(csms.engine.status(ofConnector: 1) == .charging)
        #expect(csms.engine.openTransactions == 1)

        csms.advance(by: .seconds(30 * 60))
        let samples = csms.calls(.meterValues)
        #expect(samples.count == 30)
        #expect(samples.map(\.sentAt) == (1...30).map { t0 + .seconds(60 * $0) })
        var lastEnergy = 12_345
        for call in samples {
            let request = try call.decode(V16.MeterValuesRequest.self)
            #expect(request.connectorId == 1)
            #expect(request.transactionId == 1000)
            let value = try #require(request.meterValue.first)
            #expect(value.timestamp == call.sentAt)
            #expect(value.sampledValue.map(\.measurand) == [.energyActiveImportRegister, .powerActiveImport,
                                                           .currentImport, .soC])
            #expect(value.sampledValue.allSatisfy { $0.context == nil || $0.context == .samplePeriodic })
            let energy = try #require(Int(value.sampledValue[0].value))
            #expect(energy > lastEnergy)
            lastEnergy = energy
            #expect(value.sampledValue[0].unit == .wh)
            #expect(value.sampledValue[1].value == "11000")
            #expect(value.sampledValue[3].location == .ev)
        }
        #expect(lastEnergy == 12_345 + 5_500)

        csms.advance(by: .seconds(10))
        csms.present("TAG-1", on: 1)
        let stops = try csms.decoded(V16.StopTransactionRequest.self)
        let stop = try #require(stops.first)
        #expect(stops.count == 1)
        #expect(stop.reason == .local)
        #expect(stop.idTag == "TAG-1")
        #expect(stop.transactionId == 1000)
        #expect(stop.timestamp == t0 + .seconds(1810))
        #expect(stop.meterStop >= start.meterStart)
        #expect(stop.meterStop == 12_345 + 5_530)
        let data = try #require(stop.transactionData)
        let begin = try #require(data.first?.sampledValue.first)
        #expect(begin.context == .transactionBegin)
        #expect(begin.value == "12345")
        #expect(data.first?.timestamp == t0)
        let end = try #require(data.last?.sampledValue.first)
        #expect(end.context == .transactionEnd)
        #expect(end.value == String(stop.meterStop))
        #expect(csms.events.contains(.transactionStopped(connector: 1, transactionId: 1000)))
        #expect(csms.engine.status(ofConnector: 1) == .finishing)
        #expect(csms.engine.meterWh(connector: 1) == stop.meterStop)

        csms.advance(by: .seconds(300))
        #expect(csms.calls(.meterValues).count == 30)
        #expect(csms.engine.meterWh(connector: 1) == stop.meterStop)
        csms.unplug(1)
        #expect(try csms.statuses(1) == [.available, .preparing, .charging, .finishing, .available])
        #expect(try csms.statuses(2) == [.available])
        #expect(csms.engine.openTransactions == 0)
        #expect(csms.engine.pendingTransactionMessages == 0)
    }

    @Test("A tag presented before the cable waits ConnectionTimeOut for it")
    func tagFirst() throws {
        var csms = ScriptedCSMS.booted(configuration: [("ConnectionTimeOut", "30")])
        csms.present("TAG-1", on: 2)
        #expect(csms.engine.status(ofConnector: 2) == .preparing)
        csms.advance(by: .seconds(20))
        csms.plugIn(2)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.connectorId) == [2])
        #expect(csms.engine.status(ofConnector: 2) == .charging)

        csms.present("TAG-2", on: 1)
        csms.advance(by: .seconds(30))
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        #expect(csms.engine.status(ofConnector: 1) == .available)
        #expect(try csms.statuses(1) == [.available, .preparing, .available])
        csms.plugIn(1)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).count == 1)
    }

    @Test("A tag the CSMS refuses starts nothing", arguments: [V16.AuthorizationStatus.invalid, .blocked, .expired])
    func authorizationRefused(status: V16.AuthorizationStatus) throws {
        var csms = ScriptedCSMS.booted()
        csms.tags["STOLEN"] = status
        csms.plugIn(1)
        csms.present("STOLEN", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        #expect(csms.calls(.startTransaction).isEmpty)
        #expect(csms.engine.status(ofConnector: 1) == .preparing)
        // The connector is free for another card.
        csms.present("GOOD", on: 1)
        #expect(csms.calls(.startTransaction).count == 1)
    }

    @Test("Unplugging the EV mid-session stops the transaction with reason EVDisconnected")
    func evSideDisconnect() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(600))
        csms.unplug(1)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .evDisconnected)
        #expect(stop.idTag == nil)
        #expect(stop.transactionId == 1000)
        #expect(try csms.statuses(1) == [.available, .preparing, .charging, .available])
        #expect(csms.engine.openTransactions == 0)
    }

    @Test("With StopTransactionOnEVSideDisconnect false an unplugged EV suspends the transaction")
    func evSideDisconnectKeepsTransaction() throws {
        var csms = ScriptedCSMS.booted(configuration: [("StopTransactionOnEVSideDisconnect", "false")])
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.unplug(1)
        #expect(csms.calls(.stopTransaction).isEmpty)
        #expect(csms.engine.status(ofConnector: 1) == .suspendedEV)
        let meter = csms.engine.meterWh(connector: 1)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.meterWh(connector: 1) == meter)
        csms.present("TAG-1", on: 1)
        #expect(try csms.decoded(V16.StopTransactionRequest.self).map(\.reason) == [.local])
        #expect(csms.engine.status(ofConnector: 1) == .available)
    }

    @Test("An EV that pauses reports SuspendedEV and draws no energy")
    func evSuspends() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(60))
        csms.suspendEV(true, on: 1)
        let paused = csms.engine.meterWh(connector: 1)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.meterWh(connector: 1) == paused)
        csms.suspendEV(false, on: 1)
        csms.advance(by: .seconds(60))
        #expect(csms.engine.meterWh(connector: 1) > paused)
        #expect(try csms.statuses(1) == [.available, .preparing, .charging, .suspendedEV, .charging])
    }

    @Test("A StartTransaction answered with an invalid idTag is stopped with reason DeAuthorized")
    func deauthorized() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["StartTransaction"] = [.conf(V16.StartTransactionResponse(idTagInfo: V16.IdTagInfo(status: .invalid),
                                                                              transactionId: 77))]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.transactionId == 77)
        #expect(stop.reason == .deAuthorized)
        #expect(csms.events.contains(.sessionEndedByCSMS(connector: 1)))
        #expect(csms.engine.status(ofConnector: 1) == .finishing)
        #expect(csms.engine.openTransactions == 0)
    }

    @Test("With StopTransactionOnInvalidId false an invalid idTag suspends charging instead")
    func invalidIdSuspends() throws {
        var csms = ScriptedCSMS.booted(configuration: [("StopTransactionOnInvalidId", "false")])
        csms.script["StartTransaction"] = [.conf(V16.StartTransactionResponse(idTagInfo: V16.IdTagInfo(status: .blocked),
                                                                              transactionId: 78))]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        #expect(csms.calls(.stopTransaction).isEmpty)
        #expect(csms.engine.status(ofConnector: 1) == .suspendedEVSE)
        let meter = csms.engine.meterWh(connector: 1)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.meterWh(connector: 1) == meter)
    }

    @Test("Clock-aligned samples fall on multiples of ClockAlignedDataInterval")
    func clockAligned() throws {
        var csms = ScriptedCSMS.booted(configuration: [("ClockAlignedDataInterval", "900"),
                                                       ("MeterValueSampleInterval", "0")], heartbeat: 86_400)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(3600))
        let aligned = csms.calls(.meterValues)
        #expect(aligned.count == 8)  // 4 quarter hours × 2 connectors
        for call in aligned {
            #expect(call.sentAt.microseconds % 900_000_000 == 0)
            let request = try call.decode(V16.MeterValuesRequest.self)
            #expect(request.meterValue.first?.sampledValue.first?.context == .sampleClock)
            #expect(request.transactionId == (request.connectorId == 1 ? 1000 : nil))
        }
    }

    @Test("Every measurand the meter simulates can be sampled; StopTransaction data refuses Frequency (no Hertz in its schema)")
    func everyMeasurand() throws {
        let all = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,Current.Offered,Power.Offered,Temperature"
        var csms = ScriptedCSMS.booted(configuration: [("MeterValuesSampledData", all),
                                                       ("StopTxnSampledData", "Energy.Active.Import.Register,Voltage,SoC")])
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "MeterValuesAlignedData", value: "Frequency")).status == .accepted)
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "ClockAlignedDataInterval", value: "60")).status == .accepted)
        for key in ["StopTxnSampledData", "StopTxnAlignedData"] {
            let answer = try csms.call(V16.ChangeConfigurationRequest(key: key, value: "Energy.Active.Import.Register,Frequency"))
            #expect(answer.status == .rejected)
        }
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(120))
        csms.present("TAG-1", on: 1)
        // The harness decoded every frame with its schema.
        let samples = try csms.decoded(V16.MeterValuesRequest.self)
        let periodic = samples.filter { $0.meterValue[0].sampledValue.count > 1 }
        #expect(periodic.first?.meterValue[0].sampledValue.count == 8)
        #expect(samples.contains { $0.meterValue[0].sampledValue[0] == V16.SampledValue(
            value: "50", context: .sampleClock, measurand: .frequency, unit: .hertz) })
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.transactionData?.last?.sampledValue.map(\.measurand) == [.energyActiveImportRegister, .voltage, .soC])
    }

    @Test("A full battery stops drawing power and reports SuspendedEV")
    func batteryFull() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MeterValueSampleInterval", "60")], heartbeat: 86_400)
        csms.plugIn(1, ev: EVProfile(maxPowerW: 60_000, batteryWh: 10_000, initialSoC: 90))
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(120))
        #expect(csms.engine.status(ofConnector: 1) == .suspendedEV)
        let full = csms.engine.meterWh(connector: 1)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.meterWh(connector: 1) == full)
    }

    @Test("An Authorize that times out refuses the card and frees the connector")
    func authorizeTimeout() throws {
        var csms = ScriptedCSMS.booted(settings: EngineSettings(callTimeout: .seconds(10)))
        csms.script["Authorize"] = [.hold]
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(10))
        #expect(csms.events.contains(.callTimedOut(action: "Authorize")))
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        csms.present("TAG-1", on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .charging)
    }

    @Test("Changing MeterValueSampleInterval mid-transaction re-arms sampling from the change")
    func sampleIntervalChanged() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MeterValueSampleInterval", "60")], heartbeat: 86_400)
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        let t0 = csms.now
        csms.advance(by: .seconds(90))
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "MeterValueSampleInterval", value: "10")).status == .accepted)
        csms.advance(by: .seconds(30))
        #expect(csms.calls(.meterValues).map(\.sentAt) == [60, 100, 110, 120].map { t0 + .seconds($0) })
        _ = try csms.call(V16.ChangeConfigurationRequest(key: "MeterValueSampleInterval", value: "0"))
        csms.advance(by: .seconds(600))
        #expect(csms.calls(.meterValues).count == 4)
    }
}
