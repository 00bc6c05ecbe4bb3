import Testing

@testable import ocpp_fleet

@Suite("Live progress and the metrics endpoint option")
struct LiveOutputTests {
    static let figures = LiveProgress.Figures(
        elapsedSeconds: 12, totalSeconds: 25, connected: 98, configured: 100, callsPerSecond: 84.6, windowSeconds: 1,
        callErrors: 2, timeouts: 1, worstP99: (3_210, "StartTransaction"), cpuShare: 0.124, rssBytes: 25_270_000,
        finishing: false)

    @Test("On a terminal: a three-line block with every figure")
    func terminalBlock() {
        #expect(LiveProgress.render(Self.figures, terminal: true) == [
            "ocpp-fleet 00:12 / 00:25 · connected 98/100",
            "  85 calls/s · errors 3 (2 CALLERRORs, 1 timeouts) · worst p99 3.21 ms (StartTransaction)",
            "  client CPU 12% · RSS 24.1 MiB",
        ])
    }

    @Test("In a log: one line, rates averaged over the window; unmeasured figures show as –")
    func logLine() {
        var figures = Self.figures
        figures.windowSeconds = 10
        figures.worstP99 = nil
        figures.rssBytes = nil
        figures.elapsedSeconds = 30
        figures.finishing = true
        #expect(LiveProgress.render(figures, terminal: false) == [
            "ocpp-fleet [00:30 finishing] connected 98/100 · 85 calls/s (10 s avg) · errors 3 (2 CALLERRORs, 1 timeouts)"
                + " · worst p99 – (no answers) · client CPU 12% · RSS –",
        ])
    }

    @Test("--prometheus takes HOST:PORT", arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("localhost:0", "localhost", 0), ("[::1]:9464", "::1", 9464),
    ])
    func endpoint(text: String, host: String, port: Int) {
        #expect(MetricsEndpoint(text) == MetricsEndpoint(host: host, port: port))
    }

    @Test("--prometheus refuses what is not HOST:PORT", arguments: ["9464", "host:", ":9464", "host:99999", "a b:1"])
    func badEndpoint(text: String) {
        #expect(MetricsEndpoint(text) == nil)
    }
}
