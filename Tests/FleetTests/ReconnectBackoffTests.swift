import FleetSpec
import OCPP
import Testing

@testable import Fleet

@Suite("Reconnect back-off")
struct ReconnectBackoffTests {
    let backoff = ReconnectBackoff(initial: .milliseconds(500), max: .seconds(30))

    @Test("The cap doubles from the initial delay and stops at the maximum")
    func caps() {
        #expect(backoff.cap(attempt: 0) == .milliseconds(500))
        #expect(backoff.cap(attempt: 1) == .seconds(1))
        #expect(backoff.cap(attempt: 5) == .seconds(16))
        #expect(backoff.cap(attempt: 6) == .seconds(30))
        #expect(backoff.cap(attempt: 1_000) == .seconds(30))
    }

    @Test("Full jitter: delays spread over the whole window, not bunched at its end", arguments: [0, 3, 8])
    func spread(attempt: Int) {
        var random = SplitMix64(seed: 99)
        let cap = backoff.cap(attempt: attempt).microseconds
        let delays = (0..<10_000).map { _ in backoff.delay(attempt: attempt, using: &random).microseconds }
        #expect(delays.allSatisfy { $0 >= 0 && $0 <= cap })
        let mean = Double(delays.reduce(0, +)) / Double(delays.count)
        #expect(abs(mean / Double(cap) - 0.5) < 0.02, "uniform over 0…cap has its mean at cap/2")
        // A quarter of the fleet comes back in each quarter of the window.
        for quarter in 0..<4 {
            let low = cap * Int64(quarter) / 4
            let high = cap * Int64(quarter + 1) / 4
            let share = Double(delays.filter { $0 >= low && $0 < high }.count) / Double(delays.count)
            #expect(abs(share - 0.25) < 0.02)
        }
    }

    @Test("The spec's reconnect keys reach the back-off, and a maximum below the initial delay is an error")
    func specKeys() throws {
        let good = try FleetSpec.parse(yaml: """
            run:
              reconnectInitial: 200ms
              reconnectMax: 5s
            groups:
              - count: 1
                idPattern: "CP-{index}"
            """, file: "r.yaml")
        #expect(good.run.reconnectInitial == .milliseconds(200))
        #expect(good.run.reconnectMax == .seconds(5))
        #expect(throws: SpecErrors.self) {
            try FleetSpec.parse(yaml: """
                run:
                  reconnectInitial: 10s
                  reconnectMax: 5s
                groups:
                  - count: 1
                    idPattern: "CP-{index}"
                """, file: "r.yaml")
        }
    }
}
