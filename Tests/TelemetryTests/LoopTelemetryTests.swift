import Testing
@testable import Telemetry

@Suite("Loop telemetry counters")
struct LoopTelemetryTests {
    @Test("CALLs sent are counted per action with their outcome")
    func outgoingCounters() throws {
        let telemetry = LoopTelemetry()
        telemetry.callSent("BootNotification")
        telemetry.callSent("BootNotification")
        telemetry.callSent("BootNotification")
        telemetry.callCompleted("BootNotification", latencyMicros: 1_500)
        telemetry.callErrored("BootNotification", code: "InternalError", latencyMicros: 300)
        telemetry.callTimedOut("BootNotification")
        telemetry.callSent("Heartbeat")

        let boot = try #require(telemetry.snapshot().actions["BootNotification"])
        #expect(boot.sent == 3)
        #expect(boot.completed == 1)
        #expect(boot.callErrors == 1)
        #expect(boot.callErrorsByCode == ["InternalError": 1])
        #expect(boot.timeouts == 1)
        #expect(boot.latency?.count == 1)
        #expect(boot.latency?.max == 1_500)
        #expect(boot.callErrorLatency?.max == 300)
    }

    @Test("Histograms are created only for actions that got answers")
    func lazyHistograms() throws {
        let telemetry = LoopTelemetry()
        telemetry.callSent("Heartbeat")
        telemetry.callTimedOut("Heartbeat")
        let heartbeat = try #require(telemetry.snapshot().actions["Heartbeat"])
        #expect(heartbeat.latency == nil)
        #expect(heartbeat.callErrorLatency == nil)
        #expect(telemetry.snapshot().eventLoopLag == nil)
    }

    @Test("CALLs from the CSMS are counted with how we answered them")
    func incomingCounters() throws {
        let telemetry = LoopTelemetry()
        telemetry.incomingReceived("Reset")
        telemetry.incomingReceived("Reset")
        telemetry.incomingAnswered("Reset")
        telemetry.incomingCallError("Reset", code: "NotSupported")
        let reset = try #require(telemetry.snapshot().incoming["Reset"])
        #expect(reset == IncomingStats(received: 2, answered: 1, callErrors: 1, callErrorsByCode: ["NotSupported": 1]))
    }

    @Test("Connections track the current count, the peak, opens and closes")
    func connections() {
        let telemetry = LoopTelemetry()
        telemetry.connected()
        telemetry.connected()
        telemetry.disconnected()
        telemetry.connected()
        telemetry.disconnected()
        #expect(telemetry.connectedNow == 1)
        let snapshot = telemetry.snapshot()
        #expect(snapshot.connectedNow == 1)
        #expect(snapshot.peakConnected == 2)
        #expect(snapshot.connectionsOpened == 3)
        #expect(snapshot.connectionsClosed == 2)
    }

    @Test("Transactions, accepted boots and event-loop lag are counted")
    func otherCounters() {
        let telemetry = LoopTelemetry()
        telemetry.transactionStarted()
        telemetry.transactionStarted()
        telemetry.transactionStopped()
        telemetry.bootAccepted()
        telemetry.eventLoopLagSampled(micros: 250)
        let snapshot = telemetry.snapshot()
        #expect(snapshot.transactionsStarted == 2)
        #expect(snapshot.transactionsStopped == 1)
        #expect(snapshot.bootAccepted == 1)
        #expect(snapshot.eventLoopLag?.max == 250)
    }

    @Test("Connect failures keep at most 32 reasons, then count under \"other\"")
    func boundedReasons() {
        let telemetry = LoopTelemetry()
        for index in 0 ..< 40 { telemetry.connectFailed(reason: "reason \(index)") }
        telemetry.connectFailed(reason: "reason 0")
        let failures = telemetry.snapshot().connectFailures
        #expect(failures.count == 33)
        #expect(failures["other"] == 8)
        #expect(failures["reason 0"] == 2)
        #expect(failures.values.reduce(0, +) == 41)
    }

    @Test("CALLERROR codes from the peer are bounded per action")
    func boundedCodes() throws {
        let telemetry = LoopTelemetry()
        for index in 0 ..< 50 { telemetry.callErrored("Authorize", code: "Code\(index)", latencyMicros: 10) }
        let authorize = try #require(telemetry.snapshot().actions["Authorize"])
        #expect(authorize.callErrorsByCode.count == TelemetrySnapshot.Limits.errorCodes + 1)
        #expect(authorize.callErrorsByCode.values.reduce(0, +) == 50)
        #expect(authorize.callErrors == 50)
    }

    @Test("A snapshot is a copy: later events do not change it")
    func snapshotIsACopy() {
        let telemetry = LoopTelemetry()
        telemetry.callCompleted("Heartbeat", latencyMicros: 10)
        let before = telemetry.snapshot()
        telemetry.callCompleted("Heartbeat", latencyMicros: 20)
        #expect(before.actions["Heartbeat"]?.completed == 1)
        #expect(before.actions["Heartbeat"]?.latency?.count == 1)
        #expect(telemetry.snapshot().actions["Heartbeat"]?.latency?.count == 2)
    }
}
