import Fleet
import FleetSpec
import Logging
import NIOPosix
import PeerSupport
import Testing

/// One fleet run over loopback for the integration tests: the spec's charge points against
/// `url` for `seconds`, then the end of the run. Returns the outcome and how long `finish()`
/// took (waiting for the last confirmations).
func runFleet(spec yaml: String, file: String, seconds: Int, against url: String,
              logger: Logger? = nil) async throws -> (FleetOutcome, Duration) {
    let fleet = try FleetSpec.parse(yaml: yaml, file: file)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let configuration = FleetConfiguration(spec: fleet, plans: fleet.chargePoints(), endpoint: try CSMSEndpoint(url: url),
                                           seed: fleet.run.seed)
    let runner = FleetRunner(configuration: configuration, group: group, logger: logger ?? Logger(label: file))
    do {
        try await runner.start()
    } catch {
        try await group.shutdownGracefully()
        throw error
    }
    try await Task.sleep(for: .seconds(seconds))
    let finishing = ContinuousClock.now
    let outcome = await runner.finish()
    let finishTime = ContinuousClock.now - finishing
    try await group.shutdownGracefully()
    return (outcome, finishTime)
}

/// A fleet run against the Python peer `script` (the 1.6 `Tests/peer/csms.py` unless told) started
/// with `arguments`: the fleet's outcome and the peer's summary, or nil (the test skipped, or failed
/// when the peer is required) when no Python peer is available.
func runFleetAgainstPythonPeer(_ label: String, script: String = "Tests/peer/csms.py", arguments: [String],
                               spec: String, file: String,
                               seconds: Int) async throws -> (outcome: FleetOutcome, summary: [String: Any])? {
    let python: String
    switch PeerPython.locate() {
    case .found(let found):
        python = found
    case .missing(let note, let isFailure):
        if isFailure { Issue.record("\(label): \(note)") } else { PeerPython.announceSkip(label, note) }
        return nil
    }
    let peer = try PythonCSMS.start(python: python, script: script, arguments: arguments)
    let outcome: FleetOutcome
    do {
        outcome = try await runFleet(spec: spec, file: file, seconds: seconds, against: "ws://127.0.0.1:\(peer.port)/ocpp").0
    } catch {
        _ = try? peer.stop()
        throw error
    }
    return (outcome, try peer.stop())
}
