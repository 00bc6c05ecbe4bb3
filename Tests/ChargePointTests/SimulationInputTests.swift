import ChargePoint
import OCPP
import Testing

/// Engine inputs a behaviour profile uses beyond the Core session inputs:
/// DataTransfer from the charge point, the EV's power, the session's energy and a power cycle.
@Suite("Simulation inputs: DataTransfer, EV power, session energy, power cycle")
struct SimulationInputTests {
    @Test("sendDataTransfer sends DataTransfer.req with vendor, message and data; its answer completes the call")
    func dataTransfer() throws {
        var csms = ScriptedCSMS.booted()
        csms.input { engine, now, out in
            engine.sendDataTransfer(vendorId: "ocpp-fleet", messageId: "Temp", data: "21", now: now, into: &out)
        }
        let request = try #require(try csms.decoded(V16.DataTransferRequest.self).last)
        #expect(request.vendorId == "ocpp-fleet" && request.messageId == "Temp" && request.data == "21")
        #expect(csms.events.contains { if case .callCompleted(action: "DataTransfer", _, _) = $0 { true } else { false } })
    }

    @Test("A DataTransfer.conf that breaks its schema counts as an errored call and is not retried")
    func dataTransferBadAnswer() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["DataTransfer"] = [.result(.object([("status", .string("Maybe"))]))]
        csms.input { engine, now, out in
            engine.sendDataTransfer(vendorId: "x", messageId: nil, data: nil, now: now, into: &out)
        }
        csms.advance(by: .seconds(120))
        #expect(csms.calls(.dataTransfer).count == 1)
        #expect(csms.events.contains { if case .callErrored(action: "DataTransfer", _, _) = $0 { true } else { false } })
    }

    @Test("setEVPower changes the power drawn from then on; sessionEnergyWh reads the session's energy")
    func power() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1, ev: EVProfile(maxPowerW: 10_000, batteryWh: 1_000_000))
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(360))  // 1000 Wh at 10 kW
        csms.input { engine, now, out in engine.setEVPower(20_000, connector: 1, now: now, into: &out) }
        csms.advance(by: .seconds(180))  // 1000 Wh more at 20 kW
        var energy: Double?
        csms.input { engine, now, _ in energy = engine.sessionEnergyWh(connector: 1, now: now) }
        #expect(energy.map { abs($0 - 2000) < 1 } == true, "\(String(describing: energy))")
        csms.input { engine, now, _ in energy = engine.sessionEnergyWh(connector: 2, now: now) }
        #expect(energy == nil, "no transaction on connector 2")
    }

    @Test("powerCycle stops running transactions with PowerLoss, reboots, and delivers the stop after the next boot")
    func powerCycle() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("TAG-1", on: 1)
        csms.advance(by: .seconds(60))
        let bootsBefore = csms.calls(.bootNotification).count
        csms.input { engine, now, out in engine.powerCycle(now: now, into: &out) }
        #expect(csms.reboots.count == 1)
        csms.advance(by: .seconds(10))
        #expect(csms.calls(.bootNotification).count == bootsBefore + 1)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).last)
        #expect(stop.reason == .powerLoss)
        #expect(stop.idTag == nil)
        #expect(csms.engine.openTransactions == 0)
        #expect(csms.engine.pendingTransactionMessages == 0)
        #expect(csms.engine.isPlugged(connector: 1), "the EV is still plugged in after the power comes back")
    }
}
