import Fleet
import FleetSpec
import Logging
import NIOPosix

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
